/** `npm start`'s settings: ports that collide are refused naming both variables, before any listen. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { parseStartSettings } from "../../../scripts/start-settings.ts";

describe("parseStartSettings", () => {
  // Two stand-ins on one port failed at the second listen as "in use (another npm start?)".
  it("two variables on one port: a ValidationError naming both", () => {
    const attempt = () => parseStartSettings({ LOCAL_HTTP_PORT: "33410", LOCAL_SQS_PORT: "33410" });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/LOCAL_SQS_PORT: port 33410 is also LOCAL_HTTP_PORT's/);
  });

  it("a variable set to a default port another one keeps: refused too", () => {
    const { ports } = parseStartSettings({});
    expect(() => parseStartSettings({ LOCAL_HTTP_PORT: String(ports.LOCAL_SQS_PORT) })).toThrow(/is also LOCAL_HTTP_PORT's|is also LOCAL_SQS_PORT's/);
  });

  it("any number of 0s (any free port) is fine", () => {
    const zeros = parseStartSettings({ LOCAL_HTTP_PORT: "0", LOCAL_SQS_PORT: "0", LOCAL_DYNAMODB_PORT: "0" });
    expect([zeros.ports.LOCAL_HTTP_PORT, zeros.ports.LOCAL_SQS_PORT, zeros.ports.LOCAL_DYNAMODB_PORT]).toEqual([0, 0, 0]);
  });
});

/**
 * What an SlsError says and what it withholds: operators read the messages, and the server may
 * echo signed material, so both are pinned here (mutation testing found them unasserted).
 */
import { describe, expect, it } from "vitest";
import { TransportError } from "../../../src/http/errors.ts";
import { classifySlsError, slsErrorFromResponse, slsErrorFromTransport } from "../../../src/providers/sls/errors.ts";

const answer = (status: number, body: string) => ({ status, headers: {}, body: Buffer.from(body) });
const list = { operation: "ListConsumerGroup", idempotent: true };

describe("classifySlsError beyond the status table", () => {
  it("no answer at all (status 0) is transient", () => {
    expect(classifySlsError(0, "Transport.reset")).toBe("transient");
  });

  it("server-trouble codes are transient whatever the status", () => {
    for (const code of ["InternalServerError", "ServerBusy", "RequestTimeout"]) expect(classifySlsError(400, code), code).toBe("transient");
  });
});

describe("SlsError messages", () => {
  it("reads operation, status, code and the server's message", () => {
    const error = slsErrorFromResponse(answer(404, '{"errorCode":"LogStoreNotExist","errorMessage":"logstore x does not exist"}'), list);
    expect(error.name).toBe("SlsError");
    expect(error.message).toBe("ListConsumerGroup failed: HTTP 404 LogStoreNotExist: logstore x does not exist");
  });

  it("says nothing more when there is no message", () => {
    expect(slsErrorFromResponse(answer(502, "<html>bad gateway</html>"), list).message).toBe("ListConsumerGroup failed: HTTP 502 HTTP.502");
    expect(slsErrorFromResponse(answer(500, '{"errorCode":"X","errorMessage":42}'), list).message).toBe("ListConsumerGroup failed: HTTP 500 X");
  });

  it("takes the code only from a non-empty string errorCode", () => {
    expect(slsErrorFromResponse(answer(500, '{"errorCode":123,"errorMessage":"m"}'), list).code).toBe("HTTP.500");
    expect(slsErrorFromResponse(answer(500, '{"errorCode":["ServerBusy"]}'), list).code).toBe("HTTP.500");
  });

  it("withholds the message of credential and signature errors entirely", () => {
    const error = slsErrorFromResponse(answer(401, '{"errorCode":"SignatureNotMatch","errorMessage":"string to sign: GET\\n..."}'), list);
    expect(error.message).toBe("ListConsumerGroup failed: HTTP 401 SignatureNotMatch");
  });

  it("keeps at most 200 characters of the server's message", () => {
    const long = "m".repeat(250);
    expect(slsErrorFromResponse(answer(400, JSON.stringify({ errorCode: "JsonInfoInvalid", errorMessage: long })), list).message).toBe(
      `ListConsumerGroup failed: HTTP 400 JsonInfoInvalid: ${"m".repeat(200)}`,
    );
  });

  it("replaces an echoed secret with [redacted], and an empty redaction value changes nothing", () => {
    const echoed = answer(500, '{"errorCode":"InternalServerError","errorMessage":"token TOKEN-1 expired"}');
    expect(slsErrorFromResponse(echoed, { ...list, redact: ["TOKEN-1"] }).message).toBe(
      "ListConsumerGroup failed: HTTP 500 InternalServerError: token [redacted] expired",
    );
    expect(slsErrorFromResponse(echoed, { ...list, redact: [""] }).message).toBe("ListConsumerGroup failed: HTTP 500 InternalServerError: token TOKEN-1 expired");
  });

  it("a transport failure names the operation and the failure; a reclassified error keeps its story", () => {
    const error = slsErrorFromTransport(new TransportError("timeout", "no answer within 300 ms", true), "CreateConsumerGroup");
    expect(error.message).toBe("CreateConsumerGroup failed: no answer within 300 ms");
    const permanent = slsErrorFromResponse(answer(401, '{"errorCode":"Unauthorized"}'), list).reclassified("permanent", "still rejected after a re-read");
    expect(permanent.message).toBe("ListConsumerGroup failed: HTTP 401 Unauthorized (still rejected after a re-read)");
    expect(permanent).toMatchObject({ errorClass: "permanent", code: "Unauthorized", httpStatus: 401, retryable: false });
  });
});

import { describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/errors.ts";
import { RateLimitDeadlineError, TransportError } from "../../../src/http/errors.ts";
import {
  classifyImErrorCode,
  groupConflictError,
  imErrorFromCode,
  imErrorFromHttpStatus,
  imErrorFromTransport,
  TencentImError,
} from "../../../src/providers/tencent-im/errors.ts";

/** The table of PROVIDERS.md "Error classes", written out independently of the implementation. */
const documented: Array<[number, string]> = [
  ...[10002, 60007, 60011, 60014, 60018, 60019, 70169, 70202, 70500].map((c): [number, string] => [c, "transient"]),
  [10006, "throttled"],
  [70001, "credentials"],
  [70052, "credentials"],
  // "our credentials wrong or mid-rotation: re-read the secret once, then retryable with a long backoff"
  ...[70009, 70013, 70014].map((c): [number, string] => [c, "credentials"]),
  ...[60006, 60010, 60016, 60020, 60021, 70016, 70020, 70403].map((c): [number, string] => [c, "permanent"]),
  ...[10003, 10004, 10005, 10007, 10015, 10019, 60002, 60003, 60015, 70402, 80001].map((c): [number, string] => [c, "permanent"]),
  ...[10016, 10036, 10037, 10038, 10058].map((c): [number, string] => [c, "permanent"]),
  [10021, "exists"],
  [10025, "exists"],
];

describe("classifyImErrorCode", () => {
  it.each(documented)("classifies %i as %s", (code, errorClass) => {
    expect(classifyImErrorCode(code)).toBe(errorClass);
  });

  it("treats an unknown code as permanent (never hammered)", () => {
    expect(classifyImErrorCode(12345)).toBe("permanent");
  });
});

describe("TencentImError builders", () => {
  it("builds a ProviderError for tencent-im with the code as a string", () => {
    const err = imErrorFromCode("get_group_info", 10006, "too many requests", "42");
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toBeInstanceOf(TencentImError);
    expect(err).toMatchObject({ provider: "tencent-im", code: "10006", httpStatus: 200, errorClass: "throttled", requestId: "42", retryable: true });
  });

  it("marks 10002 ambiguous on create_group only", () => {
    expect(imErrorFromCode("create_group", 10002, "").ambiguous).toBe(true);
    expect(imErrorFromCode("get_group_info", 10002, "").ambiguous).toBe(false);
    expect(imErrorFromCode("create_group", 10004, "").ambiguous).toBe(false);
  });

  it.each([502, 503, 504])("treats HTTP %i as transient, ambiguous on create_group", (status) => {
    const create = imErrorFromHttpStatus("create_group", status);
    expect(create).toMatchObject({ code: `HTTP.${status}`, httpStatus: status, errorClass: "transient", ambiguous: true });
    expect(imErrorFromHttpStatus("destroy_group", status).ambiguous).toBe(false);
  });

  it("treats a 4xx HTTP answer as permanent", () => {
    expect(imErrorFromHttpStatus("create_group", 404)).toMatchObject({ errorClass: "permanent", ambiguous: false });
  });

  it("treats transport failures as transient; ambiguous only when create_group bytes may have left", () => {
    const sent = imErrorFromTransport("create_group", new TransportError("timeout", "no complete answer within 300 ms", true));
    expect(sent).toMatchObject({ code: "Transport.Timeout", httpStatus: 0, errorClass: "transient", ambiguous: true });
    const refused = imErrorFromTransport("create_group", new TransportError("connect", "could not connect", false));
    expect(refused).toMatchObject({ code: "Transport.Connect", ambiguous: false });
    expect(imErrorFromTransport("account_import", new TransportError("reset", "reset", true)).ambiguous).toBe(false);
    expect(imErrorFromTransport("create_group", new RateLimitDeadlineError("x"))).toMatchObject({ code: "RateLimit.Deadline", ambiguous: false });
  });

  it("reports a conflict as errorClass conflict, not retryable, naming the fields", () => {
    const err = groupConflictError("t-42", ["Owner_Account", "marker"]);
    expect(err).toMatchObject({ errorClass: "conflict", retryable: false, code: "GroupConflict" });
    expect(err.message).toContain("Owner_Account, marker");
    expect(err.toJSON()).toMatchObject({ provider: "tencent-im", errorClass: "conflict" });
  });
});

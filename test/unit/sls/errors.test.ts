import { describe, expect, it } from "vitest";
import { ProviderError } from "../../../src/errors.ts";
import { TransportError } from "../../../src/http/errors.ts";
import { classifySlsError, SlsError, slsErrorFromResponse, slsErrorFromTransport } from "../../../src/providers/sls/errors.ts";

describe("classifySlsError", () => {
  it.each([
    [500, "InternalServerError", "transient"],
    [503, "ServerBusy", "transient"],
    [502, "HTTP.502", "transient"],
    [504, "SomethingNew", "transient"],
    // A bare 500 (the lowest server status) with a code SLS never documented, or none at all.
    [500, "SomethingNew", "transient"],
    [500, "HTTP.500", "transient"],
    [499, "SomethingNew", "permanent"],
    [403, "WriteQuotaExceed", "throttled"],
    [403, "ReadQuotaExceed", "throttled"],
    [403, "ProjectQuotaExceed", "throttled"],
    // CreateLogStore's answer when the project holds its quota of logstores: a count, not a rate.
    [400, "ProjectQuotaExceed", "permanent"],
    [429, "HTTP.429", "throttled"],
    [401, "Unauthorized", "credentials"],
    [401, "InvalidAccessKeyId", "credentials"],
    // The Python SDK's auth-error list (logclient.py _auth_code_set): an expired STS token.
    [401, "SecurityTokenExpired", "credentials"],
    [400, "SecurityToken.Expired", "credentials"],
    [400, "ConsumerGroupAlreadyExist", "exists"],
    [400, "LogStoreAlreadyExist", "exists"],
    // The CreateLogstore reference page's spelling.
    [400, "LogstoreAlreadyExist", "exists"],
    [400, "LogStoreInfoInvalid", "permanent"],
    // A key that does not sign (wrong or mid-rotation): re-read once, then retried later.
    [401, "SignatureNotMatch", "credentials"],
    [401, "SecurityTokenExpired", "credentials"],
    [401, "SecurityToken.Expired", "credentials"],
    [400, "JsonInfoInvalid", "permanent"],
    [404, "ProjectNotExist", "permanent"],
    [404, "LogStoreNotExist", "permanent"],
    [404, "ConsumerGroupNotExist", "permanent"],
    [400, "RequestTimeExpired", "permanent"],
    [400, "ConsumerGroupQuotaExceed", "permanent"],
    [403, "ProjectForbidden", "permanent"],
  ] as const)("HTTP %i %s is %s", (status, code, expected) => {
    expect(classifySlsError(status, code)).toBe(expected);
  });
});

describe("slsErrorFromResponse", () => {
  const response = (status: number, body: string, requestId = "5AEC168FA796F4195BF404CB") => ({
    status,
    headers: { "x-log-requestid": requestId },
    body: Buffer.from(body),
  });

  it("reads errorCode, errorMessage and the request id", () => {
    const error = slsErrorFromResponse(response(404, '{"errorCode":"LogStoreNotExist","errorMessage":"logstore x does not exist"}'), {
      operation: "ListConsumerGroup",
      idempotent: true,
    });
    expect(error).toBeInstanceOf(SlsError);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.toJSON()).toMatchObject({
      provider: "sls",
      operation: "ListConsumerGroup",
      code: "LogStoreNotExist",
      httpStatus: 404,
      requestId: "5AEC168FA796F4195BF404CB",
      errorClass: "permanent",
      retryable: false,
      ambiguous: false,
    });
    expect(error.message).toContain("logstore x does not exist");
  });

  it("makes a 5xx ambiguous only for a non-idempotent call", () => {
    const busy = response(503, '{"errorCode":"ServerBusy","errorMessage":"busy"}');
    expect(slsErrorFromResponse(busy, { operation: "CreateConsumerGroup", idempotent: false }).ambiguous).toBe(true);
    expect(slsErrorFromResponse(busy, { operation: "UpdateConsumerGroup", idempotent: true }).ambiguous).toBe(false);
    const exists = response(400, '{"errorCode":"ConsumerGroupAlreadyExist","errorMessage":"exists"}');
    expect(slsErrorFromResponse(exists, { operation: "CreateConsumerGroup", idempotent: false }).ambiguous).toBe(false);
  });

  it("a bare 500 is ambiguous for a non-idempotent call (the edge of 5xx), a 499 never", () => {
    const internal = response(500, '{"errorCode":"InternalServerError","errorMessage":"oops"}');
    expect(slsErrorFromResponse(internal, { operation: "CreateConsumerGroup", idempotent: false }).ambiguous).toBe(true);
    const closed = response(499, '{"errorCode":"RequestCanceled","errorMessage":"client closed"}');
    expect(slsErrorFromResponse(closed, { operation: "CreateConsumerGroup", idempotent: false }).ambiguous).toBe(false);
  });

  it("keeps the answer's Date header, which the client reads to correct a skewed clock", () => {
    const skewed = { ...response(403, '{"errorCode":"RequestTimeTooSkewed","errorMessage":"skewed"}'), headers: { "x-log-requestid": "r", date: "Mon, 30 Nov 2026 20:00:00 GMT" } };
    expect(slsErrorFromResponse(skewed, { operation: "ListConsumerGroup", idempotent: true }).serverDate).toBe("Mon, 30 Nov 2026 20:00:00 GMT");
  });

  it("falls back to HTTP.<status> when the body is not an SLS error", () => {
    const error = slsErrorFromResponse(response(502, "<html>bad gateway</html>"), { operation: "ListConsumerGroup", idempotent: true });
    expect([error.code, error.errorClass]).toEqual(["HTTP.502", "transient"]);
  });

  it.each([
    ["no body", "", "HTTP.500"],
    ["an empty JSON object", "{}", "HTTP.500"],
    ["an empty errorCode", '{"errorCode":"","errorMessage":"oops"}', "HTTP.500"],
    ["an unknown errorCode", '{"errorCode":"SomethingNew","errorMessage":"oops"}', "SomethingNew"],
  ])("makes a bare HTTP 500 with %s a retryable, transient error", (_label, body, code) => {
    const error = slsErrorFromResponse(response(500, body), { operation: "ListConsumerGroup", idempotent: true });
    expect(error).toMatchObject({ code, httpStatus: 500, errorClass: "transient", retryable: true });
  });

  it("never repeats secrets the server echoes", () => {
    const echoed = response(401, '{"errorCode":"SignatureNotMatch","errorMessage":"server string to sign: x-acs-security-token:TOKEN-123"}');
    const error = slsErrorFromResponse(echoed, { operation: "ListConsumerGroup", idempotent: true, redact: ["TOKEN-123"] });
    expect(JSON.stringify(error.toJSON())).not.toContain("TOKEN-123");
    const other = response(500, '{"errorCode":"InternalServerError","errorMessage":"oops SECRET-9 leaked"}');
    expect(slsErrorFromResponse(other, { operation: "ListConsumerGroup", idempotent: true, redact: ["SECRET-9"] }).message).not.toContain("SECRET-9");
  });
});

describe("slsErrorFromTransport", () => {
  it.each([
    ["timeout", true],
    ["reset", true],
    ["connect", false],
  ] as const)("maps %s (sent=%s) to Transport.%s, transient, ambiguous as sent", (failure, sent) => {
    const error = slsErrorFromTransport(new TransportError(failure, "no answer", sent), "CreateConsumerGroup");
    expect(error).toMatchObject({ code: `Transport.${failure}`, httpStatus: 0, errorClass: "transient", ambiguous: sent });
    expect(error.retryable).toBe(true);
  });
});

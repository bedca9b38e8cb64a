/**
 * What a TencentImError says: operators read these messages and callers switch on the fields,
 * so both are pinned here (mutation testing found them unasserted).
 */
import { describe, expect, it } from "vitest";
import { RateLimitDeadlineError, TransportError } from "../../../src/http/errors.ts";
import { groupConflictError, imErrorFromCode, imErrorFromHttpStatus, imErrorFromTransport } from "../../../src/providers/tencent-im/errors.ts";

describe("TencentImError messages and fields", () => {
  it("names the operation, the code and the provider's ErrorInfo", () => {
    const error = imErrorFromCode("create_group", 10037, "group count limit");
    expect(error.name).toBe("TencentImError");
    expect(error.message).toBe("create_group failed: ErrorCode 10037 (group count limit)");
    expect(imErrorFromCode("create_group", 10037, "").message).toBe("create_group failed: ErrorCode 10037");
  });

  it("keeps at most 200 characters of ErrorInfo, marking the cut", () => {
    const exact = "x".repeat(200);
    expect(imErrorFromCode("get_group_info", 70500, exact).message).toBe(`get_group_info failed: ErrorCode 70500 (${exact})`);
    expect(imErrorFromCode("get_group_info", 70500, `${exact}TAIL`).message).toBe(`get_group_info failed: ErrorCode 70500 (${exact}…)`);
  });

  it.each([
    [500, "transient", true],
    [501, "transient", true],
    [502, "transient", true],
    [505, "transient", true],
    [499, "permanent", false],
    [404, "permanent", false],
  ] as const)("an HTTP %i answer is %s (create_group ambiguous: %s)", (status, errorClass, ambiguous) => {
    const error = imErrorFromHttpStatus("create_group", status);
    expect(error).toMatchObject({ code: `HTTP.${status}`, httpStatus: status, errorClass, ambiguous, operation: "create_group" });
    expect(error.message).toBe(`create_group failed: HTTP ${status}`);
    // An idempotent read is never ambiguous.
    expect(imErrorFromHttpStatus("get_group_info", status).ambiguous).toBe(false);
  });

  it("a rate-limit wait past the deadline is transient, retryable and never ambiguous (nothing was sent)", () => {
    const error = imErrorFromTransport("create_group", new RateLimitDeadlineError("no token"));
    expect(error).toMatchObject({ code: "RateLimit.Deadline", httpStatus: 0, errorClass: "transient", retryable: true, ambiguous: false });
    expect(error.message).toBe("create_group not sent: no rate-limit token before the deadline");
  });

  it("a transport failure names the operation and the failure", () => {
    const error = imErrorFromTransport("account_import", new TransportError("reset", "connection reset", true));
    expect(error.message).toBe("account_import failed: connection reset");
    expect(error.code).toBe("Transport.Reset");
  });

  it("a conflict is definite (not ambiguous) and belongs to ensure_group", () => {
    expect(groupConflictError("tenant-42", ["Type", "marker"])).toMatchObject({
      code: "GroupConflict",
      errorClass: "conflict",
      ambiguous: false,
      retryable: false,
      operation: "ensure_group",
      message: 'group "tenant-42" exists but is not ours (differs in Type, marker); left untouched',
    });
  });
});

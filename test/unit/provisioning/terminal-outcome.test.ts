/**
 * terminalOutcome: which run result is a generation's outcome to announce, and what the
 * announcement says (the event consumers see). Announced too early or with the wrong time or
 * failure, a consumer acts on a tenant that is not ready.
 */
import { describe, expect, it } from "vitest";
import { terminalOutcome } from "../../../src/provisioning/announce.ts";
import type { ProvisionResult, StepOutcome } from "../../../src/provisioning/types.ts";

const sls = (fields: Partial<StepOutcome> = {}): StepOutcome => ({
  step: "sls-consumer-group",
  provider: "sls",
  status: "SUCCEEDED",
  action: "ran",
  attempts: 1,
  resource: { consumerGroup: "tenant-1", logstore: "signups-0" },
  generation: 2,
  updatedAt: "2026-12-01T10:00:05.000Z",
  ...fields,
});
const im = (fields: Partial<StepOutcome> = {}): StepOutcome => ({
  step: "im-group",
  provider: "tencent-im",
  status: "SUCCEEDED",
  action: "ran",
  attempts: 1,
  resource: { groupId: "tenant-1" },
  generation: 2,
  updatedAt: "2026-12-01T10:00:03.000Z",
  ...fields,
});
const result = (steps: StepOutcome[], fields: Partial<ProvisionResult> = {}): ProvisionResult => ({
  tenantId: "tenant-1",
  generation: 2,
  desired: "PRESENT",
  steps,
  succeeded: true,
  retryable: false,
  ...fields,
});

describe("terminalOutcome", () => {
  it("every step SUCCEEDED for the generation: TenantProvisioned at the latest step's time, with each step's resource", () => {
    expect(terminalOutcome(result([im(), sls()]))).toEqual({
      outcome: "TenantProvisioned",
      occurredAt: "2026-12-01T10:00:05.000Z",
      steps: [
        { step: "im-group", status: "SUCCEEDED", resource: { groupId: "tenant-1" } },
        { step: "sls-consumer-group", status: "SUCCEEDED", resource: { consumerGroup: "tenant-1", logstore: "signups-0" } },
      ],
    });
    expect(terminalOutcome(result([sls(), im({ updatedAt: "2026-12-01T10:00:09.000Z" })]))?.occurredAt).toBe("2026-12-01T10:00:09.000Z");
  });

  it("nothing while any step is unfinished, or finished only for an older generation, or when there are no steps", () => {
    expect(terminalOutcome(result([sls(), im({ status: "IN_PROGRESS" })]))).toBeUndefined();
    expect(terminalOutcome(result([sls({ status: "FAILED_RETRYABLE" }), im()]))).toBeUndefined();
    expect(terminalOutcome(result([sls(), im({ generation: 1 })]))).toBeUndefined();
    expect(terminalOutcome(result([sls({ generation: 1 }), im({ generation: 1 })]))).toBeUndefined();
    expect(terminalOutcome(result([]))).toBeUndefined();
  });

  it("a step without a recorded time does not hide the others'; none recorded is the epoch", () => {
    expect(terminalOutcome(result([sls({ updatedAt: undefined }), im()]))?.occurredAt).toBe("2026-12-01T10:00:03.000Z");
    expect(terminalOutcome(result([sls({ updatedAt: undefined }), im({ updatedAt: undefined })]))?.occurredAt).toBe("1970-01-01T00:00:00.000Z");
  });

  it("a failed step: TenantProvisioningFailed naming the first failed step, its provider, code and request id", () => {
    const failed = im({ status: "FAILED_PERMANENT", resource: {}, error: { code: "10004", message: "owner not imported", requestId: "r-1", provider: "tencent-im", errorClass: "permanent", httpStatus: 200 } });
    expect(terminalOutcome(result([sls(), failed]))).toMatchObject({
      outcome: "TenantProvisioningFailed",
      failure: { step: "im-group", status: "FAILED_PERMANENT", code: "10004", provider: "tencent-im", requestId: "r-1", message: "owner not imported" },
    });
    // A CONFLICT without an error record: the status is the code.
    expect(terminalOutcome(result([sls({ status: "CONFLICT", error: undefined }), failed]))?.failure).toEqual({
      step: "sls-consumer-group",
      status: "CONFLICT",
      code: "CONFLICT",
      provider: "sls",
      requestId: undefined,
      message: undefined,
    });
  });

  it("offboarding: TenantDeprovisioned once every step is DELETED; a SUCCEEDED step left is no outcome", () => {
    const absent = { desired: "ABSENT" as const };
    expect(terminalOutcome(result([sls({ status: "DELETED" }), im({ status: "DELETED" })], absent))?.outcome).toBe("TenantDeprovisioned");
    expect(terminalOutcome(result([sls({ status: "DELETED" }), im()], absent))).toBeUndefined();
    expect(terminalOutcome(result([sls({ status: "DELETED" }), im()]))).toBeUndefined();
  });
});

/** removeConsumerGroup (offboarding) against the strict SLS sandbox over real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { SlsError } from "../../../src/providers/sls/errors.ts";
import type { SlsClient } from "../../../src/providers/sls/types.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { clientFor, LOGSTORE, PROJECT, startSandbox } from "./harness.ts";

let sandbox: SlsSandbox;
let sls: SlsClient;

function names(): string[] {
  return (sandbox.state().groups[PROJECT]?.[LOGSTORE] ?? []).map((g) => g.name);
}

beforeEach(async () => {
  sandbox = await startSandbox();
  sls = clientFor(sandbox);
});

afterEach(async () => {
  sls.close();
  await sandbox.close();
});

describe("removeConsumerGroup", () => {
  it("deletes the group and leaves its neighbours alone", async () => {
    await sls.ensureConsumerGroup({ name: "tenant-a", timeout: 60, order: false });
    await sls.ensureConsumerGroup({ name: "tenant-b", timeout: 60, order: false });
    const result = await sls.removeConsumerGroup({ name: "tenant-a" });
    expect(result.outcome).toBe("removed");
    expect(result.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(names()).toEqual(["tenant-b"]);
  });

  it("is idempotent: a second remove succeeds (SLS answers 200 for an absent group)", async () => {
    await sls.ensureConsumerGroup({ name: "tenant-a", timeout: 60, order: false });
    await sls.removeConsumerGroup({ name: "tenant-a" });
    await expect(sls.removeConsumerGroup({ name: "tenant-a" })).resolves.toMatchObject({ outcome: "removed" });
    expect(names()).toEqual([]);
  });

  it("takes ConsumerGroupNotExist as already absent", async () => {
    sandbox.faults.configure({
      rules: [{ operation: "DeleteConsumerGroup", kind: "error", times: 1, error: { status: 404, code: "ConsumerGroupNotExist" } }],
    });
    await expect(sls.removeConsumerGroup({ name: "tenant-a" })).resolves.toMatchObject({ outcome: "already-absent" });
  });

  it("retries a transient failure and then deletes", async () => {
    await sls.ensureConsumerGroup({ name: "tenant-a", timeout: 60, order: false });
    sandbox.faults.configure({
      rules: [{ operation: "DeleteConsumerGroup", kind: "error", times: 2, error: { status: 500, code: "InternalServerError" } }],
    });
    await expect(sls.removeConsumerGroup({ name: "tenant-a" })).resolves.toMatchObject({ outcome: "removed" });
    expect(names()).toEqual([]);
    expect(sandbox.state().calls["DeleteConsumerGroup"]).toBe(3);
  });

  it("reports other errors typed (LogStoreNotExist is permanent)", async () => {
    const other = clientFor(sandbox, { logstore: "no-such-logstore" });
    try {
      const error = await other.removeConsumerGroup({ name: "tenant-a" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SlsError);
      expect(error).toMatchObject({ code: "LogStoreNotExist", retryable: false });
    } finally {
      other.close();
    }
  });

  it("refuses a bad name before any call", async () => {
    await expect(sls.removeConsumerGroup({ name: "bad name!" })).rejects.toBeInstanceOf(ValidationError);
    expect(sandbox.state().calls).not.toHaveProperty("DeleteConsumerGroup");
  });
});

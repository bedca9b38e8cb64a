/** The SLS client against the strict sandbox over real HTTP on 127.0.0.1. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { SlsError } from "../../../src/providers/sls/errors.ts";
import type { SlsClient } from "../../../src/providers/sls/types.ts";
import type { SlsSandbox } from "../../../src/sandbox/sls/types.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { clientFor, CountingCredentials, GOOD, LOGSTORE, PROJECT, startSandbox, STS } from "./harness.ts";

let sandbox: SlsSandbox;
const clients: SlsClient[] = [];

function client(...args: Parameters<typeof clientFor> extends [unknown, ...infer R] ? R : never): SlsClient {
  const c = clientFor(sandbox, ...args);
  clients.push(c);
  return c;
}

function groups(logstore = LOGSTORE) {
  return sandbox.state().groups[PROJECT]?.[logstore] ?? [];
}

async function failure(promise: Promise<unknown>): Promise<SlsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SlsError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

beforeEach(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sandbox.close();
});

describe("consumer group operations", () => {
  it("creates, lists, updates and deletes", async () => {
    const sls = client();
    const created = await sls.createConsumerGroup({ name: "tenant-1", timeout: 60, order: false });
    expect(created.outcome).toBe("created");
    expect(created.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(await sls.listConsumerGroups()).toEqual([{ name: "tenant-1", timeout: 60, order: false }]);

    await sls.updateConsumerGroup("tenant-1", { order: true });
    expect(await sls.listConsumerGroups()).toEqual([{ name: "tenant-1", timeout: 60, order: true }]);

    await sls.deleteConsumerGroup("tenant-1");
    expect(await sls.listConsumerGroups()).toEqual([]);
    // Deleting what is not there is success, as at SLS.
    await sls.deleteConsumerGroup("tenant-1");
  });

  it.each([
    ["v1 hmac-sha1", { signature: { version: "v1" as const, algorithm: "hmac-sha1" as const } }],
    ["v1 hmac-sha256", { signature: { version: "v1" as const, algorithm: "hmac-sha256" as const } }],
    ["v4", { signature: { version: "v4" as const, region: "cn-shanghai" } }],
    ["v1 with STS token", { credentials: new CountingCredentials(STS) }],
    ["v4 with STS token", { credentials: new CountingCredentials(STS), signature: { version: "v4" as const, region: "cn-shanghai" } }],
  ])("is accepted by the sandbox when signed with %s", async (_name, overrides) => {
    const sls = client(overrides);
    await sls.ensureConsumerGroup({ name: "tenant-sig", timeout: 45, order: true });
    await sls.updateConsumerGroup("tenant-sig", { timeout: 50 });
    expect(await sls.listConsumerGroups()).toEqual([{ name: "tenant-sig", timeout: 50, order: true }]);
    await sls.deleteConsumerGroup("tenant-sig");
    expect(sandbox.state().rejections).toEqual({});
  });

  it("rejects invalid input before any call", async () => {
    const sls = client();
    await expect(sls.createConsumerGroup({ name: "bad name!", timeout: 60, order: false })).rejects.toBeInstanceOf(ValidationError);
    // The message says which operation refused it.
    await expect(sls.createConsumerGroup({ name: "bad name!", timeout: 60, order: false })).rejects.toThrow(/^CreateConsumerGroup: invalid input: name: /);
    await expect(sls.ensureConsumerGroup({ name: "ok", timeout: 0, order: false })).rejects.toMatchObject({
      issues: [{ field: "timeout", rule: "at least 1 second" }],
    });
    await expect(sls.updateConsumerGroup("ok", {})).rejects.toMatchObject({
      issues: [{ field: "settings", rule: "at least one of timeout, order" }],
    });
    expect(sandbox.state().calls).toEqual({});
  });
});

describe("ensureConsumerGroup converges", () => {
  it("creates a missing group", async () => {
    const result = await client().ensureConsumerGroup({ name: "tenant-2", timeout: 60, order: true });
    expect(result).toEqual({ outcome: "created", group: { name: "tenant-2", timeout: 60, order: true } });
    expect(groups()).toEqual([{ name: "tenant-2", timeout: 60, order: true }]);
  });

  it("accepts an existing group with the same settings without changing it", async () => {
    const sls = client();
    await sls.createConsumerGroup({ name: "tenant-3", timeout: 60, order: true });
    const result = await sls.ensureConsumerGroup({ name: "tenant-3", timeout: 60, order: true });
    expect(result.outcome).toBe("already-existed");
    expect(sandbox.state().calls).toEqual({ CreateConsumerGroup: 2, ListConsumerGroup: 1 });
  });

  it("updates an existing group whose settings differ", async () => {
    const sls = client();
    await sls.createConsumerGroup({ name: "tenant-4", timeout: 60, order: true });
    const result = await sls.ensureConsumerGroup({ name: "tenant-4", timeout: 120, order: false });
    expect(result).toEqual({ outcome: "updated", group: { name: "tenant-4", timeout: 120, order: false } });
    expect(groups()).toEqual([{ name: "tenant-4", timeout: 120, order: false }]);
    expect(sandbox.state().calls["UpdateConsumerGroup"]).toBe(1);
  });

  // Each setting on its own: a convergence check that compares only one of them leaves the other wrong.
  it.each([
    ["order alone", { timeout: 60, order: false }],
    ["timeout alone", { timeout: 90, order: true }],
  ])("updates an existing group when %s differs", async (_label, wanted) => {
    const sls = client();
    await sls.createConsumerGroup({ name: "tenant-4b", timeout: 60, order: true });
    const result = await sls.ensureConsumerGroup({ name: "tenant-4b", ...wanted });
    expect(result).toEqual({ outcome: "updated", group: { name: "tenant-4b", ...wanted } });
    expect(groups()).toEqual([{ name: "tenant-4b", ...wanted }]);
  });
});

describe("error classes", () => {
  it("retries transient errors and then succeeds", async () => {
    sandbox.faults.configure({
      rules: [{ operation: "CreateConsumerGroup", kind: "error", times: 2, error: { status: 503, code: "ServerBusy" } }],
    });
    const result = await client().ensureConsumerGroup({ name: "tenant-5", timeout: 60, order: false });
    expect(result.outcome).toBe("created");
    expect(sandbox.state().calls["CreateConsumerGroup"]).toBe(3);
    expect(groups()).toHaveLength(1);
  });

  it("gives up on transient errors after the policy's attempts with a retryable error", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" } }] });
    const error = await failure(client().ensureConsumerGroup({ name: "tenant-6", timeout: 60, order: false }));
    expect(error).toMatchObject({ code: "InternalServerError", httpStatus: 500, errorClass: "transient", operation: "CreateConsumerGroup" });
    expect(error.retryable).toBe(true);
    // A 5xx on Create may have created the group.
    expect(error.ambiguous).toBe(true);
    expect(error.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(sandbox.state().calls["CreateConsumerGroup"]).toBe(4);
    expect(groups()).toEqual([]);
  });

  it("stops at the deadline even with attempts left", async () => {
    // Client and sandbox share a clock the test owns, an hour ahead of real time (so the real
    // per-attempt deadline never cuts a call short), and the jitter is pinned: with the system's
    // jitter and real time, draws near 0 fitted all 100 attempts inside the 150 ms.
    await sandbox.close();
    const clock = new FakeClock(Date.now() + 3_600_000);
    sandbox = await startSandbox({ clock });
    sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" } }] });
    const sls = client({ clock, random: () => 0.5, retryPolicy: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 40 } });
    const error = await failure(sls.listConsumerGroups({ deadline: clock.now() + 150 }));
    expect(error).toMatchObject({ errorClass: "transient", code: "InternalServerError" });
    // Backoffs of 10 ms, then 20 ms (half of the 40 ms cap) each: 130 ms slept over 8 attempts;
    // the next 20 ms would end at the deadline itself, so the call gives up with 92 attempts left.
    expect(clock.sleeps).toEqual([10, 20, 20, 20, 20, 20, 20]);
    expect(sandbox.state().calls["ListConsumerGroup"]).toBe(8);
  });

  it("backs off on throttling and succeeds once the rate window has passed", async () => {
    await sandbox.close();
    const clock = new FakeClock(Date.now());
    sandbox = await startSandbox({ clock, faults: { rateLimits: [{ operation: "CreateConsumerGroup", perSecond: 1 }] } });
    const sls = client({ clock, random: () => 0.99, retryPolicy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 5_000, throttledBaseDelayMs: 2_000 } });
    await sls.createConsumerGroup({ name: "tenant-7a", timeout: 60, order: false });
    await sls.createConsumerGroup({ name: "tenant-7b", timeout: 60, order: false });
    expect(sandbox.state().throttled).toBe(1);
    // The throttled retry waited the long (throttled) backoff on the injected clock.
    expect(clock.sleeps).toEqual([1980]);
    expect(groups().map((g) => g.name)).toEqual(["tenant-7a", "tenant-7b"]);
  });

  it("reports throttling as a throttled, retryable error when it persists", async () => {
    sandbox.faults.configure({ rateLimits: [{ operation: "ListConsumerGroup", perSecond: 1 }] });
    const sls = client({ retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, throttledBaseDelayMs: 2 } });
    await sls.listConsumerGroups();
    const error = await failure(sls.listConsumerGroups());
    expect(error).toMatchObject({ code: "ReadQuotaExceed", httpStatus: 403, errorClass: "throttled", ambiguous: false });
    expect(error.retryable).toBe(true);
    expect(sandbox.state().throttled).toBe(2);
  });

  it("re-reads credentials once after a wrong secret and succeeds with the new one", async () => {
    const credentials = new CountingCredentials({ ...GOOD, accessKeySecret: "stale-secret" }, GOOD);
    const result = await client({ credentials }).ensureConsumerGroup({ name: "tenant-8", timeout: 60, order: false });
    expect(result.outcome).toBe("created");
    expect(credentials.refreshes).toBe(1);
    expect(sandbox.state().rejections).toEqual({ SignatureNotMatch: 1 });
  });

  it("a wrong secret that a re-read does not change stays a credentials error (rotation in progress), without retrying it", async () => {
    const wrong = { ...GOOD, accessKeySecret: "wrong-secret-value" };
    const credentials = new CountingCredentials(wrong, wrong);
    const error = await failure(client({ credentials }).createConsumerGroup({ name: "tenant-9", timeout: 60, order: false }));
    expect(error).toMatchObject({ code: "SignatureNotMatch", httpStatus: 401, errorClass: "credentials" });
    expect(credentials.refreshes).toBe(1);
    expect(sandbox.state().rejections).toEqual({ SignatureNotMatch: 1 });
    expect(JSON.stringify(error.toJSON())).not.toContain("wrong-secret-value");
  });

  it("re-reads credentials once after an unknown key id (rotation) and succeeds", async () => {
    const credentials = new CountingCredentials({ accessKeyId: "LTAI-rotated-away", accessKeySecret: "old" }, GOOD);
    await client({ credentials }).createConsumerGroup({ name: "tenant-10", timeout: 60, order: false });
    expect(credentials.refreshes).toBe(1);
    expect(sandbox.state().rejections).toEqual({ InvalidAccessKeyId: 1 });
  });

  it("credentials still rejected after the re-read stay a credentials error (retried later by the core, not in the call)", async () => {
    const gone = { accessKeyId: "LTAI-deleted", accessKeySecret: "old" };
    const credentials = new CountingCredentials(gone, gone);
    const error = await failure(client({ credentials }).createConsumerGroup({ name: "tenant-11", timeout: 60, order: false }));
    expect(error).toMatchObject({ code: "InvalidAccessKeyId", errorClass: "credentials" });
    expect(error.message).toContain("rotation may be in progress");
    expect(error.retryable).toBe(false);
    expect(credentials.refreshes).toBe(1);
    // The re-read gave the same key: it is not sent again.
    expect(sandbox.state().rejections).toEqual({ InvalidAccessKeyId: 1 });

    const rotatedTwice = new CountingCredentials(gone, { accessKeyId: "LTAI-also-gone", accessKeySecret: "x" });
    const again = await failure(client({ credentials: rotatedTwice }).createConsumerGroup({ name: "tenant-11", timeout: 60, order: false }));
    expect(again).toMatchObject({ code: "InvalidAccessKeyId", errorClass: "credentials" });
    expect(rotatedTwice.refreshes).toBe(1);
  });

  it("re-reads credentials after an expired STS token (Unauthorized) and never puts the token in the error", async () => {
    const expired = { ...STS, securityToken: "expired-token-value" };
    const credentials = new CountingCredentials(expired, expired);
    const error = await failure(client({ credentials }).listConsumerGroups());
    expect(error).toMatchObject({ code: "Unauthorized", errorClass: "credentials" });
    expect(credentials.refreshes).toBe(1);
    const recorded = JSON.stringify(error.toJSON()) + error.message;
    expect(recorded).not.toContain("expired-token-value");
    expect(recorded).not.toContain(STS.accessKeySecret);

    const renewed = new CountingCredentials(expired, STS);
    expect(await client({ credentials: renewed }).listConsumerGroups()).toEqual([]);
    expect(renewed.refreshes).toBe(1);
  });

  it("re-reads credentials once after SecurityTokenExpired and goes on with the renewed token", async () => {
    await sandbox.close();
    const clock = new FakeClock(Date.now());
    const expiring = { accessKeyId: "STS.expiring", accessKeySecret: "expiring-secret", securityToken: "expiring-token" };
    const renewed = { accessKeyId: "STS.renewed", accessKeySecret: "renewed-secret", securityToken: "renewed-token" };
    sandbox = await startSandbox({ clock, accounts: [{ ...expiring, securityTokenExpiresAt: clock.now() - 1 }, renewed] });

    const stale = new CountingCredentials(expiring, expiring);
    const error = await failure(client({ credentials: stale, clock }).listConsumerGroups());
    // Still rejected after the re-read: a rotation in progress, retried later by the core.
    expect(error).toMatchObject({ code: "SecurityTokenExpired", httpStatus: 401, errorClass: "credentials" });
    expect(stale.refreshes).toBe(1);
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain("expiring-token");

    const rotating = new CountingCredentials(expiring, renewed);
    expect(await client({ credentials: rotating, clock }).listConsumerGroups()).toEqual([]);
    expect(rotating.refreshes).toBe(1);
    // The unchanged re-read is not sent again: one rejection each.
    expect(sandbox.state().rejections).toEqual({ SecurityTokenExpired: 2 });
  });

  it("does not retry permanent errors", async () => {
    const missingStore = client({ logstore: "no-such-store" });
    expect(await failure(missingStore.listConsumerGroups())).toMatchObject({ code: "LogStoreNotExist", httpStatus: 404, errorClass: "permanent" });
    const missingProject = client({ project: "no-such-project" });
    expect(await failure(missingProject.listConsumerGroups())).toMatchObject({ code: "ProjectNotExist", httpStatus: 404, errorClass: "permanent" });
    const sls = client();
    expect(await failure(sls.updateConsumerGroup("never-created", { timeout: 90 }))).toMatchObject({
      code: "ConsumerGroupNotExist",
      errorClass: "permanent",
    });
    // One call each: none of them was retried.
    expect(sandbox.state().calls).toEqual({ ListConsumerGroup: 2, UpdateConsumerGroup: 1 });
  });

  it("reports the per-logstore quota of 30 consumer groups as permanent", async () => {
    const sls = client();
    for (let i = 0; i < 30; i++) await sls.createConsumerGroup({ name: `group-${i}`, timeout: 60, order: false });
    const error = await failure(sls.ensureConsumerGroup({ name: "group-30", timeout: 60, order: false }));
    expect(error).toMatchObject({ code: "ConsumerGroupQuotaExceed", errorClass: "permanent" });
    expect(groups()).toHaveLength(30);
  });
});

describe("ambiguous outcomes, timeouts and resets", () => {
  it.each([
    ["an error after the effect", { kind: "error-after-effect" as const, error: { status: 500, code: "InternalServerError" } }],
    ["a reset after the effect", { kind: "reset-after-effect" as const }],
    ["a hang after the effect", { kind: "hang-after-effect" as const }],
  ])("treats AlreadyExist after %s as success, with exactly one group", async (_name, fault) => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", times: 1, ...fault }] });
    // The retry after the hang must answer inside the same attempt timeout: keep it far above a
    // loopback call on a loaded machine.
    const result = await client({ attemptTimeoutMs: 1_000 }).ensureConsumerGroup({ name: "tenant-12", timeout: 60, order: false });
    expect(result).toEqual({ outcome: "created", group: { name: "tenant-12", timeout: 60, order: false } });
    expect(groups()).toEqual([{ name: "tenant-12", timeout: 60, order: false }]);
    expect(sandbox.state().createsApplied).toBe(1);
    expect(sandbox.state().calls["CreateConsumerGroup"]).toBe(2);
  });

  it("reports a confirmed ambiguous create from createConsumerGroup itself", async () => {
    sandbox.faults.configure({
      rules: [{ operation: "CreateConsumerGroup", kind: "error-after-effect", times: 1, error: { status: 503, code: "ServerBusy" } }],
    });
    const result = await client().createConsumerGroup({ name: "tenant-13", timeout: 60, order: false });
    expect(result.outcome).toBe("exists-after-ambiguous-attempt");
  });

  it("does not treat AlreadyExist as success without an earlier ambiguous attempt", async () => {
    const sls = client();
    await sls.createConsumerGroup({ name: "tenant-14", timeout: 60, order: false });
    expect(await failure(sls.createConsumerGroup({ name: "tenant-14", timeout: 60, order: false }))).toMatchObject({
      code: "ConsumerGroupAlreadyExist",
      errorClass: "exists",
    });
  });

  it("retries a hung call after the attempt timeout", async () => {
    sandbox.faults.configure({ rules: [{ operation: "ListConsumerGroup", kind: "hang", times: 1 }] });
    expect(await client({ attemptTimeoutMs: 1_000 }).listConsumerGroups()).toEqual([]);
    expect(sandbox.state().calls["ListConsumerGroup"]).toBe(2);
  });

  it("reports calls that always hang as an ambiguous transient timeout", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "hang" }] });
    const sls = client({ attemptTimeoutMs: 200, retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await failure(sls.createConsumerGroup({ name: "tenant-15", timeout: 60, order: false }));
    expect(error).toMatchObject({ code: "Transport.timeout", httpStatus: 0, errorClass: "transient", ambiguous: true });
    expect(groups()).toEqual([]);
  });

  it("times out an attempt when injected latency exceeds the attempt limit", async () => {
    sandbox.faults.configure({ latencyMs: 400 });
    const sls = client({ attemptTimeoutMs: 150, retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(await failure(sls.listConsumerGroups())).toMatchObject({ code: "Transport.timeout", errorClass: "transient" });
  });

  it("retries a reset connection without effect and creates once", async () => {
    sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "reset", times: 1 }] });
    const result = await client().ensureConsumerGroup({ name: "tenant-16", timeout: 60, order: false });
    expect(result.outcome).toBe("created");
    expect(sandbox.state().createsApplied).toBe(1);
  });

  it("reports a refused connection as transient and not ambiguous", async () => {
    const url = sandbox.url;
    await sandbox.close();
    sandbox = await startSandbox();
    const sls = client({ connectTo: url, retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const error = await failure(sls.listConsumerGroups());
    expect(error).toMatchObject({ code: "Transport.connect", errorClass: "transient", ambiguous: false });
  });
});

describe("a clock more than 15 minutes off", () => {
  it("is corrected once from SLS's Date: one RequestTimeExpired, then every call signs on the server's clock", async () => {
    // Our clock 20 minutes behind the sandbox's (the system clock); retry sleeps need no time.
    const behind = { now: () => Date.now() - 20 * 60_000, sleep: async () => {} };
    const sls = client({ clock: behind });
    const rejected = () => sandbox.state().rejections["RequestTimeExpired"] ?? 0;

    await sls.createConsumerGroup({ name: "tenant-skew", timeout: 60, order: false });
    expect(rejected()).toBe(1);
    expect(groups().map((g) => g.name)).toEqual(["tenant-skew"]);

    // The offset is kept: later calls are not refused first.
    expect((await sls.listConsumerGroups()).map((g) => g.name)).toEqual(["tenant-skew"]);
    await sls.updateConsumerGroup("tenant-skew", { timeout: 90 });
    expect(rejected()).toBe(1);
  });
});


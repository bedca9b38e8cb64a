/** Every IM error class end to end: what the client retries, renews, or gives up on. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/http/clock.ts";
import { createTencentImClient } from "../../../src/providers/tencent-im/client.ts";
import { TencentImError } from "../../../src/providers/tencent-im/errors.ts";
import { startTencentImSandbox } from "../../../src/sandbox/tencent-im/server.ts";
import type { FaultRule } from "../../../src/sandbox/faults.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { APP, type Harness, deadline, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  // Every call in the file shares this attempt timeout, so it must be far above a loopback call
  // on a loaded machine (a hang costs this much; 300 ms once cut a normal retry short).
  h = await startHarness({}, { attemptTimeoutMs: 1_000 });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.sandbox.reset();
  h.credentials.refreshes = 0; // one test's extra re-read must not fail the next one too
  h.sandbox.faults.configure({});
});

function only(...rules: FaultRule[]): void {
  h.sandbox.faults.configure({ rules });
}

describe("transient", () => {
  it.each<[string, FaultRule]>([
    ["10002", { operation: "get_group_info", kind: "error", error: { code: 10002 }, times: 2 }],
    ["60018", { operation: "get_group_info", kind: "error", error: { code: 60018 }, times: 2 }],
    ["HTTP 502", { operation: "get_group_info", kind: "error", error: { status: 502, code: 502 }, times: 2 }],
    ["HTTP 504", { operation: "get_group_info", kind: "error", error: { status: 504, code: 504 }, times: 2 }],
    ["a reset", { operation: "get_group_info", kind: "reset", times: 2 }],
    ["a hang (per-attempt timeout)", { operation: "get_group_info", kind: "hang", times: 1 }],
  ])("retries %s and succeeds", async (_label, rule) => {
    only(rule);
    expect(await h.client.getGroupInfo("nope", deadline())).toBeUndefined();
    expect(h.sandbox.state().counters.calls["get_group_info"]).toBe((rule.times ?? 0) + 1);
  });

  it("retries account_import after a reset (idempotent, so also after effect)", async () => {
    only({ operation: "account_import", kind: "reset-after-effect", times: 1 });
    await h.client.accountImport({ userId: "u1" }, deadline());
    expect(h.sandbox.state().accounts).toEqual(["u1"]);
    expect(h.sandbox.state().counters.calls["account_import"]).toBe(2);
  });

  it("gives up after the policy's attempts with the last transient error", async () => {
    only({ operation: "get_group_info", kind: "error", error: { code: 70500 } });
    const error = await h.client.getGroupInfo("g", deadline()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentImError);
    expect(error).toMatchObject({ code: "70500", errorClass: "transient", retryable: true, ambiguous: false });
    expect(h.sandbox.state().counters.calls["get_group_info"]).toBe(4);
  });

  it("stops at the deadline: a hang every time ends as a timeout, not later", async () => {
    only({ operation: "destroy_group", kind: "hang" });
    const error = await h.client.destroyGroup("g", { deadline: Date.now() + 500 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorClass: "transient" });
    expect((error as TencentImError).code).toMatch(/^Transport\.(Timeout|Deadline)$/);
    expect(h.sandbox.state().counters.calls["destroy_group"]).toBeLessThanOrEqual(2);
  });

  it("treats injected latency beyond the attempt timeout as a timeout", async () => {
    h.sandbox.faults.configure({ latencyMs: 1_000 });
    // One attempt, cut by its own 150 ms timeout long before the deadline.
    const short = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: h.sandbox.url,
      attemptTimeoutMs: 150,
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const error = await short.getGroupInfo("g", deadline()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "Transport.Timeout", errorClass: "transient", httpStatus: 0 });
    } finally {
      short.close();
    }
  });
});

describe("throttled", () => {
  it("backs off on 10006 from the sandbox's rate limit until every create goes through", async () => {
    await h.client.accountImport({ userId: "owner" }, deadline());
    h.sandbox.faults.configure({ rateLimits: [{ operation: "create_group", perSecond: 3 }] });
    // A client that does not pace itself, and retries throttled calls patiently. The jitter is
    // pinned to half the cap (backoffs 150, 300, 300... ms: the sandbox's one-second window has
    // passed by the fourth retry): with the system's jitter, draws near 0 spent all 12 attempts
    // inside the window and the create failed throttled.
    const eager = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: h.sandbox.url,
      rateLimits: { create_group: 10_000 },
      random: () => 0.5,
      retryPolicy: { maxAttempts: 12, baseDelayMs: 5, maxDelayMs: 600, throttledBaseDelayMs: 300 },
    });
    try {
      const ids = Array.from({ length: 5 }, (_, i) => `t${i}`);
      await Promise.all(ids.map((groupId) => eager.createGroup({ type: "Public", name: "n", groupId, ownerAccount: "owner" }, deadline(12_000))));
      const state = h.sandbox.state();
      expect(state.groups.map((g) => g.groupId).sort()).toEqual(ids);
      expect(state.counters.throttled).toBeGreaterThan(0);
      expect(state.counters.createGroupApplied).toBe(5);
    } finally {
      eager.close();
    }
  });

  // Client and sandbox share one clock the test owns, so the client's pacing waits move the
  // sandbox's rate windows too: the same burst throttles an unpaced client and not a paced one.
  it.each([
    ["paces itself under a rate limit below the sandbox's, so nothing is throttled", 2, 0],
    ["(control) an unpaced burst of the same calls is throttled by the same sandbox", 10_000, 3],
  ])("%s", async (_label, clientRate, throttled) => {
    const clock = new FakeClock(Date.now());
    const im = await startTencentImSandbox({ apps: [APP], clock, faults: { rateLimits: [{ operation: "create_group", perSecond: 5 }] } });
    const client = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: im.url,
      clock,
      rateLimits: { create_group: clientRate },
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      await client.accountImport({ userId: "owner" }, deadline());
      // One after another: a fake sleep ends at once, so concurrent callers would all reach the
      // sandbox at the clock's final time whatever their pacing.
      for (let i = 0; i < 8; i++) {
        await client.createGroup({ type: "Public", name: "n", groupId: `p${i}`, ownerAccount: "owner" }, { deadline: clock.now() + 60_000 }).catch(() => undefined);
      }
      expect(im.state().counters.throttled).toBe(throttled);
      expect(im.state().groups).toHaveLength(8 - throttled);
    } finally {
      client.close();
      await im.close();
    }
  });

  it("a rate-limit wait past the deadline fails without sending", async () => {
    // The client's clock stands still, so the next slot is a whole second away however long the
    // first call took on a loaded machine (real time would bring it within the 200 ms deadline).
    const clock = new FakeClock(Date.now());
    const slow = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: h.sandbox.url,
      clock,
      rateLimits: { get_group_info: 1 },
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      await slow.getGroupInfo("g", deadline());
      await expect(slow.getGroupInfo("g", { deadline: clock.now() + 200 })).rejects.toMatchObject({ code: "RateLimit.Deadline", ambiguous: false });
      expect(h.sandbox.state().counters.calls["get_group_info"]).toBe(1);
    } finally {
      slow.close();
    }
  });
});

describe("credentials", () => {
  it("on 70001 renews the UserSig once and succeeds", async () => {
    await h.client.accountImport({ userId: "warmup" }, deadline());
    only({ operation: "account_import", kind: "error", error: { code: 70001 }, times: 1 });
    await h.client.accountImport({ userId: "u1" }, deadline());
    const state = h.sandbox.state();
    expect(state.accounts).toContain("u1");
    expect(state.counters.distinctUserSigs).toBe(2);
    expect(h.credentials.refreshes).toBe(0);
  });

  it("on 70052 (UserSigs invalidated at the server) makes a new one that is accepted", async () => {
    // The sandbox and the client share a clock only the test moves, so the seconds are chosen, not
    // waited for: the cached UserSig is from an earlier second than the invalidation, and the
    // renewal comes in the invalidation's own second (CI once saw 70052 twice there).
    const clock = new FakeClock(1_700_000_000_500);
    const own = await startHarness({ clock }, { clock, attemptTimeoutMs: 1_000 });
    try {
      await own.client.accountImport({ userId: "warmup" }, deadline());
      clock.advance(1_000);
      own.sandbox.invalidateUserSigs();
      await own.client.accountImport({ userId: "u2" }, deadline());
      const state = own.sandbox.state();
      expect(state.accounts).toContain("u2");
      expect(state.counters.rejections).toEqual({ "70052": 1 });
      expect(own.credentials.refreshes).toBe(0);
    } finally {
      await own.close();
    }
  });

  it("re-reads credentials on a second rejection, then gives up as permanent", async () => {
    // A client whose clock is two days behind the sandbox's: every UserSig it makes is expired there.
    const behind = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: h.credentials,
      connectTo: h.sandbox.url,
      clock: { now: () => Date.now() - 2 * 86_400_000, sleep: systemClock.sleep },
      retryPolicy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const error = await behind.accountImport({ userId: "u3" }, deadline()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TencentImError);
      expect(error).toMatchObject({ code: "70001", errorClass: "permanent", retryable: false });
      expect(h.credentials.refreshes).toBe(1);
      expect(h.sandbox.state().counters.rejections).toEqual({ "70001": 3 });
      expect(h.sandbox.state().accounts).toEqual([]);
    } finally {
      behind.close();
    }
  });

  it("a wrong key (70009) re-reads the secret once, bypassing the reuse window, then stays a credentials error", async () => {
    let reloads = 0;
    const wrong = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: {
        get: async () => ({ ...APP, secretKey: "wrong" }),
        refresh: async () => ({ ...APP, secretKey: "wrong" }),
        reload: async () => {
          reloads++;
          return { ...APP, secretKey: "wrong" };
        },
      },
      connectTo: h.sandbox.url,
    });
    try {
      const error = await wrong.accountImport({ userId: "u4" }, deadline()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "70009", errorClass: "credentials" });
      expect((error as Error).message).not.toContain("wrong");
      expect(reloads).toBe(1);
      expect(h.sandbox.state().counters.rejections).toEqual({ "70009": 2 });
    } finally {
      wrong.close();
    }
  });

  it("does not retry account_import by an identifier that is not the app admin (70403, configuration)", async () => {
    const notAdmin = { ...APP, adminIdentifier: "bob" };
    const client = createTencentImClient({
      domain: "adminapisgp.im.qcloud.com",
      credentials: { get: async () => notAdmin, refresh: async () => notAdmin },
      connectTo: h.sandbox.url,
    });
    try {
      const error = await client.accountImport({ userId: "u5" }, deadline()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "70403", errorClass: "permanent", retryable: false });
      expect(h.sandbox.state().counters.rejections).toEqual({ "70403": 1 });
      expect(h.sandbox.state().accounts).toEqual([]);
    } finally {
      client.close();
    }
  });
});

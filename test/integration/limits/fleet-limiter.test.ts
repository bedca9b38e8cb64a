/**
 * The fleet limiter against dynalite: a lone process gets nearly the whole rate, many limiters
 * (in this process and in child processes) together never exceed the limit in any one-second
 * window, and a store outage falls back to rate / maxProcesses after the leased slots passed.
 * Windows are counted over the recorded grant times; nothing asserts how long anything took.
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it, vi } from "vitest";
import { RateLimitDeadlineError } from "../../../src/http/errors.ts";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { fallbackRate } from "../../../src/limits/budget.ts";
import { FleetRateLimiter, type FleetRateLimiterOptions } from "../../../src/limits/fleet-limiter.ts";
import { CallScheduleStore } from "../../../src/limits/schedule-store.ts";
import type { LimiterFallbackInfo } from "../../../src/limits/types.ts";
import { useDynalite } from "../../support/dynalite.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { maxInAnyWindow } from "../../support/limiter-windows.ts";

const newTable = useDynalite();
const here = dirname(fileURLToPath(import.meta.url));

/**
 * The store's per-request limit in these tests: a cap for a hang, not the deployed 1 s. That limit
 * is real time, so at load 20 slow answers turned into outages and the limiters paced locally
 * (fallback grants, not the shared schedule's). The outage test needs no timeout: its table is
 * missing, which the store hears at once.
 */
const STORE_HANG_CAP_MS = 30_000;

function limiterOn(docClient: DynamoDBDocumentClient, tableName: string, options: Partial<FleetRateLimiterOptions> & { limit: number; rate: number }) {
  const { limit, rate, ...rest } = options;
  return new FleetRateLimiter({
    provider: "test",
    store: new CallScheduleStore({ client: docClient, tableName, timeoutMs: STORE_HANG_CAP_MS, ...(rest.clock ? { clock: rest.clock } : {}) }),
    commands: { op: { limitPerSecond: limit, ratePerSecond: rate } },
    maxProcesses: 8,
    ...rest,
  });
}

/** `lanes` callers take `count` grants from `limiter` in all; resolves with the grant times. */
async function drive(limiter: FleetRateLimiter, count: number, lanes: number, now: () => number = Date.now): Promise<number[]> {
  const grants: number[] = [];
  let left = count;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (left > 0) {
        left--;
        await limiter.acquire("op");
        grants.push(now());
      }
    }),
  );
  return grants;
}

describe("FleetRateLimiter", () => {
  it("gives a lone process nearly the whole rate, for few DynamoDB requests per call", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    // Without prefetch the fake clock cannot run ahead of a lease in flight: each lease answers at
    // the time it was asked, as it would with a fast store.
    const limiter = limiterOn(docClient, tableName, { limit: 200, rate: 190, clock, prefetch: false });
    const grants: number[] = [];
    for (let i = 0; i < 1000; i++) {
      await limiter.acquire("op");
      grants.push(clock.now());
    }
    // Lease rounds double while the process, not the fleet, is short of slots (slow start); past
    // that, the whole rate: the last 500 grants (fake time) came at 95% of it or more.
    const lastS = ((grants.at(-1) as number) - (grants[500] as number)) / 1000;
    expect(499 / lastS).toBeGreaterThan(0.95 * 190);
    expect(maxInAnyWindow(grants)).toBeLessThanOrEqual(200);
    const stats = limiter.stats();
    expect(stats.grants).toBe(1000);
    expect(stats.storeRequests / stats.grants).toBeLessThanOrEqual(0.1);
  });

  it("keeps four limiters in one process under the limit in every one-second window", async () => {
    const { docClient, tableName } = await newTable();
    const limiters = Array.from({ length: 4 }, () => limiterOn(docClient, tableName, { limit: 400, rate: 380 }));
    const all = (await Promise.all(limiters.map((l) => drive(l, 250, 16)))).flat();
    expect(all).toHaveLength(1000);
    expect(maxInAnyWindow(all)).toBeLessThanOrEqual(400);
    // Nobody starved: every limiter's grants came from the shared schedule.
    for (const l of limiters) expect(l.stats().grants).toBe(250);
  });

  it("keeps three processes under the limit in every one-second window", async () => {
    const { tableName, endpoint } = await newTable();
    const child = join(here, "../../support/limiter-child.ts");
    const run = () =>
      promisify(execFile)(process.execPath, [child, JSON.stringify({ endpoint, tableName, count: 300, lanes: 12, limit: 300, rate: 285, storeTimeoutMs: STORE_HANG_CAP_MS })], { maxBuffer: 4 * 1024 * 1024 });
    const outputs = await Promise.all([run(), run(), run()]);
    const results = outputs.map((o) => JSON.parse(o.stdout) as { grants: number[]; stats: { grants: number } });
    const all = results.flatMap((r) => r.grants);
    expect(all).toHaveLength(900);
    expect(maxInAnyWindow(all)).toBeLessThanOrEqual(300);
  }, 60_000);

  it("paces at rate / maxProcesses while the table is out of reach, after the leased slots passed", async () => {
    const { client, docClient } = await newTable();
    const clock = new FakeClock();
    const fallbacks: LimiterFallbackInfo[] = [];
    const recovered: string[] = [];
    const tableName = `outage-${Date.now()}`;
    const limiter = limiterOn(docClient, tableName, {
      limit: 200,
      rate: 190,
      clock,
      maxProcesses: 16,
      onFallback: (info) => fallbacks.push(info),
      onRecovered: (info) => recovered.push(info.command),
    });
    const start = clock.now();
    const grants: number[] = [];
    for (let i = 0; i < 10; i++) {
      await limiter.acquire("op");
      grants.push(clock.now());
    }
    expect(fallbacks).toEqual([{ provider: "test", command: "op", reason: "ResourceNotFoundException", fallbackRatePerSecond: fallbackRate(190, 16) }]);
    // Nothing before every slot the fleet may have leased (horizon + one lease) has passed.
    expect((grants[0] as number) - start).toBeGreaterThanOrEqual(1000);
    const gaps = grants.slice(1).map((t, i) => t - (grants[i] as number));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(Math.floor(1000 / fallbackRate(190, 16)));
    // The deadline is honoured in fallback too.
    await expect(limiter.acquire("op", clock.now() + 1)).rejects.toBeInstanceOf(RateLimitDeadlineError);

    // The table comes (back): after the hold the limiter leases again.
    await ensureOutcomeTable(client, tableName);
    clock.advance(5_000);
    await limiter.acquire("op");
    expect(recovered).toEqual(["op"]);
    expect(limiter.stats().leases).toBe(1);
  });

  it("tells slots lost to a late wake-up (a stalled process) from slots nobody waited for", async () => {
    const { docClient, tableName } = await newTable();
    // The event loop stalls through the first wait: the caller wakes 30 ms after its slot, past the
    // slot's tolerance (≈ 11.8 ms at 190 of 200), so that slot is lost and the caller takes a later one.
    class StallingClock extends FakeClock {
      stalls = 1;
      override async sleep(ms: number): Promise<void> {
        await super.sleep(ms + (this.stalls-- > 0 ? 30 : 0));
      }
    }
    const clock = new StallingClock();
    const limiter = limiterOn(docClient, tableName, { limit: 200, rate: 190, clock, prefetch: false });
    await limiter.acquire("op");
    const afterStall = limiter.stats();
    expect(afterStall.grants).toBe(1);
    expect(afterStall.slotsLapsedLate).toBeGreaterThanOrEqual(1);
    // Nobody calls for half a second: the slots leased meanwhile pass unused, none of them late.
    clock.advance(500);
    await limiter.acquire("op");
    const after = limiter.stats();
    expect(after.slotsLapsed - afterStall.slotsLapsed).toBeGreaterThan(0);
    expect(after.slotsLapsedLate).toBe(afterStall.slotsLapsedLate);
    expect(after.slotsLapsedLate).toBeLessThan(after.slotsLapsed);
  });

  it("throws RateLimitDeadlineError when no slot comes before the deadline, leaving the slot to others", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    const limiter = limiterOn(docClient, tableName, { limit: 200, rate: 190, clock });
    await limiter.acquire("op");
    await expect(limiter.acquire("op", clock.now())).rejects.toBeInstanceOf(RateLimitDeadlineError);
    await limiter.acquire("op");
    expect(limiter.stats().grants).toBe(2);
  });

  it("leases the commands of a group together: one request, slots at the same instants", async () => {
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    const limiter = new FleetRateLimiter({
      provider: "test",
      store: new CallScheduleStore({ client: docClient, tableName, clock, timeoutMs: STORE_HANG_CAP_MS }),
      commands: { first: { limitPerSecond: 200, ratePerSecond: 190 }, second: { limitPerSecond: 200, ratePerSecond: 190 }, other: { limitPerSecond: 200, ratePerSecond: 190 } },
      groups: [["first", "second"]],
      maxProcesses: 8,
      clock,
      prefetch: false,
    });
    const times: Record<string, number[]> = { first: [], second: [] };
    for (let i = 0; i < 3; i++) {
      for (const command of ["first", "second"] as const) {
        await limiter.acquire(command);
        times[command]?.push(clock.now());
      }
    }
    // One lease (one UpdateItem of the shared schedule) gave both commands their slots: each
    // `second` came at the instant of the `first` before it, or one lane stride later.
    expect(limiter.stats()).toMatchObject({ leases: 1, storeRequests: 1, grants: 6 });
    const strideMs = (8 * Math.ceil(1e6 / 190)) / 1000;
    for (const [i, t] of (times.first ?? []).entries()) {
      const gap = (times.second?.[i] as number) - t;
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThanOrEqual(strideMs);
    }
    // A command outside the group has its own schedule: its own lease.
    await limiter.acquire("other");
    expect(limiter.stats().storeRequests).toBe(2);
  });

  it("refuses groups it cannot lease together, naming the group", () => {
    const store = new CallScheduleStore({ client: new DynamoDBDocumentClient({ region: "us-east-1" }), tableName: "t" });
    const commands = { a: { limitPerSecond: 200, ratePerSecond: 190 }, b: { limitPerSecond: 200, ratePerSecond: 190 }, slow: { limitPerSecond: 100, ratePerSecond: 95 } };
    const make = (groups: string[][]) => () => new FleetRateLimiter({ provider: "p", store, commands, groups, maxProcesses: 1 });
    expect(make([["a", "missing"]])).toThrow(/groups\[0\]: missing has no budget/);
    expect(make([["a", "slow"]])).toThrow(/groups\[0\]: every command of a group needs the same budget/);
    expect(make([["a", "b"], ["b", "a"]])).toThrow(/groups\[1\]: b is already in another group/);
    expect(make([["a"]])).toThrow(/groups\[0\]: at least two commands/);
    expect(make([["a", "a"]])).toThrow(/groups\[0\]: a command named twice/);
  });

  it("refuses a rate without headroom under the limit", () => {
    const store = new CallScheduleStore({ client: new DynamoDBDocumentClient({ region: "us-east-1" }), tableName: "t" });
    expect(() => new FleetRateLimiter({ provider: "p", store, commands: { op: { limitPerSecond: 200, ratePerSecond: 200 } }, maxProcesses: 1 })).toThrow(/commands\.op\.ratePerSecond/);
  });
});

describe("FleetRateLimiter lane choice", () => {
  it("leases from the lanes with the shortest queue, not again and again from lanes booked beyond the horizon", async () => {
    // (also: grants come, although half the lanes are booked for the whole run)
    const { docClient, tableName } = await newTable();
    const clock = new FakeClock();
    let failedConditions = 0;
    const counting = new Proxy(docClient, {
      get(target, prop, receiver) {
        if (prop !== "send") return Reflect.get(target, prop, receiver);
        return (command: unknown, options?: unknown) =>
          (target.send as (c: unknown, o?: unknown) => Promise<unknown>).call(target, command, options).catch((error: unknown) => {
            if (error instanceof Error && error.name === "ConditionalCheckFailedException") failedConditions++;
            throw error;
          });
      },
    });
    const intervalUs = Math.ceil(1e6 / 190);
    // Another process booked lanes 0-3 about 20 s ahead (far beyond the 2 s horizon).
    const other = new CallScheduleStore({ client: docClient, tableName, clock, timeoutMs: STORE_HANG_CAP_MS });
    const nowIndex = Math.ceil((clock.now() * 1000) / intervalUs);
    for (let lane = 0; lane < 4; lane++) {
      await other.reserve({ provider: "test", command: "op", intervalUs, lanes: 8, lane, count: 500, notBeforeIndex: nowIndex, horizonSlots: 10_000, expectBusy: false });
    }
    // The process starts looking at lane 0 (its random first lane), among the booked ones.
    const random = vi.spyOn(Math, "random").mockReturnValue(0);
    const limiter = limiterOn(counting as DynamoDBDocumentClient, tableName, { limit: 200, rate: 190, clock, prefetch: false });
    random.mockRestore();
    // One caller at ~45 calls/s (two lanes' worth): each round needs only some of the lanes.
    for (let i = 0; i < 500; i++) {
      await limiter.acquire("op");
      clock.advance(22);
    }
    expect(limiter.stats().grants).toBe(500);
    // A booked lane refuses with two failed conditions. Going round all lanes in turn paid 70 of
    // them here; skipping the lanes last seen booked beyond the horizon (until the horizon reaches
    // what we saw) pays 54, the rest being re-checks every 2 s and first guesses of idle vs busy.
    expect(failedConditions).toBeLessThanOrEqual(60);
  });
});

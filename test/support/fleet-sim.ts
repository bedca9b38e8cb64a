/**
 * A fleet of limiters on one dynalite table, in virtual time (virtual-time.ts): each simulated
 * process runs closed-loop callers that, per tenant, take a slot of each command in turn and then
 * spend `callMs` on the call (as ensureGroup does: account_import, then create_group). Counts
 * only: grants per command, DynamoDB requests, the most grants in any one-second window. Used by
 * the limiter tests and by `node bench/fleet-model.ts`.
 */
import type { DocumentClient } from "../../src/aws/dynamodb/index.ts";
import { FleetRateLimiter, type FleetLimiterStats, type FleetRateLimiterOptions } from "../../src/limits/fleet-limiter.ts";
import { CallScheduleStore } from "../../src/limits/schedule-store.ts";
import { seededRandom } from "../../src/sandbox/faults.ts";
import { maxInAnyWindow } from "./limiter-windows.ts";
import { onVirtualTime, VirtualClock } from "./virtual-time.ts";

/** One simulated process. */
export interface SimProcess {
  /** Concurrent callers (a signup process: 5, a webhook process: 4, the backfill: 32). */
  callers: number;
  /** Start this long after the run starts (ms). Default 0. */
  startMs?: number;
  /** Stop this long after the run starts (ms). Default: the run's end. */
  stopMs?: number;
  /** Pause between tenants per caller (ms): a process with little work. Default 0. */
  thinkMs?: number;
  /** The commands this process's tenants take a slot of, in order (a subset of the run's). Default: all of them. */
  commands?: readonly string[];
}

/** Options of {@link simulateFleet}. */
export interface FleetSimOptions {
  docClient: DocumentClient;
  tableName: string;
  processes: readonly SimProcess[];
  seconds: number;
  /** Commands each tenant takes a slot of, in order. Default account_import, create_group. */
  commands?: readonly string[];
  limitPerSecond?: number;
  ratePerSecond?: number;
  /** Provider call latency (ms). Default 20. */
  callMs?: number;
  /** DynamoDB round trip (ms of virtual time). Default 6. */
  storeRoundTripMs?: number;
  /** Grants before this (ms from the start) do not count towards the rate. Default 2000. */
  warmupMs?: number;
  /** Limiter options to try; `groups` defaults to all `commands` in one group (as the IM limiter leases a tenant's commands), `groups: []` leases each apart. */
  limiter?: Partial<FleetRateLimiterOptions>;
  /** Seeds the limiters' lane choice, so a run is repeatable. Default 1. */
  seed?: number;
  /**
   * Each of a limiter's sleeps ends up to this much later (ms, uniform, seeded): the late timers of
   * a loaded machine's event loop. A caller woken past its slot's tolerance lets the slot lapse.
   * Default 0.
   */
  wakeLateMs?: number;
}

/** What a simulated run counted. */
export interface FleetSimResult {
  /** Per command: grants per second over the run after the warm-up. */
  ratePerSecond: Record<string, number>;
  /** Per command: the most grants in any one-second window of the whole run. */
  maxInWindow: Record<string, number>;
  grants: number;
  storeRequests: number;
  requestsPerGrant: number;
  /** Store requests whose condition failed (the protocol's overhead). */
  failedConditions: number;
  perProcess: FleetLimiterStats[];
}

/**
 * Runs the simulated fleet to its end and counts.
 *
 * ```ts
 * const r = await simulateFleet({ docClient, tableName, processes: [{ callers: 5 }, { callers: 32 }], seconds: 10 });
 * r.ratePerSecond.create_group; // ≈ 190 when the fleet is saturated
 * ```
 */
export async function simulateFleet(options: FleetSimOptions): Promise<FleetSimResult> {
  const clock = new VirtualClock();
  const commands = options.commands ?? ["account_import", "create_group"];
  const limit = options.limitPerSecond ?? 200;
  const rate = options.ratePerSecond ?? 190;
  const callMs = options.callMs ?? 20;
  const warmupMs = options.warmupMs ?? 2000;
  const counts = { failedConditions: 0 };
  const client = onVirtualTime(options.docClient, clock, options.storeRoundTripMs ?? 6, counts);
  const start = clock.now();
  const end = start + options.seconds * 1000;
  const grants = new Map<string, number[]>(commands.map((c) => [c, []]));
  const random = seededRandom(options.seed ?? 1);
  const lateness = seededRandom((options.seed ?? 1) + 1);
  const wakeLateMs = options.wakeLateMs ?? 0;
  const limiterClock = wakeLateMs > 0 ? { now: () => clock.now(), sleep: (ms: number) => clock.sleep(ms + lateness() * wakeLateMs) } : clock;
  const limiters = options.processes.map(
    () =>
      new FleetRateLimiter({
        provider: "sim",
        // The store's 1 s timeout is real time, not virtual: on a machine loaded by the whole suite a
        // slow dynalite answer timed out, the limiter fell back to its local rate and the fleet's
        // share dropped (113 < 120/s). Here it only guards a hang.
        store: new CallScheduleStore({ client, tableName: options.tableName, clock, timeoutMs: 60_000 }),
        commands: Object.fromEntries(commands.map((c) => [c, { limitPerSecond: limit, ratePerSecond: rate }])),
        maxProcesses: 16,
        clock: limiterClock,
        random,
        // As the IM limiter leases them (im-limiter.ts): the commands of one tenant, together.
        ...(commands.length > 1 ? { groups: [commands] } : {}),
        ...options.limiter,
      }),
  );
  const runs = options.processes.flatMap((p, i) => {
    const limiter = limiters[i] as FleetRateLimiter;
    const stopAt = start + (p.stopMs ?? options.seconds * 1000);
    return Array.from({ length: p.callers }, async () => {
      if (p.startMs) await clock.sleep(p.startMs);
      while (clock.now() < stopAt) {
        for (const command of p.commands ?? commands) {
          await limiter.acquire(command, clock.now() + 60_000);
          grants.get(command)?.push(clock.now());
          await clock.sleep(callMs);
        }
        if (p.thinkMs) await clock.sleep(p.thinkMs);
      }
    });
  });
  const all = Promise.all(runs);
  await clock.runUntil(end + 5_000);
  await clock.runUntil(Number.POSITIVE_INFINITY);
  await all;
  const counted = (end - start - warmupMs) / 1000;
  const perProcess = limiters.map((l) => l.stats());
  const total = perProcess.reduce((a, s) => a + s.grants, 0);
  const storeRequests = perProcess.reduce((a, s) => a + s.storeRequests, 0);
  return {
    ratePerSecond: Object.fromEntries([...grants].map(([c, ts]) => [c, ts.filter((t) => t >= start + warmupMs && t < end).length / counted])),
    maxInWindow: Object.fromEntries([...grants].map(([c, ts]) => [c, maxInAnyWindow(ts)])),
    grants: total,
    storeRequests,
    requestsPerGrant: storeRequests / total,
    failedConditions: counts.failedConditions,
    perProcess,
  };
}

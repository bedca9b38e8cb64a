/**
 * Where a backfill run's wall time goes, from the times the IM sandbox admitted each call
 * (bench/stack-server.ts `imCallTimes`) and the backfill process's start and end (epoch ms, same
 * machine clock). The run's wall time splits into:
 *
 *  - start: from the first invocation to the first create_group (secrets, the first page, the
 *    first lease, the first tenant's account_import and its latency);
 *  - interior: from the first create_group to the last, beyond what `(calls - 1) / rate` needs
 *    (pacing gaps: lanes that were not ready for a slot, page boundaries, slots not leased);
 *  - end: from the last create_group to the last invocation's return (the last tenants' SLS call,
 *    their writes, the last page's position);
 *
 * and the ideal `(calls - 1) / rate` between them. A per-second count of create_group calls and
 * the longest gaps between two of them show where the interior loss lies.
 *
 * @example
 * ```ts
 * const t = backfillTimeline({ callTimes, startedAtMs, endedAtMs, ratePerSecond: 195, lanes: 32 });
 * t.lossMs; // { start, interior, end }
 * ```
 */

/** Inputs of {@link backfillTimeline}. */
export interface TimelineInput {
  /** Epoch ms of each admitted IM call, by command. */
  callTimes: Readonly<Record<string, readonly number[]>>;
  /** The first invocation's start and the last one's return (epoch ms). */
  startedAtMs: number;
  endedAtMs: number;
  /** The pace the run was configured for (IM_RATE_LIMIT_PER_SECOND). */
  ratePerSecond: number;
  /** The walk's lanes (the backfill's concurrency). */
  lanes: number;
  /** The command that ends a tenant's IM work. Default create_group. */
  command?: string;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The timeline of one backfill run (see the module comment); null when no call of `command` came.
 *
 * @example
 * ```ts
 * backfillTimeline({ callTimes: { create_group: [1000, 1005] }, startedAtMs: 990, endedAtMs: 1040, ratePerSecond: 200, lanes: 1 }).lossMs.end; // 35
 * ```
 */
export function backfillTimeline(input: TimelineInput) {
  const command = input.command ?? "create_group";
  const times = [...(input.callTimes[command] ?? [])].sort((a, b) => a - b);
  const all = Object.values(input.callTimes)
    .flat()
    .sort((a, b) => a - b);
  const wallMs = input.endedAtMs - input.startedAtMs;
  const intervalMs = 1000 / input.ratePerSecond;
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined) return null;
  const idealMs = (times.length - 1) * intervalMs;
  // Calls per whole second since the run started (the last second is partial).
  const perSecond = new Array<number>(Math.ceil(wallMs / 1000)).fill(0);
  for (const t of times) {
    const s = Math.floor((t - input.startedAtMs) / 1000);
    if (s >= 0 && s < perSecond.length) perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  // The steady pace: calls between the first and last second's worth of them (ramp and tail out).
  const edge = Math.min(Math.floor(times.length / 4), Math.round(input.ratePerSecond));
  const steadyFrom = times[edge] as number;
  const steadyTo = times[times.length - 1 - edge] as number;
  const steadyPerSecond = steadyTo > steadyFrom ? ((times.length - 1 - 2 * edge) * 1000) / (steadyTo - steadyFrom) : null;
  // Interior gaps: time between consecutive calls beyond the interval, the longest named.
  const gaps = times.slice(1).map((t, i) => ({ atMs: (times[i] as number) - input.startedAtMs, index: i + 1, gapMs: t - (times[i] as number) }));
  const excess = gaps.reduce((n, g) => n + Math.max(0, g.gapMs - intervalMs), 0);
  const longest = [...gaps]
    .sort((a, b) => b.gapMs - a.gapMs)
    .slice(0, 8)
    .map((g) => ({ atMs: r1(g.atMs), index: g.index, gapMs: r1(g.gapMs) }));
  const lastLanes = times[Math.max(0, times.length - 1 - input.lanes)] as number;
  return {
    command,
    calls: times.length,
    wallMs: r1(wallMs),
    ratePerSecond: input.ratePerSecond,
    /** (calls - 1) / rate: the pacing's own ceiling on this run. */
    idealMs: r1(idealMs),
    lossMs: {
      start: r1(first - input.startedAtMs),
      interior: r1(last - first - idealMs),
      end: r1(input.endedAtMs - last),
    },
    /** The first IM call of any command (the first account_import), from the start. */
    firstImCallMs: r1((all[0] as number) - input.startedAtMs),
    /** Calls per second between the first and the last `edge` calls. */
    steadyPerSecond: steadyPerSecond === null ? null : r1(steadyPerSecond),
    /** The last `lanes` calls: the walk's last round, ideally `lanes / rate`. */
    lastLanesMs: r1(last - lastLanes),
    /** Sum of the gaps between consecutive calls beyond one interval. */
    gapExcessMs: r1(excess),
    longestGaps: longest,
    perSecond,
  };
}

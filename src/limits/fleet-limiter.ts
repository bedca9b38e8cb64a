/**
 * A rate limiter shared by every process of the fleet through the table: processes lease spans
 * of consecutive slots of one schedule per command (src/limits/schedule-store.ts), and each call
 * waits for a slot of its own. A lone process gets the whole schedule; many share it in the order
 * they ask; together they never exceed the fleet rate (see budget.ts for the bound).
 *
 * Each schedule is split into interleaved lanes (schedule-store.ts). A lease round goes to the
 * lanes whose schedule ended soonest when this process last saw them, so queues stay even and a
 * lane booked to the horizon is not asked again and again. A lease round asks for what
 * the callers waiting now plus the recent arrival rate need over the next second: a slow process
 * takes those slots from one lane, so they come spread out as its calls do and few lapse; a busy
 * one takes them from several lanes at once. Either way one DynamoDB request buys many calls.
 * When the table fails, the process paces itself at `rate / maxProcesses` (a token bucket), after
 * first letting every slot already leased pass.
 *
 * Commands called one after the other for the same piece of work (IM provisioning a tenant:
 * account_import, then create_group) form a group that shares ONE schedule: a slot index grants
 * one call of each command of the group at the same instant, and one lease round (one request per
 * lane) leases them all. Leased apart, each command's slots came wherever its own lanes' queues
 * ended, often half a second from the other's: a process's callers all piled up waiting for the
 * later command while its slots of the earlier one passed unused (in the mixed fleet model 13% of
 * the leased slots lapsed, nearly all while every caller of the process waited for the other
 * command). Leased together, a caller that used the first command's slot finds the second's a few
 * slots later, and the fleet pays half the requests. Each command still has its own budget: its
 * calls use distinct slots of its own lattice, so the bound per command is unchanged.
 */
import { systemClock } from "../http/clock.ts";
import { RateLimitDeadlineError } from "../http/errors.ts";
import { TokenBucket } from "../http/rate-limiter.ts";
import type { Clock } from "../http/types.ts";
import { fallbackRate, slotToleranceMs } from "./budget.ts";
import { type CallScheduleStore, ScheduleStoreError } from "./schedule-store.ts";
import type { CallRateLimiter, LimiterEvents } from "./types.ts";

/** The budget of one command. */
export interface CommandBudget {
  /** The provider's documented app-wide limit (calls per second). */
  limitPerSecond: number;
  /** What the whole fleet leases (calls per second); must leave headroom under the limit. */
  ratePerSecond: number;
}

/** Options of {@link FleetRateLimiter}. */
export interface FleetRateLimiterOptions extends LimiterEvents {
  /** Names the schedule items, e.g. `tencent-im`. */
  provider: string;
  store: CallScheduleStore;
  commands: Readonly<Record<string, CommandBudget>>;
  /** The most processes that may call at once; the fallback rate is the fleet rate divided by it. */
  maxProcesses: number;
  clock?: Clock;
  /** Never lease slots starting further ahead than this. Default 2000 ms: twice the cover period, so a process extending its lease rarely finds every lane booked to the horizon (each such try costs two failed requests). */
  horizonMs?: number;
  /** After a store failure, pace locally this long before asking the store again. Default 5000 ms. */
  fallbackHoldMs?: number;
  /** A lease round covers the waiting callers plus this much of the recent arrival rate. Default 1000 ms. */
  coverMs?: number;
  /** Lanes each command's schedule is split into. Default 8. */
  lanes?: number;
  /** Lease the next slots before the last are used (default true; off, callers wait for each lease). */
  prefetch?: boolean;
  /** Picks each command's first lane (values in [0, 1)). Default Math.random; a seeded one makes a simulated fleet repeatable. */
  random?: () => number;
  /**
   * Commands leased together (see the module comment): each group's commands share one schedule,
   * so each must have the same budget, and a command belongs to at most one group. A process that
   * calls only some commands of a group leaves the others' slots unused: group only commands that
   * are called in turn for the same piece of work.
   */
  groups?: ReadonlyArray<readonly string[]>;
}

/** Counters of one limiter (for benchmarks and tests). */
export interface FleetLimiterStats {
  grants: number;
  leases: number;
  slotsLeased: number;
  /** Leased slots that passed unused. */
  slotsLapsed: number;
  /**
   * Of those, slots a caller waited for but woke too late to use (past the slot's tolerance): the
   * process was stalled (CPU, garbage collection, the OS running others), not short of callers.
   */
  slotsLapsedLate: number;
  storeRequests: number;
  fallbackGrants: number;
  fallbacks: number;
}

/** Leased slots of one lane: indexes `next`, `next + stride`, … below `end`. */
interface Span {
  next: number;
  end: number;
  stride: number;
}

/** What this process knows of one schedule in the table (a command's, or a group's) and its lease rounds. */
interface Schedule {
  /** Its name in the table: the command, or its group's commands joined by `+`. */
  name: string;
  /** The commands leased on it (a group's, or the one command). */
  members: CommandState[];
  leasing: Promise<void> | undefined;
  /** Where each lane's schedule ended at our last lease (index). */
  laneEnds: number[];
  /** Where each lane's schedule ended when we last saw it (index; 0 unseen): its queue. */
  laneTails: number[];
  nextLane: number;
  /** Slots of the last lease round, and whether the fleet was the bottleneck then. */
  lastRoundSlots: number;
  lastRoundSaturated: boolean;
  /** How often lanes turned out busy lately (0..1): which update to try first. */
  busyShare: number;
  /** How often lately another process had leased on a lane between our leases there (0..1, halving each round). */
  contention: number;
  /** The store's round trip, smoothed: how far ahead a lease must start. */
  leadMs: number;
}

interface CommandState {
  command: string;
  /** The schedule it is leased on, shared with the other commands of its group. */
  schedule: Schedule;
  intervalUs: number;
  toleranceUs: number;
  /** Most slots one lane gives in one cover period. */
  perLane: number;
  spans: Span[];
  waiting: number;
  /** Slots that lapsed unused, and their count at the last lease round. */
  lapsed: number;
  lapsedAtLastRound: number;
  arrivals: number;
  arrivalWindowStart: number;
  arrivalRate: number;
  fallback: TokenBucket;
  fallbackRate: number;
  inFallback: boolean;
  fallbackUntil: number;
  fallbackNotBefore: number;
}

/** First guess of the store's round trip, before one was measured. */
const INITIAL_LEAD_MS = 10;
/** A lease round spreads over several lanes only when each request still buys this many slots. */
const MIN_SLOTS_PER_REQUEST = 12;
/** A process whose calls would use less than this share of one lane's slots leases only what it will use. */
const SLOW_LANE_SHARE = 0.9;
/** Arrival rates are measured over windows at least this long. */
const ARRIVAL_WINDOW_MS = 100;
/**
 * A process counts as alone on the schedule while the share of its recent lease rounds' lanes
 * that another process had leased on (decaying by half each round; 1 at start) is below this:
 * five clean rounds after a contended one.
 */
const ALONE_BELOW = 0.05;

/**
 * The fleet-wide limiter.
 *
 * @example
 * ```ts
 * const limiter = new FleetRateLimiter({
 *   provider: "tencent-im",
 *   store: new CallScheduleStore({ client: documentClient, tableName }),
 *   commands: { account_import: { limitPerSecond: 200, ratePerSecond: 190 }, create_group: { limitPerSecond: 200, ratePerSecond: 190 } },
 *   groups: [["account_import", "create_group"]], // called in turn for each tenant: leased together
 *   maxProcesses: 16,
 * });
 * await limiter.acquire("account_import", Date.now() + 5_000);
 * await limiter.acquire("create_group", Date.now() + 5_000); // a slot of the same lease
 * ```
 */
export class FleetRateLimiter implements CallRateLimiter {
  readonly #options: FleetRateLimiterOptions;
  readonly #clock: Clock;
  readonly #store: CallScheduleStore;
  readonly #states = new Map<string, CommandState>();
  readonly #horizonMs: number;
  readonly #fallbackHoldMs: number;
  readonly #coverMs: number;
  readonly #lanes: number;
  readonly #stats: Omit<FleetLimiterStats, "storeRequests"> = { grants: 0, leases: 0, slotsLeased: 0, slotsLapsed: 0, slotsLapsedLate: 0, fallbackGrants: 0, fallbacks: 0 };

  constructor(options: FleetRateLimiterOptions) {
    if (!(Number.isInteger(options.maxProcesses) && options.maxProcesses >= 1)) throw new RangeError("maxProcesses: an integer of at least 1");
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store;
    this.#horizonMs = options.horizonMs ?? 2000;
    this.#fallbackHoldMs = options.fallbackHoldMs ?? 5000;
    this.#coverMs = options.coverMs ?? 1000;
    this.#lanes = options.lanes ?? 8;
    if (!(Number.isInteger(this.#lanes) && this.#lanes >= 1)) throw new RangeError("lanes: an integer of at least 1");
    for (const [command, budget] of Object.entries(options.commands)) {
      const toleranceMs = slotToleranceMs(budget.limitPerSecond, budget.ratePerSecond);
      if (!(budget.ratePerSecond > 0) || toleranceMs < 1) {
        throw new RangeError(`commands.${command}.ratePerSecond: greater than 0 and enough below limitPerSecond (${budget.limitPerSecond}) to leave ≥ 1 ms of slot tolerance`);
      }
      const rate = fallbackRate(budget.ratePerSecond, options.maxProcesses);
      const intervalUs = Math.ceil(1e6 / budget.ratePerSecond);
      const schedule: Schedule = {
        name: command,
        members: [],
        leasing: undefined,
        laneEnds: new Array<number>(this.#lanes).fill(0),
        laneTails: new Array<number>(this.#lanes).fill(0),
        // Processes start on different lanes, so their first leases spread.
        nextLane: Math.floor((options.random ?? Math.random)() * this.#lanes),
        lastRoundSlots: 0,
        lastRoundSaturated: false,
        busyShare: 0,
        // Not alone until the lanes have shown it for a few rounds.
        contention: 1,
        leadMs: INITIAL_LEAD_MS,
      };
      const state: CommandState = {
        command,
        schedule,
        intervalUs,
        toleranceUs: Math.floor(toleranceMs * 1000),
        perLane: Math.max(1, Math.floor((this.#coverMs * 1000) / (this.#lanes * intervalUs))),
        spans: [],
        waiting: 0,
        lapsed: 0,
        lapsedAtLastRound: 0,
        arrivals: 0,
        arrivalWindowStart: this.#clock.now(),
        arrivalRate: 0,
        fallback: new TokenBucket({ ratePerSecond: rate, clock: this.#clock }),
        fallbackRate: rate,
        inFallback: false,
        fallbackUntil: -Infinity,
        fallbackNotBefore: -Infinity,
      };
      schedule.members.push(state);
      this.#states.set(command, state);
    }
    for (const [i, group] of (options.groups ?? []).entries()) this.#joinGroup(group, `groups[${i}]`);
  }

  /** Makes the commands of `group` share one schedule (the lane queues and every lease round). */
  #joinGroup(group: readonly string[], field: string): void {
    if (group.length < 2) throw new RangeError(`${field}: at least two commands`);
    const members = group.map((command) => {
      const state = this.#states.get(command);
      if (state === undefined) throw new RangeError(`${field}: ${command} has no budget in commands`);
      if (state.schedule.members.length > 1) throw new RangeError(`${field}: ${command} is already in another group`);
      return state;
    });
    const first = this.#options.commands[group[0] as string] as CommandBudget;
    for (const command of group) {
      const budget = this.#options.commands[command] as CommandBudget;
      if (budget.limitPerSecond !== first.limitPerSecond || budget.ratePerSecond !== first.ratePerSecond) {
        throw new RangeError(`${field}: every command of a group needs the same budget (${command} differs from ${group[0]})`);
      }
    }
    if (new Set(group).size !== group.length) throw new RangeError(`${field}: a command named twice`);
    // The first command's schedule becomes the group's; the others' are dropped unused.
    const schedule = (members[0] as CommandState).schedule;
    schedule.name = group.join("+");
    schedule.members = members;
    for (const state of members) state.schedule = schedule;
  }

  /** Counters since construction. */
  stats(): FleetLimiterStats {
    return { ...this.#stats, storeRequests: this.#store.requests };
  }

  async acquire(command: string, deadline?: number): Promise<void> {
    const state = this.#states.get(command);
    if (state === undefined) throw new RangeError(`command: no budget configured for ${command}`);
    this.#noteArrival(state);
    for (;;) {
      const now = this.#clock.now();
      if (now < state.fallbackUntil) {
        await this.#acquireFallback(state, deadline);
        return;
      }
      const earliest = this.#peekSlot(state, now);
      if (earliest !== undefined) {
        const slotMs = (earliest.next * state.intervalUs) / 1000;
        if (deadline !== undefined && slotMs > deadline) {
          throw new RateLimitDeadlineError(`no ${command} slot before the deadline (next in ${Math.ceil(slotMs - now)} ms)`);
        }
        this.#popSlot(state, earliest);
        this.#maybePrefetch(state, now);
        if (slotMs > now) await this.#clock.sleep(Math.ceil(slotMs - now));
        // A late wake-up (a stalled event loop) must not use a slot that has passed.
        if (this.#clock.now() * 1000 <= slotMs * 1000 + state.toleranceUs) {
          this.#stats.grants++;
          return;
        }
        this.#stats.slotsLapsed++;
        this.#stats.slotsLapsedLate++;
        state.lapsed++;
        continue;
      }
      if (deadline !== undefined && now >= deadline) throw new RateLimitDeadlineError(`no ${command} slot before the deadline`);
      state.waiting++;
      try {
        await this.#lease(state);
      } finally {
        state.waiting--;
      }
    }
  }

  /** The span holding the earliest usable slot (at `span.next`), dropping slots and spans that passed. */
  #peekSlot(state: CommandState, now: number): Span | undefined {
    const lateUs = now * 1000 - state.toleranceUs;
    let best: Span | undefined;
    let spent = false;
    for (const span of state.spans) {
      if (span.next * state.intervalUs < lateUs) {
        const passed = Math.min(Math.ceil((lateUs - span.next * state.intervalUs) / (span.stride * state.intervalUs)), Math.ceil((span.end - span.next) / span.stride));
        this.#stats.slotsLapsed += passed;
        state.lapsed += passed;
        span.next += passed * span.stride;
      }
      if (span.next >= span.end) spent = true;
      else if (best === undefined || span.next < best.next) best = span;
    }
    if (spent) state.spans = state.spans.filter((span) => span.next < span.end);
    return best;
  }

  /** Takes the slot {@link #peekSlot} just returned (nothing is awaited in between, so it is still the earliest). */
  #popSlot(state: CommandState, span: Span): void {
    span.next += span.stride;
    if (span.next >= span.end) state.spans = state.spans.filter((s) => s !== span);
  }

  #freeSlots(state: CommandState): number {
    let n = 0;
    for (const span of state.spans) n += Math.ceil((span.end - span.next) / span.stride);
    return n;
  }

  #noteArrival(state: CommandState): void {
    state.arrivals++;
    const now = this.#clock.now();
    const elapsed = now - state.arrivalWindowStart;
    if (elapsed >= ARRIVAL_WINDOW_MS) {
      const rate = (state.arrivals * 1000) / elapsed;
      state.arrivalRate = state.arrivalRate === 0 ? rate : 0.7 * state.arrivalRate + 0.3 * rate;
      state.arrivals = 0;
      state.arrivalWindowStart = now;
    }
  }

  /** Leases ahead when the slots in hand will run out before a lease could answer. */
  #maybePrefetch(state: CommandState, now: number): void {
    if (this.#options.prefetch === false || state.schedule.leasing !== undefined || now < state.fallbackUntil || state.arrivalRate === 0) return;
    const needed = Math.ceil((state.arrivalRate * Math.max(2 * state.schedule.leadMs, 100)) / 1000) + 1;
    if (this.#freeSlots(state) < needed) this.#lease(state).catch(() => undefined);
  }

  /** One lease at a time per schedule (a command or its group); callers that come meanwhile share its result. */
  #lease(state: CommandState): Promise<void> {
    const schedule = state.schedule;
    schedule.leasing ??= this.#leaseOnce(state).finally(() => {
      schedule.leasing = undefined;
    });
    return schedule.leasing;
  }

  /**
   * One lease round: `need` slots from as few lanes as give them within the cover period. The
   * need is what the waiting callers and the recent arrival rate ask for; when callers had to wait
   * for this round although the last one's slots were all used and the fleet had room (the
   * process, not the fleet, was short), it is at least twice the last round (slow start). A group
   * leases for the most waited-for and most often called of its commands.
   */
  async #leaseOnce(state: CommandState): Promise<void> {
    const schedule = state.schedule;
    const members = schedule.members;
    const waiting = Math.max(...members.map((m) => m.waiting));
    const arrivalRate = Math.max(...members.map((m) => m.arrivalRate));
    const asked = waiting + Math.ceil((arrivalRate * this.#coverMs) / 1000);
    const lapsedSince = state.lapsed - state.lapsedAtLastRound;
    const shortOfSlots = waiting > 0 && !schedule.lastRoundSaturated && lapsedSince <= schedule.lastRoundSlots / 10;
    const fullRate = Math.ceil((this.#coverMs * 1000) / state.intervalUs);
    // A process calling slower than one lane's slots come would let most of a long span lapse,
    // and lapsed slots are budget nobody used: lease only what its callers will take while the
    // span runs (the waiting ones, and the arrivals over the span and the tolerance).
    const laneShare = (arrivalRate * this.#lanes * state.intervalUs) / 1e6;
    const slow = !shortOfSlots && laneShare < SLOW_LANE_SHARE;
    const willUse = Math.ceil((waiting + (arrivalRate * state.toleranceUs) / 1e6 + 1) / (1 - laneShare));
    // Unless nobody else has leased on our lanes for several rounds: then slots passing unused cost
    // nobody, and a lane's whole cover period in one request is cheaper than a request per few
    // calls (a lone signup process at 7 calls/s paid 0.96 requests per call). Another process
    // that comes finds that lane booked for at most the cover period, and the others free.
    const alone = schedule.contention < ALONE_BELOW;
    const slowNeed = alone ? Math.max(Math.min(asked, willUse), state.perLane) : Math.min(asked, willUse);
    const need = Math.max(1, Math.min(fullRate, shortOfSlots ? Math.max(asked, 2 * schedule.lastRoundSlots, MIN_SLOTS_PER_REQUEST) : slow ? slowNeed : asked));
    for (const m of members) m.lapsedAtLastRound = m.lapsed;
    // Several lanes only while each request still buys enough slots; when short of slots, as many
    // as that allows, so the round's slots come soon rather than spread over the whole cover period.
    const lanesWorth = shortOfSlots ? Math.ceil(need / MIN_SLOTS_PER_REQUEST) : Math.floor(need / MIN_SLOTS_PER_REQUEST);
    const laneCount = Math.max(1, Math.min(this.#lanes, Math.max(lanesWorth, Math.ceil(need / state.perLane))));
    const count = Math.min(state.perLane, Math.ceil(need / laneCount));
    const started = this.#clock.now();
    const notBeforeIndex = Math.ceil(((started + schedule.leadMs) * 1000) / state.intervalUs);
    const horizonSlots = Math.ceil((this.#horizonMs * 1000) / state.intervalUs);
    const lanes = this.#shortestLanes(state, laneCount, notBeforeIndex + horizonSlots);
    schedule.nextLane = (schedule.nextLane + laneCount) % this.#lanes;
    const answers = await Promise.allSettled(
      lanes.map((lane) =>
        this.#store.reserve({
          provider: this.#options.provider,
          command: schedule.name,
          intervalUs: state.intervalUs,
          lanes: this.#lanes,
          lane,
          count,
          notBeforeIndex,
          horizonSlots,
          // The lane ran ahead of now when we last saw it, or lanes were mostly busy lately: append first.
          expectBusy: (schedule.laneTails[lane] ?? 0) > notBeforeIndex || schedule.busyShare > 0.5,
        }),
      ),
    );
    const failure = answers.find((a): a is PromiseRejectedResult => a.status === "rejected");
    if (failure !== undefined) {
      if (!(failure.reason instanceof ScheduleStoreError)) throw failure.reason;
      for (const m of members) this.#enterFallback(m, failure.reason.reason);
      return;
    }
    const roundTrip = this.#clock.now() - started;
    schedule.leadMs = 0.8 * schedule.leadMs + 0.2 * Math.max(1, roundTrip);
    for (const m of members) {
      if (m.inFallback) {
        m.inFallback = false;
        this.#options.onRecovered?.({ provider: this.#options.provider, command: m.command });
      }
    }
    let granted = 0;
    let firstIndex = Number.POSITIVE_INFINITY;
    let others = 0;
    answers.forEach((answer, i) => {
      const lane = lanes[i] as number;
      if (answer.status !== "fulfilled") return;
      if (answer.value === undefined) {
        // Booked beyond the horizon: at least that far ahead.
        schedule.laneTails[lane] = notBeforeIndex + horizonSlots;
        others++;
        return;
      }
      // Appended elsewhere than where our last lease there ended: another process leased between.
      if (answer.value.busy && answer.value.firstIndex !== schedule.laneEnds[lane]) others++;
      const end = answer.value.firstIndex + count * this.#lanes;
      schedule.laneTails[lane] = end;
      schedule.laneEnds[lane] = Math.max(schedule.laneEnds[lane] ?? 0, end);
      // The same slot indexes for every command of the group: each its own call at those instants.
      for (const m of members) m.spans.push({ next: answer.value.firstIndex, end, stride: this.#lanes });
      granted += count;
      firstIndex = Math.min(firstIndex, answer.value.firstIndex);
      schedule.busyShare = 0.8 * schedule.busyShare + (answer.value.busy ? 0.2 : 0);
    });
    schedule.contention = 0.5 * schedule.contention + (0.5 * others) / Math.max(1, lanes.length);
    this.#stats.leases++;
    this.#stats.slotsLeased += granted * members.length;
    // Slots far ahead, or none: others hold the near schedule; more slots would not come sooner.
    schedule.lastRoundSlots = granted;
    schedule.lastRoundSaturated = granted === 0 || firstIndex * state.intervalUs > notBeforeIndex * state.intervalUs + (this.#coverMs * 1000) / 2;
    // Every lane asked is handed out beyond the horizon: the fleet is saturated; ask again later.
    if (granted === 0) await this.#clock.sleep(Math.ceil(this.#horizonMs / 4));
  }

  /**
   * Up to `count` lanes whose schedule ended soonest when we last saw them (lanes not seen yet
   * first, in this process's own rotation): the slots come soonest there, and every lane's queue
   * stays about as long as the others'.
   */
  #shortestLanes(state: CommandState, count: number, beyondIndex: number): number[] {
    const { nextLane, laneTails } = state.schedule;
    const order = Array.from({ length: this.#lanes }, (_, i) => (nextLane + i) % this.#lanes);
    order.sort((a, b) => (laneTails[a] ?? 0) - (laneTails[b] ?? 0));
    // Lanes last seen booked beyond the horizon would refuse (two failed requests each) until their
    // queue shrinks: skip them while any other lane may give slots.
    const open = order.filter((lane) => (laneTails[lane] ?? 0) < beyondIndex);
    return (open.length > 0 ? open : order).slice(0, count);
  }

  #enterFallback(state: CommandState, reason: string): void {
    const now = this.#clock.now();
    if (!state.inFallback) {
      // Slots other processes already leased run up to the horizon plus one cover period; let them pass.
      state.fallbackNotBefore = now + this.#horizonMs + this.#coverMs;
      state.inFallback = true;
      this.#stats.fallbacks++;
      this.#options.onFallback?.({ provider: this.#options.provider, command: state.command, reason, fallbackRatePerSecond: state.fallbackRate });
    }
    state.fallbackUntil = now + this.#fallbackHoldMs;
    state.spans = [];
  }

  async #acquireFallback(state: CommandState, deadline: number | undefined): Promise<void> {
    const wait = state.fallbackNotBefore - this.#clock.now();
    if (wait > 0) {
      if (deadline !== undefined && this.#clock.now() + wait > deadline) {
        throw new RateLimitDeadlineError(`no ${state.command} slot before the deadline (the table is out of reach; pacing locally)`);
      }
      await this.#clock.sleep(Math.ceil(wait));
    }
    await state.fallback.acquire(deadline);
    this.#stats.fallbackGrants++;
  }
}

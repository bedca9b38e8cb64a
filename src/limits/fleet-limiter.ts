/**
 * A rate limiter shared by every process of the fleet through the table: processes lease spans
 * of consecutive slots of one schedule per command (src/limits/schedule-store.ts), and each call
 * waits for a slot of its own. A lone process gets the whole schedule; many share it in the order
 * they ask; together they never exceed the fleet rate (see budget.ts for the bound).
 *
 * Lease size adapts to demand: the callers waiting now plus what the recent arrival rate asks for
 * in the next half second, so a busy process pays one DynamoDB request for many calls, and an
 * idle one leases no more than it uses. When the table fails, the process paces itself at
 * `rate / maxProcesses` (a token bucket), after first letting every slot already leased pass.
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
  /** Never lease slots starting further ahead than this. Default 1000 ms. */
  horizonMs?: number;
  /** After a store failure, pace locally this long before asking the store again. Default 5000 ms. */
  fallbackHoldMs?: number;
  /** A lease covers the waiting callers plus this much of the recent arrival rate. Default 500 ms. */
  coverMs?: number;
  /** Largest lease, as time at the fleet rate. Default 250 ms. */
  maxLeaseMs?: number;
}

/** Counters of one limiter (for benchmarks and tests). */
export interface FleetLimiterStats {
  grants: number;
  leases: number;
  slotsLeased: number;
  /** Leased slots that passed unused. */
  slotsLapsed: number;
  storeRequests: number;
  fallbackGrants: number;
  fallbacks: number;
}

interface Span {
  nextUs: number;
  endUs: number;
}

interface CommandState {
  command: string;
  intervalUs: number;
  toleranceUs: number;
  maxLease: number;
  spans: Span[];
  waiting: number;
  leasing: Promise<void> | undefined;
  lastTatUs: number;
  leadMs: number;
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
/** Arrival rates are measured over windows at least this long. */
const ARRIVAL_WINDOW_MS = 100;

/**
 * The fleet-wide limiter.
 *
 * @example
 * ```ts
 * const limiter = new FleetRateLimiter({
 *   provider: "tencent-im",
 *   store: new CallScheduleStore({ client: documentClient, tableName }),
 *   commands: { create_group: { limitPerSecond: 200, ratePerSecond: 190 } },
 *   maxProcesses: 16,
 * });
 * await limiter.acquire("create_group", Date.now() + 5_000);
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
  readonly #stats: Omit<FleetLimiterStats, "storeRequests"> = { grants: 0, leases: 0, slotsLeased: 0, slotsLapsed: 0, fallbackGrants: 0, fallbacks: 0 };

  constructor(options: FleetRateLimiterOptions) {
    if (!(Number.isInteger(options.maxProcesses) && options.maxProcesses >= 1)) throw new RangeError("maxProcesses: an integer of at least 1");
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store;
    this.#horizonMs = options.horizonMs ?? 1000;
    this.#fallbackHoldMs = options.fallbackHoldMs ?? 5000;
    this.#coverMs = options.coverMs ?? 500;
    const maxLeaseMs = options.maxLeaseMs ?? 250;
    for (const [command, budget] of Object.entries(options.commands)) {
      const toleranceMs = slotToleranceMs(budget.limitPerSecond, budget.ratePerSecond);
      if (!(budget.ratePerSecond > 0) || toleranceMs < 1) {
        throw new RangeError(`commands.${command}.ratePerSecond: greater than 0 and enough below limitPerSecond (${budget.limitPerSecond}) to leave ≥ 1 ms of slot tolerance`);
      }
      const rate = fallbackRate(budget.ratePerSecond, options.maxProcesses);
      this.#states.set(command, {
        command,
        intervalUs: Math.ceil(1e6 / budget.ratePerSecond),
        toleranceUs: Math.floor(toleranceMs * 1000),
        maxLease: Math.max(1, Math.floor((budget.ratePerSecond * maxLeaseMs) / 1000)),
        spans: [],
        waiting: 0,
        leasing: undefined,
        lastTatUs: 0,
        leadMs: INITIAL_LEAD_MS,
        arrivals: 0,
        arrivalWindowStart: this.#clock.now(),
        arrivalRate: 0,
        fallback: new TokenBucket({ ratePerSecond: rate, clock: this.#clock }),
        fallbackRate: rate,
        inFallback: false,
        fallbackUntil: -Infinity,
        fallbackNotBefore: -Infinity,
      });
    }
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
      const slotMs = this.#peekSlot(state, now);
      if (slotMs !== undefined) {
        if (deadline !== undefined && slotMs > deadline) {
          throw new RateLimitDeadlineError(`no ${command} slot before the deadline (next in ${Math.ceil(slotMs - now)} ms)`);
        }
        this.#popSlot(state);
        this.#maybePrefetch(state, now);
        if (slotMs > now) await this.#clock.sleep(Math.ceil(slotMs - now));
        // A late wake-up (a stalled event loop) must not use a slot that has passed.
        if (this.#clock.now() * 1000 <= slotMs * 1000 + state.toleranceUs) {
          this.#stats.grants++;
          return;
        }
        this.#stats.slotsLapsed++;
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

  /** The earliest usable slot (ms), dropping those that passed. */
  #peekSlot(state: CommandState, now: number): number | undefined {
    const nowUs = now * 1000;
    while (state.spans.length > 0) {
      const span = state.spans[0] as Span;
      if (span.nextUs + state.toleranceUs < nowUs) {
        // Skip every slot of this span that has passed.
        const passed = Math.min(Math.ceil((nowUs - state.toleranceUs - span.nextUs) / state.intervalUs), Math.ceil((span.endUs - span.nextUs) / state.intervalUs));
        this.#stats.slotsLapsed += passed;
        span.nextUs += passed * state.intervalUs;
      }
      if (span.nextUs < span.endUs) return span.nextUs / 1000;
      state.spans.shift();
    }
    return undefined;
  }

  #popSlot(state: CommandState): void {
    const span = state.spans[0] as Span;
    span.nextUs += state.intervalUs;
    if (span.nextUs >= span.endUs) state.spans.shift();
  }

  #freeSlots(state: CommandState): number {
    let n = 0;
    for (const span of state.spans) n += Math.ceil((span.endUs - span.nextUs) / state.intervalUs);
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
    if (state.leasing !== undefined || now < state.fallbackUntil) return;
    const needed = Math.ceil((state.arrivalRate * 2 * state.leadMs) / 1000) + 1;
    if (state.arrivalRate > 0 && this.#freeSlots(state) < needed) this.#lease(state).catch(() => undefined);
  }

  /** One lease at a time per command; callers that come meanwhile share its result. */
  #lease(state: CommandState): Promise<void> {
    state.leasing ??= this.#leaseOnce(state).finally(() => {
      state.leasing = undefined;
    });
    return state.leasing;
  }

  async #leaseOnce(state: CommandState): Promise<void> {
    const wanted = state.waiting + Math.ceil((state.arrivalRate * this.#coverMs) / 1000);
    const count = Math.min(state.maxLease, Math.max(1, wanted));
    const started = this.#clock.now();
    const notBeforeUs = Math.ceil((started + state.leadMs) * 1000);
    let span;
    try {
      span = await this.#store.reserve({
        provider: this.#options.provider,
        command: state.command,
        count,
        intervalUs: state.intervalUs,
        notBeforeUs,
        horizonUs: this.#horizonMs * 1000,
        expectBusy: state.lastTatUs > notBeforeUs,
      });
    } catch (error) {
      if (!(error instanceof ScheduleStoreError)) throw error;
      this.#enterFallback(state, error.reason);
      return;
    }
    const roundTrip = this.#clock.now() - started;
    state.leadMs = 0.8 * state.leadMs + 0.2 * Math.max(1, roundTrip);
    if (state.inFallback) {
      state.inFallback = false;
      this.#options.onRecovered?.({ provider: this.#options.provider, command: state.command });
    }
    if (span === undefined) {
      // Handed out beyond the horizon: the fleet is saturated; ask again when some has passed.
      await this.#clock.sleep(Math.ceil(this.#horizonMs / 4));
      return;
    }
    const endUs = span.startUs + count * state.intervalUs;
    state.lastTatUs = Math.max(state.lastTatUs, endUs);
    state.spans.push({ nextUs: span.startUs, endUs });
    state.spans.sort((a, b) => a.nextUs - b.nextUs);
    this.#stats.leases++;
    this.#stats.slotsLeased += count;
  }

  #enterFallback(state: CommandState, reason: string): void {
    const now = this.#clock.now();
    if (!state.inFallback) {
      // Slots other processes already leased run up to the horizon plus one lease; let them pass.
      state.fallbackNotBefore = now + this.#horizonMs + (state.maxLease * state.intervalUs) / 1000;
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

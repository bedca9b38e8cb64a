/**
 * Fault injection shared by the provider sandboxes. A sandbox asks {@link FaultInjector.decide}
 * once per incoming call and turns the answer into its provider's own reply (an SLS error body,
 * an IM ErrorCode, a hang, a reset).
 */

/** What a sandbox does to one call instead of (or besides) answering it normally. */
export type FaultKind =
  /** Answer with the given provider error; the call has no effect. */
  | "error"
  /** Apply the call, then answer with the given provider error (ambiguous success). */
  | "error-after-effect"
  /** Never answer (the client's timeout must fire); the call has no effect. */
  | "hang"
  /** Apply the call, then never answer. */
  | "hang-after-effect"
  /** Destroy the connection without answering; the call has no effect. */
  | "reset"
  /** Apply the call, then destroy the connection. */
  | "reset-after-effect"
  /**
   * Answer HTTP 200 with the rule's raw `body` instead of the provider's answer (a broken proxy,
   * a truncated or changed answer): what the client does with an answer it cannot read. No effect.
   */
  | "garbled"
  /** Apply the call, then answer HTTP 200 with the rule's raw `body`. */
  | "garbled-after-effect";

/** One fault rule; the first matching rule whose draw hits wins. */
export interface FaultRule {
  /** The API it applies to (`CreateConsumerGroup`, `create_group`...); all when absent. */
  operation?: string;
  kind: FaultKind;
  /** Chance per matching call, 0..1. Default 1. */
  probability?: number;
  /** How many times it may fire; unlimited when absent. */
  times?: number;
  /** Provider error for `error` kinds: SLS `{status, code}`, IM `{code}` (status 200). */
  error?: { status?: number; code: string | number; message?: string };
  /** Only for calls whose resource name (consumer group, GroupId) matches. */
  resource?: string;
  /** The raw answer body of `garbled` kinds (empty when absent). */
  body?: string;
}

/** Per-operation call limit; calls beyond it answer with the provider's throttling reply. */
export interface RateLimitRule {
  operation: string;
  perSecond: number;
}

/** The whole fault configuration of one sandbox; replaced or patched at runtime. */
export interface FaultConfig {
  /** Added to every answer, in ms. */
  latencyMs: number;
  rules: FaultRule[];
  rateLimits: RateLimitRule[];
  /** Seed of the deterministic random draws. */
  seed: number;
}

/** The decision for one call. */
export interface FaultDecision {
  kind: FaultKind;
  error?: FaultRule["error"];
  body?: string;
}

/**
 * Default: no faults at all.
 *
 * @example
 * ```ts
 * const config = { ...emptyFaultConfig(), latencyMs: 20 };
 * ```
 */
export function emptyFaultConfig(): FaultConfig {
  return { latencyMs: 0, rules: [], rateLimits: [], seed: 1 };
}

/**
 * mulberry32: small, fast, deterministic for a seed (the fault decisions here, the chaos run's
 * delivery order).
 *
 * @example
 * ```ts
 * const random = seededRandom(7);
 * random(); // the same number in [0, 1) for seed 7, every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides, call by call, which fault (if any) a sandbox injects, and enforces rate limits over
 * a sliding one-second window.
 *
 * @example
 * ```ts
 * const faults = new FaultInjector({ rules: [{ operation: "create_group", kind: "error", error: { code: 10002 }, probability: 0.3 }] });
 * const d = faults.decide("create_group", "tenant-42"); // { kind: "error", error: { code: 10002 } } or undefined
 * ```
 */
export class FaultInjector {
  #config: FaultConfig;
  #random: () => number;
  readonly #fired = new Map<FaultRule, number>();
  readonly #windows = new Map<string, number[]>();
  /** Calls answered with a throttling reply, per operation. */
  readonly throttled = new Map<string, number>();

  constructor(config: Partial<FaultConfig> = {}) {
    this.#config = { ...emptyFaultConfig(), ...config };
    this.#random = seededRandom(this.#config.seed);
  }

  get config(): Readonly<FaultConfig> {
    return this.#config;
  }

  /** Replaces the configuration (fields not given keep their defaults). */
  configure(config: Partial<FaultConfig>): void {
    this.#config = { ...emptyFaultConfig(), ...config };
    this.#random = seededRandom(this.#config.seed);
    this.#fired.clear();
    this.#windows.clear();
  }

  /** True when this call exceeds the operation's rate limit (and counts it as throttled). */
  overRateLimit(operation: string, now = Date.now()): boolean {
    const rule = this.#config.rateLimits.find((r) => r.operation === operation);
    if (!rule) return false;
    const window = this.#windows.get(operation) ?? [];
    while (window.length > 0 && (window[0] ?? 0) <= now - 1000) window.shift();
    if (window.length >= rule.perSecond) {
      this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
      return true;
    }
    window.push(now);
    this.#windows.set(operation, window);
    return false;
  }

  /** The fault for this call, or undefined to answer normally. */
  decide(operation: string, resource?: string): FaultDecision | undefined {
    for (const rule of this.#config.rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.resource !== undefined && rule.resource !== resource) continue;
      const fired = this.#fired.get(rule) ?? 0;
      if (rule.times !== undefined && fired >= rule.times) continue;
      if (this.#random() >= (rule.probability ?? 1)) continue;
      this.#fired.set(rule, fired + 1);
      return {
        kind: rule.kind,
        ...(rule.error === undefined ? {} : { error: rule.error }),
        ...(rule.body === undefined ? {} : { body: rule.body }),
      };
    }
    return undefined;
  }

  /** Waits the configured latency. */
  async delay(): Promise<void> {
    const ms = this.#config.latencyMs;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}

/**
 * The chaos run's fault mix for both sandboxes, and a tally of what the sandboxes actually
 * injected (the FaultInjector decides per call; the tally wraps its `decide`).
 *
 * Rules are first-match: a rule only draws for calls it matches, so the probabilities below are
 * conditional. {@link conditionalRules} turns wanted per-call rates into those conditional
 * probabilities, so "35% transient" means 35% of the calls a group of rules applies to.
 */
import type { FaultConfig, FaultDecision, FaultInjector, FaultKind, FaultRule } from "../../src/sandbox/faults.ts";

/** A rule with the share of matching calls it should hit (instead of a conditional probability). */
export interface RatedRule extends Omit<FaultRule, "probability"> {
  rate: number;
}

/** Turns per-call rates of one group of rules (same calls matched) into first-match probabilities. */
export function conditionalRules(rated: readonly RatedRule[]): FaultRule[] {
  let left = 1;
  return rated.map(({ rate, ...rule }) => {
    const probability = left <= 0 ? 0 : Math.min(1, rate / left);
    left -= rate;
    return { ...rule, probability };
  });
}

/** How much of each kind of trouble the sandboxes inject, as shares of calls. */
export interface FaultMix {
  /** Provider errors with no effect (SLS 500/503, IM 10002/60018, IM HTTP 502), every operation. */
  transient: number;
  /** On creates only: the call takes effect, then the answer is an error, a reset or a hang. */
  ambiguous: number;
  /** Every operation: no answer at all (the attempt timeout fires). */
  hang: number;
  /** Every operation: the connection is cut without an answer. */
  reset: number;
}

export const DEFAULT_FAULT_MIX: FaultMix = { transient: 0.35, ambiguous: 0.12, hang: 0.03, reset: 0.04 };

/** A permanent error injected for one tenant's resource, and what the record must then say. */
export interface PermanentFault {
  tenantId: string;
  step: "sls-consumer-group" | "im-group";
  provider: "sls" | "tencent-im";
  /** The provider error code the step record must carry. */
  code: string;
  rule: FaultRule;
}

/** IM 10016 (create_group refused by the app's callback): permanent, never retried. */
export function imPermanentFault(tenantId: string, groupId: string): PermanentFault {
  return {
    tenantId,
    step: "im-group",
    provider: "tencent-im",
    code: "10016",
    rule: { operation: "create_group", resource: groupId, kind: "error", error: { code: 10016, message: "rejected by the app's callback" } },
  };
}

/**
 * SLS JsonInfoInvalid (the request refused for good): permanent. (A full logstore,
 * ConsumerGroupQuotaExceed, is not permanent any more: the tenant moves to another logstore.)
 */
export function slsPermanentFault(tenantId: string, consumerGroup: string): PermanentFault {
  return {
    tenantId,
    step: "sls-consumer-group",
    provider: "sls",
    code: "JsonInfoInvalid",
    rule: {
      operation: "CreateConsumerGroup",
      resource: consumerGroup,
      kind: "error",
      error: { status: 400, code: "JsonInfoInvalid", message: "consumerGroup or timeout is of error format" },
    },
  };
}

/**
 * An outage for one tenant's resource: every call fails transiently until the outage is lifted
 * (the runner lifts it after the deliveries), longer than the in-process retries and SQS
 * redeliveries last, so the tenant reaches the DLQ and the backfill. It must still end SUCCEEDED.
 */
export interface OutageFault {
  tenantId: string;
  provider: "sls" | "tencent-im";
  rule: FaultRule;
}

export function slsOutage(tenantId: string, consumerGroup: string): OutageFault {
  return { tenantId, provider: "sls", rule: { operation: "CreateConsumerGroup", resource: consumerGroup, kind: "error", error: { status: 503, code: "ServerBusy" } } };
}

export function imOutage(tenantId: string, ownerAccount: string): OutageFault {
  return { tenantId, provider: "tencent-im", rule: { operation: "account_import", resource: ownerAccount, kind: "error", error: { code: 60018 } } };
}

/** Shares of the transient slice: split evenly over the error shapes of each provider. */
function split(total: number, parts: number): number {
  return total / parts;
}

/** The SLS sandbox's faults: rules for chosen tenants first (they must win), then the mix. */
export function slsFaultConfig(mix: FaultMix, targeted: readonly (PermanentFault | OutageFault)[], seed: number): Partial<FaultConfig> {
  const ambiguous = conditionalRules([
    { operation: "CreateConsumerGroup", kind: "error-after-effect", error: { status: 500, code: "InternalServerError" }, rate: mix.ambiguous * 0.5 },
    { operation: "CreateConsumerGroup", kind: "reset-after-effect", rate: mix.ambiguous * 0.3 },
    { operation: "CreateConsumerGroup", kind: "hang-after-effect", rate: mix.ambiguous * 0.2 },
  ]);
  const everyCall = conditionalRules([
    { kind: "error", error: { status: 500, code: "InternalServerError" }, rate: split(mix.transient, 2) },
    { kind: "error", error: { status: 503, code: "ServerBusy" }, rate: split(mix.transient, 2) },
    { kind: "hang", rate: mix.hang },
    { kind: "reset", rate: mix.reset },
  ]);
  return { rules: [...targeted.filter((p) => p.provider === "sls").map((p) => p.rule), ...ambiguous, ...everyCall], seed };
}

/** The IM sandbox's faults; its documented 200/s rate limits stay on (not listed here). */
export function imFaultConfig(mix: FaultMix, targeted: readonly (PermanentFault | OutageFault)[], seed: number): Partial<FaultConfig> {
  const ambiguous = conditionalRules([
    { operation: "create_group", kind: "error-after-effect", error: { code: 10002 }, rate: mix.ambiguous * 0.5 },
    { operation: "create_group", kind: "reset-after-effect", rate: mix.ambiguous * 0.3 },
    { operation: "create_group", kind: "hang-after-effect", rate: mix.ambiguous * 0.2 },
  ]);
  const everyCall = conditionalRules([
    { kind: "error", error: { code: 10002 }, rate: split(mix.transient, 3) },
    { kind: "error", error: { code: 60018 }, rate: split(mix.transient, 3) },
    { kind: "error", error: { status: 502, code: 502 }, rate: split(mix.transient, 3) },
    { kind: "hang", rate: mix.hang },
    { kind: "reset", rate: mix.reset },
  ]);
  return { rules: [...targeted.filter((p) => p.provider === "tencent-im").map((p) => p.rule), ...ambiguous, ...everyCall], seed };
}

/** Faults injected, by kind and by `kind:code`, and how many calls were asked about. */
export interface FaultTally {
  decisions: number;
  byKind: Partial<Record<FaultKind, number>>;
  byCode: Record<string, number>;
}

/**
 * Counts every decision the injector makes. The sandboxes keep call and create counters but no
 * per-kind fault counter, so the tally wraps `decide` on the running sandbox's own injector.
 */
export function tallyFaults(injector: FaultInjector): FaultTally {
  const tally: FaultTally = { decisions: 0, byKind: {}, byCode: {} };
  const decide = injector.decide.bind(injector);
  injector.decide = (operation: string, resource?: string): FaultDecision | undefined => {
    const decision = decide(operation, resource);
    tally.decisions++;
    if (decision) {
      tally.byKind[decision.kind] = (tally.byKind[decision.kind] ?? 0) + 1;
      const status = decision.error?.status;
      const code = decision.error ? `${status !== undefined && status !== 200 ? `${status} ` : ""}${decision.error.code}` : "";
      const key = `${operation} ${decision.kind}${code ? ` ${code}` : ""}`;
      tally.byCode[key] = (tally.byCode[key] ?? 0) + 1;
    }
    return decision;
  };
  return tally;
}

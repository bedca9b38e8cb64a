import type { ProviderName } from "../errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import type { ProvisionMetrics } from "../observability/metrics.ts";
import { LeaseLostError } from "../outcomes/errors.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import { UNFINISHED_STATUSES } from "../outcomes/constants.ts";
import type { StepName, StepRecord, StepResult, StepStatus } from "../outcomes/types.ts";
import type { TenantPlan } from "./plan.ts";
import { stepResultFromError } from "./step-result.ts";
import type { TenantOnboarding } from "./tenant.ts";
import type {
  ConsumerGroupProvisioner,
  ImGroupProvisioner,
  ProvisionLogger,
  ProvisionResult,
  StepOutcome,
} from "./types.ts";

/** What `provision` works with; built once per cold start. */
export interface ProvisionDependencies {
  store: Pick<OutcomeStore, "registerTenant" | "claimStep" | "completeStep">;
  sls: ConsumerGroupProvisioner;
  im: ImGroupProvisioner;
  /** Derives the plan (see `planTenant`); injected so the core never reads configuration itself. */
  plan: (tenant: TenantOnboarding) => TenantPlan;
  /** Unique per invocation (the Lambda request id): the lease owner of claimed steps. */
  workerId: string;
  /** Time kept free before the deadline to record outcomes after provider calls stop. */
  safetyMarginMs: number;
  /** A claim outlives the deadline by this much, so only a crashed worker's claim lapses. */
  leaseGraceMs?: number;
  clock?: Clock;
  logger?: ProvisionLogger;
  metrics?: ProvisionMetrics;
}

/** How long the caller can spend. */
export interface ProvisionBudget {
  /** Absolute epoch-ms by which `provision` must have returned (e.g. the Lambda's end minus a margin). */
  deadline: number;
  /**
   * The tenant's step records as the caller just read them (the backfill does): registration
   * is skipped, saving its reads. Absent: the tenant is registered (idempotent) first.
   */
  registered?: readonly StepRecord[] | undefined;
}

const STEP_PROVIDER: Record<StepName, ProviderName> = {
  "sls-consumer-group": "sls",
  "im-group": "tencent-im",
};

/**
 * Makes both providers match the tenant's plan and records every step. Safe to run any number
 * of times, from any entry point, at once: names are deterministic, each step is claimed with a
 * conditional write, and each provider operation converges. The steps are independent: one
 * provider failing never blocks or undoes the other's success.
 *
 * @example
 * ```ts
 * const result = await provision(tenant, { deadline: Date.now() + 20_000 }, deps);
 * if (result.retryable) requeue(tenant);
 * ```
 */
export async function provision(
  tenant: TenantOnboarding,
  budget: ProvisionBudget,
  deps: ProvisionDependencies,
): Promise<ProvisionResult> {
  const clock = deps.clock ?? systemClock;
  const plan = deps.plan(tenant);
  const steps = Object.keys(STEP_PROVIDER) as StepName[];
  const registered =
    budget.registered && steps.every((step) => budget.registered?.some((r) => r.step === step))
      ? budget.registered
      : await deps.store.registerTenant(tenant.tenantId, { ...tenant }, tenant.source, steps);

  const outcomes = await Promise.all(
    steps.map((step) => runStep(step, plan, registered.find((r) => r.step === step), budget, deps, clock)),
  );
  return {
    tenantId: tenant.tenantId,
    steps: outcomes,
    succeeded: outcomes.every((o) => o.status === "SUCCEEDED"),
    retryable: outcomes.some((o) => isUnfinished(o.status)),
  };
}

async function runStep(
  step: StepName,
  plan: TenantPlan,
  known: StepRecord | undefined,
  budget: ProvisionBudget,
  deps: ProvisionDependencies,
  clock: Clock,
): Promise<StepOutcome> {
  const provider = STEP_PROVIDER[step];
  // A finished step needs no claim (a write): report it as recorded.
  if (known && !isUnfinished(known.status)) {
    return fromRecord(known, "already-finished", provider);
  }
  const leaseMs = Math.max(1_000, budget.deadline - clock.now()) + (deps.leaseGraceMs ?? 30_000);
  const claim = await deps.store.claimStep(plan.tenantId, step, { owner: deps.workerId, leaseMs });
  if (!claim.claimed) {
    if (claim.reason === "missing") {
      return { step, provider, status: "PENDING", action: "not-recorded", attempts: 0, resource: {} };
    }
    return fromRecord(claim.record, claim.reason === "finished" ? "already-finished" : "in-progress-elsewhere", provider);
  }

  const providerDeadline = budget.deadline - deps.safetyMarginMs;
  let result: StepResult;
  let providerOutcome: string | undefined;
  const startedAt = clock.now();
  try {
    if (step === "sls-consumer-group") {
      const r = await deps.sls.ensureConsumerGroup(plan.consumerGroup, { deadline: providerDeadline });
      providerOutcome = r.outcome;
      result = { status: "SUCCEEDED", resource: { consumerGroup: plan.consumerGroup.name, logstore: plan.consumerGroup.logstore } };
    } else {
      const r = await deps.im.ensureGroup(plan.imGroup, { deadline: providerDeadline });
      providerOutcome = r.outcome;
      result = { status: "SUCCEEDED", resource: { groupId: r.groupId } };
    }
  } catch (error) {
    result = stepResultFromError(error, provider, { attempts: claim.record.attempts, now: clock.now() });
  }
  deps.metrics?.stepFinished({
    step,
    provider,
    status: result.status,
    errorCode: "error" in result ? result.error.code : undefined,
    durationMs: clock.now() - startedAt,
  });
  deps.logger?.[result.status === "SUCCEEDED" ? "info" : "warn"]("step finished", {
    tenantId: plan.tenantId,
    step,
    status: result.status,
    providerOutcome,
    attempts: claim.record.attempts,
    error: "error" in result ? result.error : undefined,
  });

  try {
    const saved = await deps.store.completeStep(claim.record, result);
    return { ...fromRecord(saved, "ran", provider), providerOutcome };
  } catch (error) {
    if (error instanceof LeaseLostError) {
      // Our lease lapsed and another worker took the step over: its record stands.
      deps.logger?.warn("lease lost; keeping the other worker's record", { tenantId: plan.tenantId, step });
      return fromRecord(error.current ?? claim.record, "in-progress-elsewhere", provider);
    }
    // The provider work is done (or safely repeatable) but not recorded: the lease lapses and
    // a later run converges to the same state and records it.
    deps.logger?.error("could not record step outcome", { tenantId: plan.tenantId, step, errorName: (error as Error).name });
    return { step, provider, status: "IN_PROGRESS", action: "not-recorded", providerOutcome, attempts: claim.record.attempts, resource: {} };
  }
}

function fromRecord(record: StepRecord, action: StepOutcome["action"], provider: ProviderName): StepOutcome {
  return {
    step: record.step,
    provider,
    status: record.status,
    action,
    attempts: record.attempts,
    resource: record.resource,
    error: record.status === "SUCCEEDED" ? undefined : record.lastError,
  };
}

/** PENDING, IN_PROGRESS or FAILED_RETRYABLE: the step still needs work (the store's own list). */
function isUnfinished(status: StepStatus): boolean {
  return (UNFINISHED_STATUSES as readonly StepStatus[]).includes(status);
}

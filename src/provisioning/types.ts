import type { ProviderName } from "../errors.ts";
import type { Desired, StepError, StepName, StepStatus } from "../outcomes/types.ts";

/** A log sink the core writes structured events to; never handed a secret. */
export interface ProvisionLogger {
  // Rest parameters, as the service Logger (src/observability/logger.ts) takes any number of attribute objects.
  info(message: string, ...fields: Record<string, unknown>[]): void;
  warn(message: string, ...fields: Record<string, unknown>[]): void;
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

/** How one step of one run ended, as the caller sees it. */
export interface StepOutcome {
  step: StepName;
  provider: ProviderName;
  status: StepStatus;
  /** What this run did: ran the step, or found it finished or leased elsewhere. */
  action: "ran" | "already-finished" | "in-progress-elsewhere" | "not-recorded" | "not-due";
  /** Provider outcome when this run ran it: created, already-existed, updated, unchanged, removed. */
  providerOutcome?: string | undefined;
  attempts: number;
  resource: Record<string, string>;
  /** The tenant generation the status is about. */
  generation: number;
  /** When the record last changed (absent when this run could not record it). */
  updatedAt?: string | undefined;
  /** The status is about an older generation than the tenant's (another worker holds the step). */
  behind?: boolean | undefined;
  error?: StepError | undefined;
  /** FAILED_RETRYABLE: when the step is next due (the backfill runs it then). */
  nextAttemptAt?: string | undefined;
}

/** The result of one `provision` / `reconcile` run. */
export interface ProvisionResult {
  tenantId: string;
  /** The tenant's generation this run worked for. */
  generation: number;
  desired: Desired;
  steps: StepOutcome[];
  /** Every step reached the desired state: SUCCEEDED (PRESENT) or DELETED (ABSENT). */
  succeeded: boolean;
  /** Some step still needs work (FAILED_RETRYABLE, IN_PROGRESS, PENDING): worth a redelivery. */
  retryable: boolean;
  /**
   * The request was older than the one that set the current generation (`requestedAt`), so it
   * changed nothing: the result is the current generation's, set by the request of `requestedAt`.
   */
  stale?: { requestedAt?: string | undefined } | undefined;
}

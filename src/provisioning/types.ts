import type { ProviderName } from "../errors.ts";
import type { StepError, StepName, StepStatus } from "../outcomes/types.ts";
import type { ConsumerGroupPlan, ImGroupPlan } from "./plan.ts";

/** The provider operations the core needs (the SLS and IM clients satisfy these). */
export interface ConsumerGroupProvisioner {
  ensureConsumerGroup(plan: ConsumerGroupPlan, options: { deadline: number }): Promise<{ outcome: string }>;
}

/** See {@link ConsumerGroupProvisioner}. */
export interface ImGroupProvisioner {
  ensureGroup(plan: ImGroupPlan, options: { deadline: number }): Promise<{ outcome: string; groupId: string }>;
}

/** A log sink the core writes structured events to; never handed a secret. */
export interface ProvisionLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** How one step of one run ended, as the caller sees it. */
export interface StepOutcome {
  step: StepName;
  provider: ProviderName;
  status: StepStatus;
  /** What this run did: ran the step, or found it finished or leased elsewhere. */
  action: "ran" | "already-finished" | "in-progress-elsewhere" | "not-recorded";
  /** Provider outcome when this run ran it: created, already-existed, updated. */
  providerOutcome?: string | undefined;
  attempts: number;
  resource: Record<string, string>;
  error?: StepError | undefined;
}

/** The result of one `provision` run. */
export interface ProvisionResult {
  tenantId: string;
  steps: StepOutcome[];
  /** Every step is SUCCEEDED. */
  succeeded: boolean;
  /** Some step still needs work (FAILED_RETRYABLE, IN_PROGRESS, PENDING): worth a redelivery. */
  retryable: boolean;
}

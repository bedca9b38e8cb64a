import type { StepError, StepStatus } from "./types.ts";

/**
 * How a step's recorded error is shown to operators (status route and CLI alike): on a SUCCEEDED
 * or DELETED step it is history, `previousError`; on any other step it is why the step is where it
 * is, `lastError`.
 *
 * @example
 * ```ts
 * stepErrorView({ status: "DELETED", lastError }); // { previousError: lastError }
 * ```
 */
export function stepErrorView(step: { status: StepStatus; lastError?: StepError | undefined }): { previousError?: StepError | undefined } | { lastError?: StepError | undefined } {
  return step.status === "SUCCEEDED" || step.status === "DELETED" ? { previousError: step.lastError } : { lastError: step.lastError };
}

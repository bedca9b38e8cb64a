/** The outcome store: public surface. */
export { OutcomeStore } from "./store.ts";
export { LeaseLostError, MalformedOutcomeItemError } from "./errors.ts";
export {
  DEFAULT_UNFINISHED_SHARDS,
  FINISHED_STATUSES,
  STEP_NAMES,
  STEP_STATUSES,
  UNFINISHED_INDEX_NAME,
  UNFINISHED_STATUSES,
} from "./constants.ts";
export { isStepName } from "./input-validation.ts";
export type {
  ClaimOptions,
  ClaimRefusal,
  ClaimResult,
  FinishedStatus,
  JsonObject,
  JsonValue,
  ListUnfinishedOptions,
  OutcomeStoreOptions,
  StepError,
  StepName,
  StepRecord,
  StepResult,
  StepStatus,
  TenantItem,
  TenantOutcomes,
  UnfinishedPage,
  UnfinishedStatus,
} from "./types.ts";

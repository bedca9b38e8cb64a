/**
 * What a provisioning step is to the core: a plugin. The core loops over a registry of these and
 * knows no provider; adding a resource kind is one module and one line in the registry.
 */
import type { ProviderName } from "../errors.ts";
import type { StepName } from "../outcomes/types.ts";
import type { TenantOnboarding } from "./tenant.ts";

/** Limits of one provider operation, and what the core offers it. */
export interface StepCallOptions {
  /** Absolute epoch-ms by which provider calls must stop. */
  deadline: number;
  /**
   * Records resource ids on the step now, before an effect that makes them the tenant's (a
   * fallback choice of where the resource goes), so a later run plans from them (`recorded`)
   * instead of choosing again. Present while the core runs a claimed step.
   */
  pinResource?: ((resource: Record<string, string>) => Promise<void>) | undefined;
  /**
   * Whether an earlier run may have begun the step's work without recording it (e.g. taken a
   * logstore slot and made the group): then the step looks for that work before starting anew.
   * False for the run that recorded the tenant just now (its creation lease: nothing can have
   * run before it) and for the first claim of a tenant registered without one. After a creation
   * lease's run the count of claims cannot tell: that run writes a step's item only with the
   * outcome, so one that lost its recording leaves none, and the next claim is again the first.
   */
  mayHaveRunBefore?: boolean | undefined;
}

/** What an ensure or update made true. */
export interface StepEffect {
  /** created, already-existed, updated, unchanged… (for logs and the webhook's 201/200). */
  outcome: string;
  /** Provider resource ids to record, e.g. `{ groupId }`. */
  resource: Record<string, string>;
}

/**
 * One kind of resource a tenant has. `P` is the step's plan; `O` what reading the live resource
 * back gives.
 *
 * The core calls, per tenant generation:
 * - desired PRESENT, never provisioned: `ensure(plan)`;
 * - desired PRESENT, provisioned before: `update(plan)` where the step has one (it reads the
 *   live resource back, changes what differs, and recreates a resource gone out of band), else
 *   `ensure(plan)`;
 * - desired ABSENT: `remove(plan)` (gone already counts as removed).
 * `read(plan)` is the live resource, for operators and checks.
 *
 * Errors are thrown as the shared error types (ProviderError with its class, ValidationError…);
 * the core records them. A foreign resource with our name must be a `conflict` error, never
 * changed.
 *
 * @example
 * ```ts
 * const dnsStep: StepModule<{ name: string }> = {
 *   name: "dns-record", provider: "sls",
 *   plan: (spec) => ({ name: `${spec.tenantId}.example.com` }),
 *   ensure: async (plan) => ({ outcome: "created", resource: { record: plan.name } }),
 *   remove: async () => ({ outcome: "removed" }),
 * };
 * ```
 */
export interface StepModule<P = unknown, O = unknown> {
  /** Stored as the step record's name: 1-64 of `a-z 0-9 -`. */
  readonly name: StepName;
  readonly provider: ProviderName;
  /**
   * The resource the tenant's spec asks for. `recorded` holds the resource ids the step stored
   * when it last succeeded, so a choice that must not move (which logstore) stays pinned.
   */
  plan(spec: TenantOnboarding, recorded: Readonly<Record<string, string>>): P;
  /**
   * What of a plan decides whether the resource must change (default: the whole plan). A step
   * whose plan also carries how to get there (fallback choices) leaves those out, so a finished
   * step is not run again only because its choices were pinned.
   */
  planIdentity?(plan: P): unknown;
  ensure(plan: P, options: StepCallOptions): Promise<StepEffect>;
  /** The live resource, or undefined when it does not exist. */
  read?(plan: P, options: StepCallOptions): Promise<O | undefined>;
  /** Makes an existing resource match the plan (only what the provider lets change). */
  update?(plan: P, options: StepCallOptions): Promise<StepEffect>;
  /**
   * Removes the resource. Uses only what of the plan identifies it: the tenant id, the owner
   * (`admin.userId`) and `recorded`; a tenant whose stored request no longer reads is removed
   * from a plan whose other fields are blank (see ownerlessRemovalSpec in desired-state.ts).
   */
  remove(plan: P, options: StepCallOptions): Promise<{ outcome: string }>;
  /**
   * Whether `remove` needs the owner (`admin.userId`) to tell the tenant's resource from a
   * foreign one. A tenant whose stored request does not say who the owner is still has the steps
   * that need no owner removed (from the tenant id and `recorded`; their plan's owner is blank);
   * a step that needs it records `StoredRequestUnreadable` instead, unless its record shows
   * nothing was made.
   */
  readonly removeNeedsOwner?: boolean;
}

/** The steps every tenant has, in the order they are listed (they run side by side). */
export type StepRegistry = readonly StepModule[];

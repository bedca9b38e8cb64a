import { ProvisionerError } from "../errors.ts";
import type { StepName, StepRecord } from "./types.ts";

/**
 * A completion was refused because the claim it relied on is gone: another worker took the step
 * over after the lease lapsed (or the step changed otherwise). The store never overwrites the
 * other worker's result; `current` is what the step holds now.
 *
 * @example
 * ```ts
 * try { await store.completeStep(claimed, result); }
 * catch (e) { if (e instanceof LeaseLostError) log.warn("lost lease", e.current?.status); else throw e; }
 * ```
 */
export class LeaseLostError extends ProvisionerError {
  override name = "LeaseLostError";
  readonly tenantId: string;
  readonly step: StepName;
  /** The owner and version the completion expected. */
  readonly expected: { owner: string; version: number };
  /** The step as it is now; undefined if its item is gone. */
  readonly current: StepRecord | undefined;

  constructor(claimed: StepRecord & { leaseOwner: string }, current: StepRecord | undefined) {
    super(
      `lease on ${claimed.tenantId}/${claimed.step} lost: expected owner ${claimed.leaseOwner} ` +
        `at version ${claimed.version}, found ` +
        (current
          ? `${current.status} owner ${current.leaseOwner ?? "(none)"} at version ${current.version}`
          : "no item"),
    );
    this.tenantId = claimed.tenantId;
    this.step = claimed.step;
    this.expected = { owner: claimed.leaseOwner, version: claimed.version };
    this.current = current;
  }
}

/**
 * An item read from the table does not have the shape the store writes: someone else wrote it,
 * or the layout changed without a migration. Names the key and the broken fields, not values.
 *
 * @example
 * ```ts
 * throw new MalformedOutcomeItemError("TENANT#t-1", "STEP#im-group", ["status: invalid option"]);
 * ```
 */
export class MalformedOutcomeItemError extends ProvisionerError {
  override name = "MalformedOutcomeItemError";
  readonly pk: string;
  readonly sk: string;
  constructor(pk: string, sk: string, problems: readonly string[]) {
    super(`outcome item ${pk} / ${sk} is malformed: ${problems.join("; ")}`);
    this.pk = pk;
    this.sk = sk;
  }
}

/** Errors of the tenant lifecycle a caller switches on (the webhook maps them to HTTP statuses). */
import { describeIssues, ProvisionerError, type ValidationIssue } from "../errors.ts";
import { MAX_REQUESTED_AT_AHEAD_MS } from "./constants.ts";

/**
 * A request changes a field that cannot change once the tenant's resources exist (the IM group's
 * owner, say). Nothing was written; the tenant keeps its current generation.
 *
 * @example
 * ```ts
 * if (err instanceof ImmutableFieldError) return json(409, { field: err.field });
 * ```
 */
export class ImmutableFieldError extends ProvisionerError {
  override name = "ImmutableFieldError";
  readonly tenantId: string;
  /** Dotted path in the request, e.g. `admin.userId`. */
  readonly field: string;
  readonly rule: string;
  constructor(tenantId: string, field: string, rule: string) {
    super(`tenant ${tenantId}: ${field} cannot change (${rule}); nothing was changed`);
    this.tenantId = tenantId;
    this.field = field;
    this.rule = rule;
  }
}

/**
 * An operation needs a tenant that is not recorded (offboarding or re-driving an unknown tenant).
 *
 * @example
 * ```ts
 * if (err instanceof TenantNotFoundError) return json(404, { tenantId: err.tenantId });
 * ```
 */
export class TenantNotFoundError extends ProvisionerError {
  override name = "TenantNotFoundError";
  readonly tenantId: string;
  constructor(tenantId: string) {
    super(`tenant ${tenantId} is not recorded`);
    this.tenantId = tenantId;
  }
}

/**
 * A request's `requestedAt` is further ahead of the service's clock than
 * {@link MAX_REQUESTED_AT_AHEAD_MS} allows (a sender's wrong clock or year). Nothing was written:
 * stored, it would make every later request of the tenant look stale.
 *
 * @example
 * ```ts
 * if (err instanceof RequestedAtAheadError) return json(400, { issues: [{ field: `data.${err.field}`, rule: err.rule }] });
 * ```
 */
export class RequestedAtAheadError extends ProvisionerError {
  override name = "RequestedAtAheadError";
  readonly tenantId: string;
  readonly field = "requestedAt";
  readonly rule = `not in the future (at most ${MAX_REQUESTED_AT_AHEAD_MS / 60_000} minutes ahead of the service's clock)`;
  constructor(tenantId: string) {
    super(`tenant ${tenantId}: requestedAt is in the future; nothing was changed`);
    this.tenantId = tenantId;
  }
}

/**
 * An operation needs what a tenant's stored request says, and no release's shape reads it (a
 * field none knew, a value of the wrong type): e.g. an offboarding whose IM group may exist while
 * the stored request does not say who owns it (IM removes a group only when its owner matches).
 * Refused before anything is written; `issues` name the stored fields and rules.
 *
 * @example
 * ```ts
 * if (err instanceof StoredTenantUnreadableError) return json(409, { error: "stored-tenant-unreadable", issues: err.issues });
 * ```
 */
export class StoredTenantUnreadableError extends ProvisionerError {
  override name = "StoredTenantUnreadableError";
  readonly tenantId: string;
  readonly issues: readonly ValidationIssue[];
  constructor(tenantId: string, need: string, issues: readonly ValidationIssue[]) {
    super(`tenant ${tenantId}: the stored request cannot be read, and ${need}: ${describeIssues(issues)}; nothing was changed`);
    this.tenantId = tenantId;
    this.issues = issues;
  }
}

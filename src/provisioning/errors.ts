/** Errors of the tenant lifecycle a caller switches on (the webhook maps them to HTTP statuses). */
import { ProvisionerError } from "../errors.ts";

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

import { announcementView } from "./announcement-view.ts";
import { STEP_NAMES } from "./constants.ts";
import { stepErrorView } from "./step-error-view.ts";
import type { TenantItem, TenantOutcomes } from "./types.ts";

/**
 * A recorded tenant as operators see it, the one shape of `GET /tenants/{id}` and
 * `npm run cli -- status` (the CLI showed neither `desired` nor `generation`, so an offboarded
 * tenant read like a present one with deleted steps).
 *
 * @example
 * ```ts
 * const { tenant, steps } = await store.getTenant("acme-1");
 * if (tenant) reply(tenantStatusView(tenant, steps));
 * ```
 */
export function tenantStatusView(tenant: TenantItem, steps: TenantOutcomes["steps"], stepNames: readonly string[] = STEP_NAMES) {
  const announcement = announcementView(tenant);
  return {
    tenantId: tenant.tenantId,
    source: tenant.source,
    registeredAt: tenant.createdAt,
    desired: tenant.desired,
    generation: tenant.generation,
    // Every step is recorded (a first run writes a step's item with its outcome; only an
    // offboarding that overtook its signup has none) and reached the desired state at the
    // current generation.
    succeeded:
      (steps.length === 0 ? tenant.desired === "ABSENT" : stepNames.every((name) => steps.some((s) => s.step === name))) &&
      steps.every((s) => s.status === (tenant.desired === "ABSENT" ? "DELETED" : "SUCCEEDED") && s.observedGeneration >= tenant.generation),
    steps: steps.map((s) => ({
      step: s.step,
      status: s.status,
      observedGeneration: s.observedGeneration,
      deletedAt: s.deletedAt,
      attempts: s.attempts,
      firstAttemptAt: s.firstAttemptAt,
      lastAttemptAt: s.lastAttemptAt,
      nextAttemptAt: s.nextAttemptAt,
      resource: s.resource,
      ...stepErrorView(s),
      updatedAt: s.updatedAt,
    })),
    // Whether downstream systems were told (the outcome event), and if not, why.
    ...(announcement ? { announcement } : {}),
  };
}

/** What a chaos run does to whom: the tenants, their targeted faults and their lifecycle mix, from the seed. */
import { seededRandom } from "../../src/sandbox/faults.ts";
import { chaosTenants, type ChaosTenant } from "./events.ts";

export { seededRandom };
import { imOutage, imPermanentFault, slsOutage, slsPermanentFault, type OutageFault, type PermanentFault } from "./faults.ts";
import type { DesiredTenant } from "./invariants.ts";

/** The prefix of consumer group names and IM group ids in a chaos run. */
export const RESOURCE_PREFIX = "tenant-";

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Picks `count` tenants spread over the list (never the same one twice across kinds). */
function pickPermanent(tenants: readonly ChaosTenant[], imCount: number, slsCount: number): PermanentFault[] {
  const total = imCount + slsCount;
  if (total === 0) return [];
  const stride = Math.max(1, Math.floor(tenants.length / total));
  const picked: PermanentFault[] = [];
  for (let k = 0; k < total && k * stride < tenants.length; k++) {
    const tenant = tenants[Math.min(tenants.length - 1, k * stride + Math.floor(stride / 2))] as ChaosTenant;
    picked.push(
      k < imCount
        ? imPermanentFault(tenant.tenantId, `${RESOURCE_PREFIX}${tenant.tenantId}`)
        : slsPermanentFault(tenant.tenantId, `${RESOURCE_PREFIX}${tenant.tenantId}`),
    );
  }
  return picked;
}

export interface ScenarioOptions {
  tenants: number;
  idPrefix: string;
  seed: number;
  imPermanentTenants: number;
  slsPermanentTenants: number;
  outageTenants: number;
  updateShare: number;
  offboardShare: number;
}

export interface Scenario {
  tenants: ChaosTenant[];
  permanent: PermanentFault[];
  outages: OutageFault[];
  /** Tenants that send an update of their mutable fields after their signup deliveries. */
  updateIds: Set<string>;
  /** Tenants offboarded after their signup deliveries. */
  offboardIds: Set<string>;
  /** What each tenant should end as: the last request sent for it (the deliveries update it). */
  desired: Map<string, DesiredTenant>;
}

/**
 * Plans a run: permanent faults spread over the list, outages among the others, and the
 * lifecycle mix (updates, offboards) among the tenants without targeted faults.
 *
 * @example
 * ```ts
 * const scenario = planScenario({ tenants: 48, idPrefix: "rel", seed: 7, imPermanentTenants: 2, slsPermanentTenants: 1, outageTenants: 2, updateShare: 0.12, offboardShare: 0.12 });
 * ```
 */
export function planScenario(options: ScenarioOptions): Scenario {
  const tenants = chaosTenants(options.tenants, options.idPrefix);
  const permanent = pickPermanent(tenants, options.imPermanentTenants, options.slsPermanentTenants);
  const permanentIds = new Set(permanent.map((p) => p.tenantId));
  const outages: OutageFault[] = tenants
    .filter((t) => !permanentIds.has(t.tenantId))
    .filter((_, i, list) => i % Math.max(1, Math.floor(list.length / Math.max(1, options.outageTenants))) === 1)
    .slice(0, options.outageTenants)
    .map((t, i) => (i % 2 === 0 ? slsOutage(t.tenantId, `${RESOURCE_PREFIX}${t.tenantId}`) : imOutage(t.tenantId, t.admin.userId)));
  const outageIds = new Set(outages.map((o) => o.tenantId));
  const clean = shuffled(tenants.filter((t) => !permanentIds.has(t.tenantId) && !outageIds.has(t.tenantId)), seededRandom(options.seed + 17));
  const updateCount = Math.ceil(tenants.length * options.updateShare);
  const offboardCount = Math.ceil(tenants.length * options.offboardShare);
  return {
    tenants,
    permanent,
    outages,
    updateIds: new Set(clean.slice(0, updateCount).map((t) => t.tenantId)),
    offboardIds: new Set(clean.slice(updateCount, updateCount + offboardCount).map((t) => t.tenantId)),
    desired: new Map<string, DesiredTenant>(tenants.map((t) => [t.tenantId, { desired: "PRESENT", spec: t }])),
  };
}

import type { ServiceConfig } from "../config/config.ts";
import type { ImApplyJoinOption } from "../providers/tencent-im/constants.ts";
import { tenantMarker } from "./constants.ts";
import type { TenantOnboarding } from "./tenant.ts";

/**
 * The SLS consumer group a tenant must have. Which logstore holds it is not derived: the
 * logstore registry assigns one at first provisioning and the step record keeps it.
 */
export interface ConsumerGroupPlan {
  name: string;
  timeout: number;
  order: boolean;
}

/** The IM group a tenant must have, owned by its admin. */
export interface ImGroupPlan {
  groupId: string;
  /** Ties the group to its tenant, so a read-back can tell ours from a foreign group with the same id. */
  marker: string;
  type: ServiceConfig["im"]["groupType"];
  name: string;
  owner: { userId: string; nick?: string | undefined };
  members: { userId: string; role?: "Admin" | undefined }[];
  introduction?: string | undefined;
  notification?: string | undefined;
  faceUrl?: string | undefined;
  applyJoinOption?: ImApplyJoinOption | undefined;
}

/** Everything that must exist for one tenant. Derived, never random: a retry finds its own resources. */
export interface TenantPlan {
  tenantId: string;
  consumerGroup: ConsumerGroupPlan;
  imGroup: ImGroupPlan;
}

/**
 * Derives a tenant's plan: deterministic names from the tenant id and the configured prefixes.
 * The tenant schema and the config rules together guarantee the names are valid for both
 * providers (consumer group ≤ 128 of `[0-9a-zA-Z_-]`, GroupId ≤ 48 printable ASCII bytes).
 *
 * @example
 * ```ts
 * planTenant(tenant, config).consumerGroup.name; // "tenant-acme-42"
 * ```
 */
export function planTenant(tenant: TenantOnboarding, config: Pick<ServiceConfig, "sls" | "im">): TenantPlan {
  return {
    tenantId: tenant.tenantId,
    consumerGroup: {
      name: `${config.sls.consumerGroupPrefix}${tenant.tenantId}`,
      timeout: tenant.consumerGroup?.timeout ?? config.sls.consumerGroupTimeout,
      order: tenant.consumerGroup?.order ?? config.sls.consumerGroupOrder,
    },
    imGroup: {
      groupId: `${config.im.groupIdPrefix}${tenant.tenantId}`,
      marker: tenantMarker(tenant.tenantId),
      type: config.im.groupType,
      name: tenant.displayName,
      owner: { userId: tenant.admin.userId, nick: tenant.admin.name },
      members: (tenant.members ?? []).map((m) => ({ userId: m.userId, role: m.role })),
      introduction: tenant.imGroup?.introduction,
      notification: tenant.imGroup?.notification,
      faceUrl: tenant.imGroup?.faceUrl,
      // Community groups take no ApplyJoinOption; AVChatRoom is not a tenant group type.
      applyJoinOption: config.im.groupType === "Community" ? undefined : tenant.imGroup?.applyJoinOption,
    },
  };
}

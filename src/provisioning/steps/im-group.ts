/** The Tencent IM group step: one group per tenant, owned by its admin, tied to it by a marker. */
import type { ServiceConfig } from "../../config/config.ts";
import type { CredentialSource, ImCredentials } from "../../credentials/types.ts";
import type { EnsureGroupSpec, ImGroupInfo, TencentImClient } from "../../providers/tencent-im/index.ts";
import { planTenant, type ImGroupPlan } from "../plan.ts";
import type { StepCallOptions, StepModule } from "../step-module.ts";
import { assertNotImAppAdmin } from "../tenant.ts";

/**
 * The IM operations the step uses. `ensureGroup`, `updateGroup` and `removeGroup` apply only to
 * a group whose type, owner and marker match (a foreign group is a conflict, never touched); they
 * import the members themselves; a group already gone counts as removed.
 */
export type ImGroupOperations = Pick<TencentImClient, "ensureGroup" | "updateGroup" | "removeGroup" | "getGroupInfo">;

/**
 * The `im-group` step. Mutable: name, introduction, notification, face URL, apply-join option,
 * members to add. The owner and the type are fixed (a changed one reads back as a foreign group).
 * The app's admin account is never made a tenant's owner or member (checked before any import).
 *
 * @example
 * ```ts
 * const step = imGroupStep({ config, im: imClient, credentials: credentials.im });
 * ```
 */
export function imGroupStep(options: {
  config: Pick<ServiceConfig, "sls" | "im">;
  im: ImGroupOperations;
  credentials: Pick<CredentialSource<ImCredentials>, "get">;
}): StepModule<ImGroupPlan, ImGroupInfo> {
  const { im } = options;
  const refuseAppAdmin = async (plan: ImGroupPlan) => {
    const { adminIdentifier } = await options.credentials.get();
    assertNotImAppAdmin({ admin: plan.owner.userId, members: plan.members.map((m) => m.userId) }, adminIdentifier);
  };
  return {
    name: "im-group",
    provider: "tencent-im",
    // IM removes a group only when its owner matches: a foreign group with our id is never destroyed.
    removeNeedsOwner: true,
    plan: (spec) => planTenant(spec, options.config).imGroup,
    async ensure(plan, callOptions: StepCallOptions) {
      await refuseAppAdmin(plan);
      const r = await im.ensureGroup(groupSpec(plan), callOptions);
      if (r.outcome === "already-existed") {
        // Found, not made now: an earlier generation's unconfirmed create (answer lost, nothing
        // recorded) may have made it with an older spec, so bring the mutable fields up to date.
        const u = await im.updateGroup(groupSpec(plan), callOptions);
        return { outcome: u.outcome === "updated" ? "updated" : r.outcome, resource: { groupId: u.groupId } };
      }
      return { outcome: r.outcome, resource: { groupId: r.groupId } };
    },
    read: (plan, callOptions) => im.getGroupInfo(plan.groupId, callOptions),
    async update(plan, callOptions: StepCallOptions) {
      await refuseAppAdmin(plan);
      const r = await im.updateGroup(groupSpec(plan), callOptions);
      return { outcome: r.outcome, resource: { groupId: r.groupId } };
    },
    async remove(plan, callOptions) {
      const r = await im.removeGroup({ groupId: plan.groupId, type: plan.type, ownerAccount: plan.owner.userId, marker: plan.marker }, callOptions);
      return { outcome: r.outcome };
    },
  };
}

function groupSpec(plan: ImGroupPlan): EnsureGroupSpec {
  return {
    type: plan.type,
    name: plan.name,
    groupId: plan.groupId,
    ownerAccount: plan.owner.userId,
    ownerProfile: { nick: plan.owner.nick },
    marker: plan.marker,
    introduction: plan.introduction,
    notification: plan.notification,
    faceUrl: plan.faceUrl,
    applyJoinOption: plan.applyJoinOption,
    members: plan.members.map((m) => ({ userId: m.userId, role: m.role })),
  };
}

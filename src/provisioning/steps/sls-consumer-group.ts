/** The SLS consumer group step: one consumer group per tenant, in a logstore the registry assigns. */
import type { ServiceConfig } from "../../config/config.ts";
import type { LogstorePlacement } from "../../logstores/index.ts";
import { SlsError, type ConsumerGroup, type SlsClient } from "../../providers/sls/index.ts";
import { planTenant, type ConsumerGroupPlan } from "../plan.ts";
import type { StepCallOptions, StepModule } from "../step-module.ts";

/** The consumer-group operations the step uses, on one logstore. */
export type SlsStepClient = Pick<SlsClient, "ensureConsumerGroup" | "listConsumerGroups" | "updateConsumerGroup" | "removeConsumerGroup">;

/** What the step needs: the configuration, a client per logstore, and the logstore registry. */
export interface SlsConsumerGroupStepOptions {
  config: Pick<ServiceConfig, "sls" | "im">;
  /** The client of one logstore (made on first use: the registry, not the config, names them). */
  clientFor: (logstore: string) => SlsStepClient;
  /** The registry, or a growing one (SLS_LOGSTORE_AUTO_CREATE). */
  logstores: LogstorePlacement;
}

/** The step's plan: the group, and the logstore recorded for it (none before its first placement). */
export interface SlsConsumerGroupStepPlan extends ConsumerGroupPlan {
  tenantId: string;
  logstore: string | undefined;
  /** A move an earlier release recorded (`placing`) after the group was placed: removals look there too. */
  alsoAt?: string | undefined;
}

/**
 * The `sls-consumer-group` step. At first provisioning the registry gives the tenant a slot in a
 * logstore with room (one conditional write); the logstore is recorded with the step's outcome and
 * never changes while the group exists: updates, retries, the backfill and re-drives go there. A
 * run after one that died before recording finds the slot in the registry's ledger.
 *
 * When SLS refuses the create with ConsumerGroupQuotaExceed (the registry undercounted: groups
 * made by hand), nothing was created: the logstore is marked full, the slot given back, and the
 * tenant placed in the next logstore with room in the same run. Every logstore full: a retryable
 * LogstoresExhausted, holding no slot. Offboarding deletes the group and frees its slot; a
 * signup after that takes a slot in the old logstore again, or the next one with room.
 *
 * @example
 * ```ts
 * const step = slsConsumerGroupStep({ config, clientFor: (l) => clients.get(l)!, logstores: registry });
 * ```
 */
export function slsConsumerGroupStep(options: SlsConsumerGroupStepOptions): StepModule<SlsConsumerGroupStepPlan, ConsumerGroup> {
  const { clientFor, logstores: registry } = options;
  const resourceOf = (name: string, logstore: string) => ({ consumerGroup: name, logstore });
  const readIn = async (plan: ConsumerGroupPlan, logstore: string, callOptions: StepCallOptions) =>
    (await clientFor(logstore).listConsumerGroups(callOptions)).find((g) => g.name === plan.name);

  const ensure = async (plan: SlsConsumerGroupStepPlan, callOptions: StepCallOptions) => {
    const { tenantId } = plan;
    // An earlier run may have taken a slot (and made the group) without recording it.
    const known = plan.logstore ?? ((callOptions.mayHaveRunBefore ?? true) ? await registry.holderOf(tenantId) : undefined);
    let logstore = await registry.assign(tenantId, { prefer: known, deadline: callOptions.deadline });
    const full = new Set<string>();
    for (;;) {
      // The record names another logstore (a re-signup after offboarding whose old one filled up,
      // or a group gone out of band): record the move before creating, or a failure after the
      // create leaves the record pointing at the old one, and a retry or an offboarding goes
      // there (a second group, a leaked slot).
      if (plan.logstore !== undefined && logstore !== plan.logstore) await callOptions.pinResource?.({ consumerGroup: plan.name, logstore });
      try {
        const r = await clientFor(logstore).ensureConsumerGroup({ name: plan.name, timeout: plan.timeout, order: plan.order }, callOptions);
        return { outcome: r.outcome, resource: resourceOf(plan.name, logstore) };
      } catch (error) {
        // Any other failure keeps the slot: the next attempt comes back to this logstore.
        if (!(error instanceof SlsError && error.code === "ConsumerGroupQuotaExceed")) throw error;
      }
      // Never move a group that exists: an earlier, unconfirmed create may have made it here.
      if (await readIn(plan, logstore, callOptions)) return { outcome: "already-existed", resource: resourceOf(plan.name, logstore) };
      full.add(logstore);
      await registry.release(logstore, tenantId, { full: true });
      logstore = await registry.assign(tenantId, { exclude: full, deadline: callOptions.deadline });
    }
  };

  return {
    name: "sls-consumer-group",
    provider: "sls",
    plan(spec, recorded) {
      const placed = recorded["logstore"];
      // Records of the hash-placed era may hold a move begun after the group was placed.
      const placing = recorded["placing"] !== placed ? recorded["placing"] : undefined;
      return {
        ...planTenant(spec, options.config).consumerGroup,
        tenantId: spec.tenantId,
        logstore: placed ?? placing,
        ...(placed && placing ? { alsoAt: placing } : {}),
      };
    },
    // What the group must be; where it lives is fixed once it exists, so not part of a change.
    planIdentity: ({ name, timeout, order }) => ({ name, timeout, order }),
    ensure,
    read: async (plan, callOptions) => (plan.logstore === undefined ? undefined : readIn(plan, plan.logstore, callOptions)),
    // A group provisioned before: List, then Update only when timeout or order differ (one call
    // fewer than Create → AlreadyExist → List); gone out of band → ensure creates it again.
    async update(plan, callOptions) {
      const logstore = plan.logstore;
      const live = logstore === undefined ? undefined : await readIn(plan, logstore, callOptions);
      if (logstore === undefined || live === undefined) return ensure(plan, callOptions);
      if (live.timeout === plan.timeout && live.order === plan.order) return { outcome: "unchanged", resource: resourceOf(plan.name, logstore) };
      await clientFor(logstore).updateConsumerGroup(plan.name, { timeout: plan.timeout, order: plan.order }, callOptions);
      return { outcome: "updated", resource: resourceOf(plan.name, logstore) };
    },
    async remove(plan, callOptions) {
      // Never recorded: a slot taken by a run that died before recording is in the ledger.
      const logstore = plan.logstore ?? (await registry.holderOf(plan.tenantId));
      if (logstore === undefined) return { outcome: "already-absent" };
      let outcome = (await clientFor(logstore).removeConsumerGroup({ name: plan.name }, callOptions)).outcome;
      if (plan.alsoAt !== undefined && (await clientFor(plan.alsoAt).removeConsumerGroup({ name: plan.name }, callOptions)).outcome === "removed") {
        outcome = "removed";
      }
      // The group is gone: its slot is free for another tenant.
      await registry.release(logstore, plan.tenantId);
      return { outcome };
    },
  };
}

/** The SLS consumer group step: one consumer group per tenant in its logstore. */
import { ConfigurationError } from "../../errors.ts";
import { SlsError, type ConsumerGroup, type SlsClient } from "../../providers/sls/index.ts";
import type { ServiceConfig } from "../../config/config.ts";
import { planTenant, type ConsumerGroupPlan } from "../plan.ts";
import type { StepCallOptions, StepModule } from "../step-module.ts";

/** What the step needs: the configuration and one client per configured logstore. */
export interface SlsConsumerGroupStepOptions {
  config: Pick<ServiceConfig, "sls" | "im">;
  clients: ReadonlyMap<string, Pick<SlsClient, "ensureConsumerGroup" | "listConsumerGroups" | "updateConsumerGroup" | "removeConsumerGroup">>;
}

/** The step's plan: the group, and where it may go while no logstore is recorded for it. */
export interface SlsConsumerGroupStepPlan extends ConsumerGroupPlan {
  /**
   * Logstores to try in turn while each answers ConsumerGroupQuotaExceed (full; nothing was
   * created): the one a previous run was placing the group in, the hashed one, then the others
   * newest first. Only the recorded logstore once the group exists (its place never moves).
   */
  candidates: readonly string[];
  /** A logstore a move was begun to after the group was placed: removals look there too. */
  alsoAt?: string | undefined;
}

/**
 * The `sls-consumer-group` step. Its logstore is chosen by hash, then recorded: appending a
 * logstore never moves an existing group. While nothing is recorded, a full logstore
 * (ConsumerGroupQuotaExceed: nothing was created) falls over to the others, newest first; each
 * move is recorded (`placing`) before the create there, so a run after an ambiguous create tries
 * that logstore first and never creates a second group elsewhere. A group created again after an
 * offboarding prefers its old logstore and falls over the same way when that one filled up. A tenant that
 * failed because every logstore was full succeeds after the operator appends one and re-drives
 * it (`npm run cli -- retry`). Timeout and order may change.
 *
 * @example
 * ```ts
 * const step = slsConsumerGroupStep({ config, clients: slsClients });
 * ```
 */
export function slsConsumerGroupStep(options: SlsConsumerGroupStepOptions): StepModule<SlsConsumerGroupStepPlan, ConsumerGroup> {
  const client = (logstore: string) => {
    const found = options.clients.get(logstore);
    if (!found) {
      throw new ConfigurationError("SLS_LOGSTORE", [{ field: "SLS_LOGSTORE", rule: `must still list ${logstore} (a recorded consumer group lives there)` }]);
    }
    return found;
  };
  const resourceOf = (plan: ConsumerGroupPlan) => ({ consumerGroup: plan.name, logstore: plan.logstore });
  const read = async (plan: ConsumerGroupPlan, callOptions: StepCallOptions) =>
    (await client(plan.logstore).listConsumerGroups(callOptions)).find((g) => g.name === plan.name);
  const ensureIn = async (plan: ConsumerGroupPlan, callOptions: StepCallOptions) => {
    const r = await client(plan.logstore).ensureConsumerGroup({ name: plan.name, timeout: plan.timeout, order: plan.order }, callOptions);
    return { outcome: r.outcome, resource: resourceOf(plan) };
  };
  const ensure = async (plan: SlsConsumerGroupStepPlan, callOptions: StepCallOptions) => {
    let full: unknown;
    for (const [i, logstore] of plan.candidates.entries()) {
      // Recorded before the create: a run after an ambiguous create here comes back here first.
      if (i > 0) {
        if (!callOptions.pinResource) break;
        await callOptions.pinResource({ placing: logstore });
      }
      try {
        return await ensureIn({ ...plan, logstore }, callOptions);
      } catch (error) {
        if (!isFull(error)) throw error;
        full ??= error;
      }
    }
    throw full;
  };
  return {
    name: "sls-consumer-group",
    provider: "sls",
    plan(spec, recorded) {
      const hashed = planTenant(spec, options.config).consumerGroup;
      const placed = recorded["logstore"];
      // A move begun after the group was last placed (its create may have happened) comes first.
      const placing = recorded["placing"] !== placed ? recorded["placing"] : undefined;
      // The newest logstores have the most room; a few are enough to try.
      const newestFirst = [...options.config.sls.logstores].reverse().slice(0, FALLBACK_LOGSTORES);
      // Updates and removals go where the group was placed; a group that has to be created again
      // (removed by an offboarding, or gone out of band) prefers that logstore, but a full one
      // falls over like a new tenant's: nothing of the tenant is left in it.
      const candidates = [...new Set([placing, placed, hashed.logstore, ...newestFirst].filter((l): l is string => l !== undefined))];
      return { ...hashed, logstore: placed ?? candidates[0] ?? hashed.logstore, candidates, ...(placed && placing ? { alsoAt: placing } : {}) };
    },
    // What the group must be; where it lives is fixed once it exists, so not part of a change.
    planIdentity: ({ name, timeout, order }) => ({ name, timeout, order }),
    ensure,
    read,
    // A group provisioned before: List, then Update only when timeout or order differ (one call
    // fewer than Create → AlreadyExist → List); gone out of band → ensure creates it again.
    async update(plan, callOptions) {
      const live = await read(plan, callOptions);
      if (live === undefined) return ensure(plan, callOptions);
      if (live.timeout === plan.timeout && live.order === plan.order) return { outcome: "unchanged", resource: resourceOf(plan) };
      await client(plan.logstore).updateConsumerGroup(plan.name, { timeout: plan.timeout, order: plan.order }, callOptions);
      return { outcome: "updated", resource: resourceOf(plan) };
    },
    async remove(plan, callOptions) {
      const outcome = (await client(plan.logstore).removeConsumerGroup({ name: plan.name }, callOptions)).outcome;
      if (plan.alsoAt === undefined) return { outcome };
      const moved = (await client(plan.alsoAt).removeConsumerGroup({ name: plan.name }, callOptions)).outcome;
      return { outcome: outcome === "removed" || moved === "removed" ? "removed" : "already-absent" };
    },
  };
}

/** How many of the newest logstores a full one falls over to. */
const FALLBACK_LOGSTORES = 3;

/** The logstore holds its 30 consumer groups: a definite refusal, nothing was created. */
function isFull(error: unknown): boolean {
  return error instanceof SlsError && error.code === "ConsumerGroupQuotaExceed";
}

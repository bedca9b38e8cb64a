/** The SLS consumer group step: one consumer group per tenant in its logstore. */
import { ConfigurationError } from "../../errors.ts";
import type { ConsumerGroup, SlsClient } from "../../providers/sls/index.ts";
import type { ServiceConfig } from "../../config/config.ts";
import { planTenant, type ConsumerGroupPlan } from "../plan.ts";
import type { StepCallOptions, StepModule } from "../step-module.ts";

/** What the step needs: the configuration and one client per configured logstore. */
export interface SlsConsumerGroupStepOptions {
  config: Pick<ServiceConfig, "sls" | "im">;
  clients: ReadonlyMap<string, Pick<SlsClient, "ensureConsumerGroup" | "listConsumerGroups" | "updateConsumerGroup" | "removeConsumerGroup">>;
}

/**
 * The `sls-consumer-group` step. Its logstore is chosen by hash once and then pinned by the
 * record (appending a logstore must never move an existing group); timeout and order may change.
 *
 * @example
 * ```ts
 * const step = slsConsumerGroupStep({ config, clients: slsClients });
 * ```
 */
export function slsConsumerGroupStep(options: SlsConsumerGroupStepOptions): StepModule<ConsumerGroupPlan, ConsumerGroup> {
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
  const ensure = async (plan: ConsumerGroupPlan, callOptions: StepCallOptions) => {
    const r = await client(plan.logstore).ensureConsumerGroup({ name: plan.name, timeout: plan.timeout, order: plan.order }, callOptions);
    return { outcome: r.outcome, resource: resourceOf(plan) };
  };
  return {
    name: "sls-consumer-group",
    provider: "sls",
    plan(spec, recorded) {
      const plan = planTenant(spec, options.config).consumerGroup;
      return recorded["logstore"] ? { ...plan, logstore: recorded["logstore"] } : plan;
    },
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
      return { outcome: (await client(plan.logstore).removeConsumerGroup({ name: plan.name }, callOptions)).outcome };
    },
  };
}

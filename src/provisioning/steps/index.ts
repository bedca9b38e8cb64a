/**
 * The built-in step registry. Adding a resource kind: one module beside these, one line here.
 */
import type { CredentialSource, ImCredentials } from "../../credentials/types.ts";
import type { StepRegistry } from "../step-module.ts";
import { imGroupStep, type ImGroupOperations } from "./im-group.ts";
import { slsConsumerGroupStep, type SlsConsumerGroupStepOptions } from "./sls-consumer-group.ts";

/**
 * The steps of every tenant: its SLS consumer group and its IM group.
 *
 * @example
 * ```ts
 * const steps = builtInSteps({ config, slsClientFor, logstores: registry, im, imCredentials: credentials.im });
 * ```
 */
export function builtInSteps(deps: {
  config: SlsConsumerGroupStepOptions["config"];
  slsClientFor: SlsConsumerGroupStepOptions["clientFor"];
  logstores: SlsConsumerGroupStepOptions["logstores"];
  im: ImGroupOperations;
  /** The IM app credentials: the step refuses the app admin as a tenant's account. */
  imCredentials: Pick<CredentialSource<ImCredentials>, "get">;
}): StepRegistry {
  return [
    slsConsumerGroupStep({ config: deps.config, clientFor: deps.slsClientFor, logstores: deps.logstores }),
    imGroupStep({ config: deps.config, im: deps.im, credentials: deps.imCredentials }),
  ];
}

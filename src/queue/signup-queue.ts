import { randomUUID } from "node:crypto";
import { ConfigurationError } from "../errors.ts";
import type { TenantOnboarding } from "../provisioning/tenant.ts";
import { SqsSendMessageClient } from "./sqs-send-message.ts";

/** SQS's longest message delay (DelaySeconds), 15 minutes. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** Where a tenant goes when its provisioning continues outside the current request. */
export interface SignupQueue {
  /**
   * `delaySeconds`: when the queue should deliver it (0-900, SQS's DelaySeconds): a step that
   * failed retryably waits for its next attempt, and a copy delivered before then is only
   * redelivered, a receive counted towards the DLQ each time.
   */
  enqueue(tenant: TenantOnboarding, options?: { delaySeconds?: number }): Promise<void>;
}

/**
 * Puts a tenant on the signup queue in the same shape EventBridge delivers (`TenantSignedUp`
 * with the request in `detail`), so the signup handler treats it like any signup event.
 *
 * @example
 * ```ts
 * await sqsSignupQueue(new SqsSendMessageClient(), queueUrl).enqueue(tenant);
 * ```
 */
export function sqsSignupQueue(client: Pick<SqsSendMessageClient, "sendMessage">, queueUrl: string): SignupQueue {
  return {
    async enqueue(tenant, options = {}) {
      const { source: _source, ...detail } = tenant;
      const delay = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(0, Math.ceil(options.delaySeconds ?? 0)));
      await client.sendMessage({
        QueueUrl: queueUrl,
        DelaySeconds: delay,
        MessageBody: JSON.stringify({
          version: "0",
          id: randomUUID(),
          "detail-type": "TenantSignedUp",
          source: "tenant-provisioner.webhook",
          time: new Date().toISOString(),
          detail,
        }),
      });
    },
  };
}

/**
 * The signup queue at `queueUrl` (SIGNUP_QUEUE_URL), its SQS client built on the first enqueue.
 * Built apart from the service (src/service.ts) so only the webhook bundle carries it. The client
 * is SendMessage alone ({@link SqsSendMessageClient}), not `@aws-sdk/client-sqs` (19 KB more).
 * Without a URL every enqueue rejects with a ConfigurationError naming SIGNUP_QUEUE_URL: typed, so
 * the webhook's 500 log says why (a plain Error was logged as `errorName: "Error"` alone).
 *
 * @example
 * ```ts
 * const queue = signupQueueAt(config.signupQueueUrl);
 * ```
 */
export function signupQueueAt(queueUrl: string | undefined): SignupQueue {
  let queue: SignupQueue | undefined;
  return {
    enqueue(tenant, options) {
      if (!queueUrl) return Promise.reject(new ConfigurationError("environment", [{ field: "SIGNUP_QUEUE_URL", rule: "required to hand a tenant to the signup queue" }]));
      queue ??= sqsSignupQueue(new SqsSendMessageClient(), queueUrl);
      return queue.enqueue(tenant, options);
    },
  };
}

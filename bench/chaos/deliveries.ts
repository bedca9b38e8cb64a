/** The chaos run's senders: signed webhooks (retried like a Standard Webhooks sender) and queue events. */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { forEachWithin } from "../../src/concurrency/for-each-within.ts";
import { localLambdaContext } from "../../src/local/lambda-context.ts";
import { offboardMessageBody, signupMessageBody, signWebhook, updatedTenant, webhookBody, webhookEvent, type ChaosTenant } from "./events.ts";
import { seededRandom, shuffled, type Scenario } from "./scenario.ts";

export type WebhookEntry = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** What the senders saw. */
export interface DeliveryStats {
  sqsMessagesSent: number;
  webhookRequests: number;
  webhookStatuses: Record<string, number>;
  /** 409 replies by their `error`. */
  webhook409: Record<string, number>;
  webhookLatencies: number[];
  replyBodies: string[];
}

export interface DeliveryTargets {
  webhook: WebhookEntry;
  webhookSecret: string;
  sqs: SQSClient;
  queueUrl: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delivers every tenant three times at once (one signup event, two webhooks), `concurrency`
 * tenants at a time in a seeded order; then each updated tenant's update (an event and a
 * webhook) or each offboarded tenant's two offboarding events. Updates `scenario.desired`.
 *
 * @example
 * ```ts
 * const stats = await deliverAll(scenario, targets, { concurrency: 12, seed: 7, progress: console.log });
 * ```
 */
export async function deliverAll(
  scenario: Scenario,
  targets: DeliveryTargets,
  options: { concurrency: number; seed: number; progress: (line: string) => void },
): Promise<DeliveryStats> {
  const stats: DeliveryStats = { sqsMessagesSent: 0, webhookRequests: 0, webhookStatuses: {}, webhook409: {}, webhookLatencies: [], replyBodies: [] };

  /** A Standard Webhooks sender: retries a 5xx (or no answer) with the same webhook-id. */
  async function sendWebhook(tenant: ChaosTenant): Promise<void> {
    const body = webhookBody(tenant);
    const headers = signWebhook(targets.webhookSecret, body);
    for (let attempt = 1; attempt <= 3; attempt++) {
      stats.webhookRequests++;
      const started = Date.now();
      let status: number;
      try {
        const reply = await targets.webhook(webhookEvent(body, headers), localLambdaContext("tenant-provisioner-webhook", 29_000));
        status = reply.statusCode ?? 0;
        stats.replyBodies.push(reply.body ?? "");
        if (status === 409) {
          const reason = (JSON.parse(reply.body ?? "{}") as { error?: string }).error ?? "?";
          stats.webhook409[reason] = (stats.webhook409[reason] ?? 0) + 1;
        }
      } catch {
        status = 599;
      }
      stats.webhookLatencies.push(Date.now() - started);
      stats.webhookStatuses[String(status)] = (stats.webhookStatuses[String(status)] ?? 0) + 1;
      if (status < 500) return;
      await sleep(200 * attempt);
    }
  }

  async function sendEvent(messageBody: string): Promise<void> {
    await targets.sqs.send(new SendMessageCommand({ QueueUrl: targets.queueUrl, MessageBody: messageBody }));
    stats.sqsMessagesSent++;
  }

  const started = Date.now();
  let delivered = 0;
  await forEachWithin(shuffled(scenario.tenants, seededRandom(options.seed)), options.concurrency, () => true, async (tenant) => {
    await Promise.all([sendEvent(signupMessageBody(tenant)), sendWebhook(tenant), sendWebhook(tenant)]);
    // The webhooks were answered, so the tenant is recorded: now its later lifecycle requests.
    if (scenario.updateIds.has(tenant.tenantId)) {
      const next = updatedTenant(tenant);
      scenario.desired.set(tenant.tenantId, { desired: "PRESENT", spec: next });
      await Promise.all([sendEvent(signupMessageBody(next)), sendWebhook(next)]);
    } else if (scenario.offboardIds.has(tenant.tenantId)) {
      const at = new Date(Date.parse(tenant.requestedAt) + 60_000).toISOString();
      scenario.desired.set(tenant.tenantId, { desired: "ABSENT", spec: tenant });
      await Promise.all([sendEvent(offboardMessageBody(tenant.tenantId, at)), sendEvent(offboardMessageBody(tenant.tenantId, at))]);
    }
    delivered++;
    if (delivered % 100 === 0) options.progress(`delivered ${delivered}/${scenario.tenants.length} tenants (${Math.round((Date.now() - started) / 1000)} s)`);
  });
  return stats;
}

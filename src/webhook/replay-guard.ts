import { createHash } from "node:crypto";
import { webhookIdKey } from "../outcomes/table-map.ts";
import { GetCommand, PutCommand, type DocumentClient } from "../aws/dynamodb/index.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { isTransientAwsError } from "../aws/errors.ts";
import { isConditionalCheckFailed } from "../aws/conditional-check.ts";
import { WebhookIdNotRecordedError, WebhookVerificationError } from "./errors.ts";
import { WEBHOOK_TOLERANCE_SECONDS } from "./verify.ts";

/** Whether a verified webhook-id is new, or a resend of a delivery already accepted. */
export type WebhookDelivery = "first" | "duplicate";

/** The `Retry-After` of a delivery whose id could not be recorded: DynamoDB stalls and throttling are short. */
export const WEBHOOK_RETRY_AFTER_SECONDS = 5;

/**
 * Remembers each accepted webhook-id with a hash of its body. Standard Webhooks senders resend a
 * message with the same id and body when they miss our reply, so a repeated id with the same body
 * is a duplicate delivery, answered like the first (with the tenant's current outcome); what stops
 * a captured request from being replayed later is the signature over id, timestamp and body plus
 * the ±5 minute timestamp window. The same id with a different body is refused: it is not a resend.
 *
 * An id only needs remembering while its timestamp is inside the window, so the item carries
 * `expiresAt` for DynamoDB TTL; dynalite never expires items, so an expired item counts as absent.
 *
 * @example
 * ```ts
 * const delivery = await new WebhookReplayGuard(docClient, "tenant-outcomes").remember(verified.id, rawBody);
 * if (delivery === "duplicate") logger.info("resent webhook");
 * ```
 */
export class WebhookReplayGuard {
  readonly #client: DocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(client: DocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  /**
   * Records the id with the body's hash. Returns `duplicate` when the id was accepted with the same
   * body within the window; throws {@link WebhookVerificationError} (`id-reused`) when it was
   * accepted with a different body, and {@link WebhookIdNotRecordedError} when DynamoDB did not
   * answer in time (cut off at the request deadline, throttled, a 5xx, a dropped connection).
   *
   * @example
   * ```ts
   * if ((await guard.remember(webhookId, rawBody)) === "duplicate") return currentOutcome(tenantId);
   * ```
   */
  async remember(webhookId: string, body: Buffer): Promise<WebhookDelivery> {
    try {
      return await this.#remember(webhookId, body);
    } catch (error) {
      // Not recorded, so not accepted: a delivery whose id is unknown must not be provisioned (a
      // resend could not be told from it). DynamoDB being slow or busy is a "try again", not a bug.
      if (isTransientAwsError(error)) throw new WebhookIdNotRecordedError(WEBHOOK_RETRY_AFTER_SECONDS, error);
      throw error;
    }
  }

  async #remember(webhookId: string, body: Buffer): Promise<WebhookDelivery> {
    const bodySha256 = createHash("sha256").update(body).digest("base64url");
    const now = Math.floor(this.#clock.now() / 1000);
    const key = webhookIdKey(webhookId);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...key, bodySha256, expiresAt: now + 2 * WEBHOOK_TOLERANCE_SECONDS + 60 },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return "first";
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // Only the same id inside its window gets here; an item written before hashes were stored has none.
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
    const stored = Item?.["bodySha256"];
    if (stored === undefined || stored === bodySha256) return "duplicate";
    throw new WebhookVerificationError("id-reused", "webhook-id", "already accepted with a different body (a resend keeps the id and the body)");
  }
}

/** Keyed by a hash: the id is the sender's text, and a key has a size limit. */

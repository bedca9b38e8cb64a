import { createHash } from "node:crypto";
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { WebhookVerificationError } from "./errors.ts";
import { WEBHOOK_TOLERANCE_SECONDS } from "./verify.ts";

/**
 * Remembers each accepted webhook-id so a captured request cannot be replayed. An id only needs
 * remembering while its timestamp is inside the ±5 minute window (older ones are refused as
 * stale anyway), so the item carries `expiresAt` for DynamoDB TTL. dynalite never expires items,
 * so the condition also treats an expired item as absent.
 *
 * @example
 * ```ts
 * await new WebhookReplayGuard(docClient, "tenant-outcomes").remember(verified.id);
 * ```
 */
export class WebhookReplayGuard {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(client: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  /** Records the id; throws {@link WebhookVerificationError} (`replayed`) if it was seen within the window. */
  async remember(webhookId: string): Promise<void> {
    const now = Math.floor(this.#clock.now() / 1000);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...guardKey(webhookId), expiresAt: now + 2 * WEBHOOK_TOLERANCE_SECONDS + 60 },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === "ConditionalCheckFailedException") {
        throw new WebhookVerificationError("replayed", "webhook-id", "already accepted (each webhook-id is accepted once)");
      }
      throw error;
    }
  }

  /**
   * Forgets an id whose delivery failed on our side (a 5xx), so the sender's retry with the same
   * id — Standard Webhooks senders keep it — is processed instead of refused as a replay.
   */
  async forget(webhookId: string): Promise<void> {
    await this.#client.send(new DeleteCommand({ TableName: this.#tableName, Key: guardKey(webhookId) }));
  }
}

/** Keyed by a hash: the id is the sender's text, and a key has a size limit. */
function guardKey(webhookId: string): { pk: string; sk: string } {
  return { pk: `WEBHOOK#${createHash("sha256").update(webhookId).digest("base64url")}`, sk: "WEBHOOK" };
}

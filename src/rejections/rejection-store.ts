import { createHash } from "node:crypto";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ValidationIssue } from "../errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { rejectionKey } from "../outcomes/table-map.ts";

/** At most this much of a rejected body is kept, for an operator to see what arrived. */
const MAX_KEPT_BODY_BYTES = 4096;

/** One rejected input, as recorded. */
export interface Rejection {
  /** Where it came from and its id there, e.g. `sqs` + the message id. */
  channel: "sqs" | "webhook";
  messageId: string;
  issues: readonly ValidationIssue[];
  body: string;
}

/**
 * Records inputs that failed validation (`pk=REJECTED#<channel>#<id>`), so a poison message is
 * acknowledged, not retried, and yet not lost: the issues and the first 4 KiB of the body stay
 * for an operator. A redelivered message overwrites its own record with the same content.
 *
 * @example
 * ```ts
 * await rejections.record({ channel: "sqs", messageId, issues: err.issues, body });
 * ```
 */
export class RejectionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(client: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async record(rejection: Rejection): Promise<void> {
    const bytes = Buffer.from(rejection.body, "utf8");
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...rejectionKey(rejection.channel, rejection.messageId),
          channel: rejection.channel,
          messageId: rejection.messageId,
          issues: rejection.issues.map((i) => ({ field: i.field, rule: i.rule })),
          bodySha256: createHash("sha256").update(bytes).digest("hex"),
          bodyBytes: bytes.length,
          bodyHead: bytes.subarray(0, MAX_KEPT_BODY_BYTES).toString("utf8"),
          rejectedAt: new Date(this.#clock.now()).toISOString(),
        },
      }),
    );
  }
}

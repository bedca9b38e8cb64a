import { createHash } from "node:crypto";
import { PutCommand, type DocumentClient } from "../aws/dynamodb/index.ts";
import type { ValidationIssue } from "../errors.ts";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { rejectionKey } from "../outcomes/table-map.ts";
import { boundIssues } from "./bounded-issues.ts";

/** At most this much of a rejected body is kept, for an operator to see what arrived. */
export const MAX_KEPT_BODY_BYTES = 4096;

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
 * acknowledged, not retried, and yet not lost: the first 50 issues (and their count), the body's
 * hash and size and its first 4 KiB stay for an operator. Bounded so that any input up to
 * EventBridge's 256 KB makes an item of a few KiB, far under DynamoDB's 400 KB item limit (an
 * over-large item would fail the write and send the message to the DLQ, round and round). A
 * redelivered message overwrites its own record with the same content.
 *
 * @example
 * ```ts
 * await rejections.record({ channel: "sqs", messageId, issues: err.issues, body });
 * ```
 */
export class RejectionStore {
  readonly #client: DocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(client: DocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async record(rejection: Rejection): Promise<void> {
    const bytes = Buffer.from(rejection.body, "utf8");
    const { issues, issueCount } = boundIssues(rejection.issues);
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...rejectionKey(rejection.channel, rejection.messageId),
          channel: rejection.channel,
          messageId: rejection.messageId.slice(0, 256),
          issues,
          issueCount,
          bodySha256: createHash("sha256").update(bytes).digest("hex"),
          bodyBytes: bytes.length,
          bodyHead: utf8Head(bytes, MAX_KEPT_BODY_BYTES),
          rejectedAt: new Date(this.#clock.now()).toISOString(),
        },
      }),
    );
  }
}

/** The first `max` bytes as text, cut before a character the limit would split. */
function utf8Head(bytes: Buffer, max: number): string {
  if (bytes.length <= max) return bytes.toString("utf8");
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the character the cut splits.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

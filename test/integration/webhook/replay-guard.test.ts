/**
 * The replay guard on dynalite: what each delivery of a webhook-id answers, and what it writes.
 * The webhook handler tests reach it too, but through the whole request; these pin its own rules
 * (window, TTL attribute, body hash, DynamoDB failures) so a change to one of them is seen here.
 */
import { TransportError } from "../../../src/http/errors.ts";
import { watchCommands } from "../../support/watch-commands.ts";
import { ItemCollectionSizeLimitExceededException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "../../../src/aws/dynamodb/index.ts";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/http/types.ts";
import { webhookIdKey } from "../../../src/outcomes/table-map.ts";
import { WebhookIdNotRecordedError, WebhookVerificationError } from "../../../src/webhook/errors.ts";
import { WEBHOOK_RETRY_AFTER_SECONDS, WebhookReplayGuard } from "../../../src/webhook/replay-guard.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

/** A clock the test moves by hand; the guard reads only `now()`. */
function handClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0, 400);
const body = Buffer.from('{"type":"tenant.created","data":{"tenantId":"t-1"}}');

describe("WebhookReplayGuard", () => {
  it("records a new id with the body's SHA-256 and a TTL of twice the window plus a minute", async () => {
    const { docClient, tableName } = await newTable();
    const guard = new WebhookReplayGuard(docClient, tableName, handClock(T0));

    expect(await guard.remember("msg_first", body)).toBe("first");

    const { Item } = await docClient.send(new GetCommand({ TableName: tableName, Key: webhookIdKey("msg_first"), ConsistentRead: true }));
    expect(Item?.["bodySha256"]).toBe(createHash("sha256").update(body).digest("base64url"));
    // Whole seconds (DynamoDB TTL is epoch seconds): floor(T0 / 1000) + 2 * 300 + 60.
    expect(Item?.["expiresAt"]).toBe(Math.floor(T0 / 1000) + 660);
  });

  it("the same id with the same body is a duplicate delivery, as often as it comes", async () => {
    const { docClient, tableName } = await newTable();
    const clock = handClock(T0);
    const guard = new WebhookReplayGuard(docClient, tableName, clock);

    expect(await guard.remember("msg_dup", body)).toBe("first");
    expect(await guard.remember("msg_dup", Buffer.from(body))).toBe("duplicate");
    // Still inside the item's life: the last second before expiresAt.
    clock.advance(659_000);
    expect(await guard.remember("msg_dup", body)).toBe("duplicate");
  });

  it("the same id with a different body is refused as id-reused, naming the header", async () => {
    const { docClient, tableName } = await newTable();
    const guard = new WebhookReplayGuard(docClient, tableName, handClock(T0));

    await guard.remember("msg_reused", body);
    const error = await guard.remember("msg_reused", Buffer.from(`${body.toString()} `)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ reason: "id-reused", field: "webhook-id" });
    expect((error as Error).message).toMatch(/^webhook-id: already accepted with a different body/);
  });

  it("at expiresAt exactly the item still holds: a different body is still refused", async () => {
    const { docClient, tableName } = await newTable();
    const clock = handClock(T0);
    const guard = new WebhookReplayGuard(docClient, tableName, clock);
    await guard.remember("msg_old", body);

    // The condition is expiresAt < now: equal is not yet expired.
    clock.advance(660_000);
    await expect(guard.remember("msg_old", Buffer.from("other body"))).rejects.toMatchObject({ reason: "id-reused" });
  });

  it("one second after expiresAt the item counts as absent (dynalite never runs TTL): the id is new, a different body is accepted and its hash replaces the old", async () => {
    const { docClient, tableName } = await newTable();
    const clock = handClock(T0);
    const guard = new WebhookReplayGuard(docClient, tableName, clock);
    await guard.remember("msg_old", body);

    clock.advance(661_000);
    const other = Buffer.from("other body");
    expect(await guard.remember("msg_old", other)).toBe("first");
    const { Item } = await docClient.send(new GetCommand({ TableName: tableName, Key: webhookIdKey("msg_old"), ConsistentRead: true }));
    expect(Item).toMatchObject({ bodySha256: createHash("sha256").update(other).digest("base64url"), expiresAt: Math.floor((T0 + 661_000) / 1000) + 660 });
  });

  it("an item written before hashes were stored answers duplicate for any body", async () => {
    const { docClient, tableName } = await newTable();
    await docClient.send(new PutCommand({ TableName: tableName, Item: { ...webhookIdKey("msg_legacy"), expiresAt: Math.floor(T0 / 1000) + 660 } }));
    const guard = new WebhookReplayGuard(docClient, tableName, handClock(T0));

    expect(await guard.remember("msg_legacy", Buffer.from("anything"))).toBe("duplicate");
  });

  it("DynamoDB unreachable: WebhookIdNotRecordedError with Retry-After 5 s and the cause kept", async () => {
    // A port that was just free and is closed again: the connection is refused, no answer at all.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const client = new DynamoDBDocumentClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    try {
      const guard = new WebhookReplayGuard(client, "outcomes", handClock(T0));
      const error = await guard.remember("msg_down", body).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WebhookIdNotRecordedError);
      expect((error as WebhookIdNotRecordedError).retryAfterSeconds).toBe(WEBHOOK_RETRY_AFTER_SECONDS);
      expect(WEBHOOK_RETRY_AFTER_SECONDS).toBe(5);
      // No answer at all: the connection was refused, nothing sent.
      expect((error as Error).cause).toBeInstanceOf(TransportError);
      expect((error as Error).cause).toMatchObject({ failure: "connect", sent: false, cause: { code: "ECONNREFUSED" } });
    } finally {
      client.destroy();
    }
  });

  it("an error that is not DynamoDB being slow or busy (no such table) is thrown as it is", async () => {
    const { docClient } = await newTable();
    const guard = new WebhookReplayGuard(docClient, "no-such-table", handClock(T0));

    const error = await guard.remember("msg_nowhere", body).catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(WebhookIdNotRecordedError);
    expect(error).toMatchObject({ name: "ResourceNotFoundException" });
  });

  /**
   * A client on the fixture's dynalite that records each command's input in `seen` and, given a
   * `refusal`, fails the PutItem of a WEBHOOK# key with it; everything else goes through.
   */
  function recordingClient(endpoint: string, seen: { commandName: string; input: unknown }[], refusal?: () => Error) {
    const client = new DynamoDBDocumentClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 1 });
    watchCommands(client, ({ commandName, input }) => {
      seen.push({ commandName, input });
      if (refusal && String((input["Item"] as { pk?: unknown } | undefined)?.pk).startsWith("WEBHOOK#")) throw refusal();
    });
    return { client, docClient: client };
  }

  it("a write refused for a reason other than the condition is thrown, never read back as a duplicate", async () => {
    const { endpoint, tableName } = await newTable();
    const refusal = () => new ItemCollectionSizeLimitExceededException({ message: "Collection size exceeded.", $metadata: { httpStatusCode: 400 } });
    const { client, docClient } = recordingClient(endpoint, [], refusal);
    try {
      // The id is unknown, so a read after the failed write would find nothing and say "duplicate".
      const error = await new WebhookReplayGuard(docClient, tableName, handClock(T0)).remember("msg_refused", body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ItemCollectionSizeLimitExceededException);
    } finally {
      client.destroy();
    }
  });

  it("reads the stored hash with a strongly consistent read (an eventually consistent one may miss the first delivery's write)", async () => {
    const { endpoint, tableName, docClient: plain } = await newTable();
    await new WebhookReplayGuard(plain, tableName, handClock(T0)).remember("msg_consistent", body);
    // dynalite is always consistent, so the request itself is checked: what AWS would be asked.
    const seen: { commandName: string; input: unknown }[] = [];
    const { client, docClient } = recordingClient(endpoint, seen);
    try {
      expect(await new WebhookReplayGuard(docClient, tableName, handClock(T0)).remember("msg_consistent", body)).toBe("duplicate");
      expect(seen.find((c) => c.commandName === "GetItemCommand")?.input).toMatchObject({ ConsistentRead: true });
    } finally {
      client.destroy();
    }
  });
});


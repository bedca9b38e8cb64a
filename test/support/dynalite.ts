import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "../../src/aws/dynamodb/index.ts";
import { afterAll, beforeAll } from "vitest";
import type { Clock } from "../../src/http/types.ts";
import { startDynalite, type RunningDynalite } from "../../src/local/dynalite.ts";
import { ensureOutcomeTable } from "../../src/local/dynamodb-table.ts";
import { OutcomeStore } from "../../src/outcomes/store.ts";

/** What one test gets: a store over a fresh table of its own, and the clients behind it. */
export interface OutcomeTableFixture {
  store: OutcomeStore;
  client: DynamoDBClient;
  docClient: DynamoDBDocumentClient;
  tableName: string;
  /** dynalite's endpoint, for clients in other processes. */
  endpoint: string;
}

/** Options of a fixture table. */
export interface FixtureOptions {
  clock?: Clock;
  shards?: number;
}

/**
 * Starts one dynalite for the calling test file (beforeAll/afterAll) and returns a factory that
 * makes a fresh, uniquely named outcome table per call, so tests never see each other's items.
 *
 * ```ts
 * const newTable = useDynalite();
 * it("...", async () => { const { store } = await newTable({ clock }); });
 * ```
 */
export function useDynalite(): (options?: FixtureOptions) => Promise<OutcomeTableFixture> {
  let dynalite: RunningDynalite | undefined;
  let client: DynamoDBClient | undefined;
  let docClient: DynamoDBDocumentClient | undefined;
  let tables = 0;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = new DynamoDBClient({
      endpoint: dynalite.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    docClient = new DynamoDBDocumentClient({ endpoint: dynalite.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  });

  afterAll(async () => {
    client?.destroy();
    docClient?.destroy();
    await dynalite?.close();
  });

  return async (options = {}) => {
    if (!client || !docClient || !dynalite) throw new Error("useDynalite(): call the factory inside a test");
    const tableName = `outcomes-${process.pid}-${++tables}`;
    await ensureOutcomeTable(client, tableName);
    const store = new OutcomeStore({ tableName, client: docClient, clock: options.clock, shards: options.shards });
    return { store, client, docClient, tableName, endpoint: dynalite.endpoint };
  };
}

/**
 * The outcome table's definition, and creating it where it is missing (dynalite, tests, a fresh
 * account). serverless.yml mirrors `outcomeTableDefinition`: keep the two in step.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { setTimeout as delay } from "node:timers/promises";
import { ConfigurationError } from "../errors.ts";
import { FAILURES_INDEX_NAME, UNFINISHED_INDEX_NAME } from "../outcomes/constants.ts";

/**
 * The outcome table: `pk`/`sk` strings, on-demand billing, the sparse `unfinished` index
 * (`unfinishedPk`/`unfinishedSk`, all attributes projected so a backfill page needs no extra reads)
 * and the sparse `failures` index (`failuresPk`/`failuresSk`: finished failures only).
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand(outcomeTableDefinition("outcomes")));
 * ```
 */
export function outcomeTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
      { AttributeName: "unfinishedPk", AttributeType: "S" },
      { AttributeName: "unfinishedSk", AttributeType: "S" },
      { AttributeName: "failuresPk", AttributeType: "S" },
      { AttributeName: "failuresSk", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: UNFINISHED_INDEX_NAME,
        KeySchema: [
          { AttributeName: "unfinishedPk", KeyType: "HASH" },
          { AttributeName: "unfinishedSk", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
      {
        // Sparse: only FAILED_PERMANENT and CONFLICT steps carry its keys (`npm run cli -- failures`).
        IndexName: FAILURES_INDEX_NAME,
        KeySchema: [
          { AttributeName: "failuresPk", KeyType: "HASH" },
          { AttributeName: "failuresSk", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/**
 * Creates the outcome table if it does not exist and waits until it is ACTIVE. An existing table
 * without the `unfinished` index is a ConfigurationError (the backfill could not find work).
 *
 * @example
 * ```ts
 * await ensureOutcomeTable(new DynamoDBClient({ endpoint }), "outcomes");
 * ```
 */
export async function ensureOutcomeTable(
  client: DynamoDBClient,
  tableName: string,
  maxWaitMs = 120_000,
): Promise<void> {
  let table = await describe(client, tableName);
  if (!table) {
    try {
      await client.send(new CreateTableCommand(outcomeTableDefinition(tableName)));
    } catch (error) {
      // Someone else created it between our Describe and Create: fine, wait for it below.
      if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
    }
  }
  // Poll from 20 ms up (dynalite is ready almost at once; AWS takes seconds). The SDK waiter's
  // first retry is a whole second, which made every fresh test table cost one.
  const deadline = Date.now() + maxWaitMs;
  for (let wait = 20; ; wait = Math.min(wait * 2, 5_000)) {
    table = await describe(client, tableName);
    if (table && !(table.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === UNFINISHED_INDEX_NAME)) {
      throw new ConfigurationError(`DynamoDB table ${tableName}`, [
        { field: "GlobalSecondaryIndexes", rule: `must include ${UNFINISHED_INDEX_NAME}` },
      ]);
    }
    if (table?.TableStatus === "ACTIVE" && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === "ACTIVE")) {
      return;
    }
    if (Date.now() + wait > deadline) {
      throw new ConfigurationError(`DynamoDB table ${tableName}`, [
        { field: "TableStatus", rule: `ACTIVE within ${maxWaitMs} ms (is ${table?.TableStatus ?? "missing"})` },
      ]);
    }
    await delay(wait);
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * The stack on a DynamoDB stand-in that runs elsewhere (the bench's dynalite in its own process):
 * it creates its table and registry there, points the service at it, and leaves it running.
 */
import { afterAll, expect, it } from "vitest";
import { QueryCommand } from "../../../src/aws/dynamodb/index.ts";
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/document-client.ts";
import { startDynalite } from "../../../src/local/dynalite.ts";
import { LOCAL, startLocalStack } from "../../../src/local/stack.ts";

const dynalite = await startDynalite({ port: 0 });
afterAll(async () => {
  await dynalite.close();
});

it("uses the given endpoint for its table, its registry and the service, and leaves it running when closed", async () => {
  const stack = await startLocalStack({ dynamodbEndpoint: dynalite.endpoint, slsLogstoreCount: 3 });
  await stack.close();
  expect(stack.env["AWS_ENDPOINT_URL_DYNAMODB"]).toBe(dynalite.endpoint);
  const documents = new DynamoDBDocumentClient({ endpoint: dynalite.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const registry = await documents.send(new QueryCommand({ TableName: LOCAL.table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "LOGSTORE" } }));
    expect(registry.Items).toHaveLength(3);
  } finally {
    documents.destroy();
  }
});

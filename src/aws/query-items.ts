import { QueryCommand, type DocumentClient, type QueryCommandInput } from "./dynamodb/index.ts";

/**
 * Every item a DynamoDB Query matches, page after page (following `LastEvaluatedKey`), in the
 * order DynamoDB returns them. The caller may stop early (`break`): no further page is read.
 *
 * Written here rather than taken from lib-dynamodb's `paginateQuery`: that one needs the SDK's
 * client (the service sends its own, src/aws/dynamodb), refused a wrapped client (the tests wrap
 * the client to count or fail requests) and writes each page's start key into the caller's input object.
 *
 * @example
 * ```ts
 * for await (const item of queryItems(client, { TableName, KeyConditionExpression: "#pk = :pk", ExpressionAttributeNames: { "#pk": "pk" }, ExpressionAttributeValues: { ":pk": "TENANT#t-1" } })) {
 *   console.log(item.sk);
 * }
 * ```
 */
export async function* queryItems(client: DocumentClient, input: Omit<QueryCommandInput, "ExclusiveStartKey">): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield* out.Items ?? [];
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

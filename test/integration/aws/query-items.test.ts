/** queryItems follows DynamoDB's pages (dynalite, one item a page) and reads no page it is not asked for. */
import { PutCommand, type DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it } from "vitest";
import { queryItems } from "../../../src/aws/query-items.ts";
import { useDynalite } from "../../support/dynalite.ts";

const newTable = useDynalite();

describe("queryItems", () => {
  it("yields every item across pages, in key order, and stops reading when the caller stops", async () => {
    const { docClient, tableName } = await newTable();
    for (const sk of ["a", "b", "c"]) await docClient.send(new PutCommand({ TableName: tableName, Item: { pk: "P#1", sk } }));
    await docClient.send(new PutCommand({ TableName: tableName, Item: { pk: "P#2", sk: "a" } }));
    let queries = 0;
    const counting = {
      send: (command: object) => {
        queries++;
        return docClient.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const input = { TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "P#1" }, Limit: 1 };

    const all: unknown[] = [];
    for await (const item of queryItems(counting, input)) all.push(item["sk"]);
    expect(all).toEqual(["a", "b", "c"]);
    // One item a page: three pages with items, and a last one that says there is no more.
    expect(queries).toBe(4);
    expect(input).not.toHaveProperty("ExclusiveStartKey");

    queries = 0;
    for await (const item of queryItems(counting, input)) if (item["sk"] === "a") break;
    expect(queries).toBe(1);
  });
});

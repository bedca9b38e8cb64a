/**
 * Whether one conditional UpdateItem applies to a given item state, evaluated by dynalite: for
 * the property tests that compare a condition the store sends with the form it replaced.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, type UpdateCommandInput, UpdateCommand } from "../../src/aws/dynamodb/index.ts";

/**
 * `input` with `condition` in place of its own, keeping only the names and values the update
 * and the condition use (DynamoDB refuses unused ones, and the forms need different ones).
 *
 * @example
 * ```ts
 * withCondition(sentClaim, "attribute_not_exists(#pk) OR #status = :pending");
 * ```
 */
export function withCondition(input: UpdateCommandInput, condition: string): UpdateCommandInput {
  const text = `${input.UpdateExpression ?? ""} ${condition}`;
  const used = (placeholder: string) => new RegExp(`${placeholder}(?![0-9A-Za-z_])`).test(text);
  const pick = <T,>(map: Record<string, T> | undefined) => (map === undefined ? undefined : Object.fromEntries(Object.entries(map).filter(([key]) => used(key))));
  return { ...input, ConditionExpression: condition, ExpressionAttributeNames: pick(input.ExpressionAttributeNames), ExpressionAttributeValues: pick(input.ExpressionAttributeValues) };
}

/** What became of one conditional update: applied, refused by its condition, or another error. */
export type Verdict = "applied" | "refused" | `error: ${string}`;

/**
 * The {@link Verdict} of `input`, sent with `condition`, on the item at its key once that item is
 * `item` (no item when undefined): "refused" on ConditionalCheckFailedException, the error's name
 * for any other refusal (an update whose condition holds may still be invalid for the item, e.g.
 * ADD to a string). The item is rewritten first, so each verdict starts from the same state.
 *
 * @example
 * ```ts
 * expect(await verdictOf(docClient, tableName, sent, state, newForm)).toBe(await verdictOf(docClient, tableName, sent, state, oldForm));
 * ```
 */
export async function verdictOf(
  docClient: DynamoDBDocumentClient,
  tableName: string,
  input: UpdateCommandInput,
  item: Record<string, unknown> | undefined,
  condition: string,
): Promise<Verdict> {
  const key = input.Key as Record<string, unknown>;
  await docClient.send(new DeleteCommand({ TableName: tableName, Key: key }));
  if (item !== undefined) await docClient.send(new PutCommand({ TableName: tableName, Item: { ...item, ...key } }));
  try {
    await docClient.send(new UpdateCommand({ ...withCondition(input, condition), TableName: tableName }));
    return "applied";
  } catch (error) {
    const name = (error as Error).name;
    return name === "ConditionalCheckFailedException" ? "refused" : `error: ${name}`;
  }
}

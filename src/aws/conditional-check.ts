/**
 * Whether a DynamoDB write failed only because its condition did not hold: someone else changed
 * the item first, an answer the caller decides on (re-read, skip, report), not an error. By the
 * error's name, as DynamoDB (and dynalite) send it: the service's client
 * (src/aws/dynamodb) throws ConditionalCheckFailedException, with the old `Item` when the write
 * asked for `ReturnValuesOnConditionCheckFailure: "ALL_OLD"`.
 *
 * @example
 * ```ts
 * try {
 *   await client.send(new PutCommand({ TableName, Item, ConditionExpression: "attribute_not_exists(pk)" }));
 * } catch (error) {
 *   if (!isConditionalCheckFailed(error)) throw error;
 * }
 * ```
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

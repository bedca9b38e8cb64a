/**
 * Whether a DynamoDB write failed only because its condition did not hold: someone else changed
 * the item first, an answer the caller decides on (re-read, skip, report), not an error. Works on
 * the SDK's error and on dynalite's alike (both carry the exception's name).
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

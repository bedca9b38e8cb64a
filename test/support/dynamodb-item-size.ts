/**
 * The size DynamoDB counts for an item, by its published rules, for what dynalite does not
 * enforce (the 400 KB item limit): attribute names and string values by their UTF-8 length,
 * a number at most 21 bytes, a boolean or null 1 byte, a list or map 3 bytes plus 1 per element
 * plus its elements (and, for a map, its keys). Rounded up where the rules are approximate.
 */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

export function dynamoItemBytes(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) total += Buffer.byteLength(name) + valueBytes(value);
  return total;
}

function valueBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number" || typeof value === "bigint") return 21;
  if (typeof value === "boolean" || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueBytes(v), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueBytes(v), 0);
  if (typeof value === "object") {
    return 3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
  }
  throw new Error(`not a DynamoDB value: ${typeof value}`);
}

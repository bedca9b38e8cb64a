/** The opaque position of a walk over the unfinished index: which shard, and where in it. */
import * as z from "zod/mini";
import { ValidationError } from "../errors.ts";
import { unfinishedPk } from "./keys.ts";

/** The index key DynamoDB hands back as `LastEvaluatedKey` for a Query on the unfinished index. */
export interface UnfinishedIndexKey {
  pk: string;
  sk: string;
  unfinishedPk: string;
  unfinishedSk: string;
}

/** Where a walk stands: continue in `shard`, after `after` if given (else from the shard's start). */
export interface UnfinishedCursor {
  shard: number;
  after?: UnfinishedIndexKey | undefined;
}

const CURSOR_VERSION = 1;

const cursorSchema = z.strictObject({
  v: z.literal(CURSOR_VERSION),
  shard: z.int().check(z.nonnegative()),
  after: z.optional(z.strictObject({ pk: z.string(), sk: z.string(), unfinishedPk: z.string(), unfinishedSk: z.string() })),
});

/**
 * Encodes a position as base64url JSON.
 *
 * @example
 * ```ts
 * const cursor = encodeCursor({ shard: 1 });
 * ```
 */
export function encodeCursor(cursor: UnfinishedCursor): string {
  const body = { v: CURSOR_VERSION, shard: cursor.shard, ...(cursor.after ? { after: cursor.after } : {}) };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

/**
 * Decodes and checks a cursor from {@link encodeCursor}; anything else is a ValidationError on
 * field `cursor` (a tampered or stale cursor must not turn into a half-walk).
 *
 * @example
 * ```ts
 * const { shard, after } = decodeCursor(options.cursor, 4);
 * ```
 */
export function decodeCursor(cursor: string, shards: number): UnfinishedCursor {
  const invalid = (rule: string): ValidationError =>
    new ValidationError([{ field: "cursor", rule }], "listUnfinished");
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid("base64url from a previous page");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("base64url JSON from a previous page");
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalid("a cursor from a previous page");
  const { shard, after } = parsed.data;
  if (shard >= shards) throw invalid(`shard below ${shards}`);
  if (after && after.unfinishedPk !== unfinishedPk(shard)) throw invalid("key within its shard");
  return after ? { shard, after } : { shard };
}

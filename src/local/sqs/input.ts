/** Reading the parameters of an SQS action (AWS JSON 1.0 body), with SQS's own checks and errors. */
import { missingParameter, invalidParameter, SqsFault } from "./faults.ts";

export type Json = Record<string, unknown>;

/** SQS's batch limit (entries per batch request, messages per receive). */
export const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * An optional integer parameter in [min, max].
 *
 * @example
 * ```ts
 * const max = optionalInteger(input, "MaxNumberOfMessages", 1, 10) ?? 1;
 * ```
 */
export function optionalInteger(input: Json, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return value;
}

/**
 * A required, non-empty string parameter.
 *
 * @example
 * ```ts
 * const url = requiredString(input, "QueueUrl");
 * ```
 */
export function requiredString(input: Json, name: string): string {
  const value = input[name];
  if (typeof value !== "string" || value.length === 0) throw missingParameter(name);
  return value;
}

/**
 * The strings of a list parameter (absent: empty).
 *
 * @example
 * ```ts
 * const names = stringList(input, "AttributeNames");
 * ```
 */
export function stringList(input: Json, name: string): string[] {
  const value = input[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * The batch's entries, checked as SQS checks them before looking at any entry's content.
 *
 * @example
 * ```ts
 * const entries = batchEntries(input);
 * ```
 */
export function batchEntries(input: Json): Json[] {
  const raw = input.Entries;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new SqsFault("EmptyBatchRequest", "There should be at least one entry in the request.", {
      queryCode: "AWS.SimpleQueueService.EmptyBatchRequest",
    });
  }
  if (raw.length > MAX_BATCH_ENTRIES) {
    throw new SqsFault("TooManyEntriesInBatchRequest", `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${raw.length}.`, {
      queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    });
  }
  const seen = new Set<string>();
  const entries: Json[] = [];
  for (const entry of raw) {
    const id = typeof entry === "object" && entry !== null ? (entry as Json).Id : undefined;
    if (typeof id !== "string" || !BATCH_ENTRY_ID.test(id)) {
      throw new SqsFault("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", {
        queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
      });
    }
    if (seen.has(id)) {
      throw new SqsFault("BatchEntryIdsNotDistinct", `Id ${id} repeated.`, { queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" });
    }
    seen.add(id);
    entries.push(entry as Json);
  }
  return entries;
}

/**
 * Runs each batch entry; an entry's fault becomes a `Failed` row, as SQS reports it.
 *
 * @example
 * ```ts
 * return runBatch(batchEntries(input), (entry) => send(queue, entry));
 * ```
 */
export function runBatch(entries: Json[], each: (entry: Json) => Json): Json {
  const Successful: Json[] = [];
  const Failed: Json[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...each(entry) });
    } catch (error) {
      if (!(error instanceof SqsFault)) throw error;
      Failed.push({ Id: entry.Id, SenderFault: error.status < 500, Code: error.queryCode, Message: error.message });
    }
  }
  return { Successful, Failed };
}

/**
 * Whether a name list asks for `name`: exact, `All`, `.*`, or a `prefix.*`.
 *
 * @example
 * ```ts
 * wants(["All"], "SentTimestamp"); // true
 * ```
 */
export function wants(requested: readonly string[], name: string): boolean {
  return requested.some((r) => r === name || r === "All" || r === ".*" || (r.endsWith(".*") && name.startsWith(r.slice(0, -1))));
}

/**
 * What the sandbox's CreateLogStore accepts, as the service does: the documented required fields
 * and ranges, answered with 400 `LogStoreInfoInvalid` (the code the service gives for a bad
 * logstore body: the Java SDK's function tests and aliyun-sdk-js issue #83, "ttl value is out of
 * range"). Fields it does not know are ignored: the official SDKs send different extras
 * (`enable_tracking`, `appendMeta`, `telemetryType`, the Java SDK's `resourceQuota` and a
 * `maxSplitShard` of -1 without `autoSplit`, the Go SDK's 0), and the service takes them all.
 */
import {
  LOGSTORE_MAX_SPLIT_SHARD_RANGE,
  LOGSTORE_SHARD_COUNT_RANGE,
  LOGSTORE_TTL_RANGE,
} from "../../providers/sls/constants.ts";
import { slsLogstoreNameSchema } from "../../providers/sls/names.ts";
import { schemaIssues } from "../../validation/issues.ts";
import { SlsRejection } from "./rejection.ts";

/** A logstore as the sandbox keeps it. */
export interface SandboxLogStore {
  name: string;
  ttl: number;
  shardCount: number;
  autoSplit: boolean;
  /** Only with autoSplit. */
  maxSplitShard?: number | undefined;
}

const invalid = (message: string) => new SlsRejection(400, "LogStoreInfoInvalid", message);

function intWithin(input: Record<string, unknown>, field: string, range: { min: number; max: number }): number {
  const value = input[field];
  if (value === undefined) throw invalid(`${field} is required`);
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalid(`${field} must be an integer`);
  if (value < range.min || value > range.max) throw invalid(`${field} value is out of range`);
  return value;
}

/**
 * The CreateLogStore body as received, checked: `logstoreName` (3-63 of `[a-z0-9_-]`, a letter or
 * digit at both ends), `ttl` 1-3650, `shardCount` 1-10, and with `autoSplit: true` a
 * `maxSplitShard` of 1-256.
 *
 * @example
 * ```ts
 * parseCreateLogStoreBody('{"logstoreName":"s-1","ttl":30,"shardCount":2}'); // throws: 3-63 characters
 * ```
 */
export function parseCreateLogStoreBody(body: string): SandboxLogStore {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid("the body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("the body must be a JSON object");
  const input = parsed as Record<string, unknown>;
  const name = input["logstoreName"];
  if (name === undefined) throw invalid("logstoreName is required");
  const nameIssue = schemaIssues(slsLogstoreNameSchema, name)[0];
  if (typeof name !== "string" || nameIssue) throw invalid(`logstore name ${typeof name === "string" ? name : ""} is invalid: ${nameIssue?.rule ?? "a string"}`);
  const ttl = intWithin(input, "ttl", LOGSTORE_TTL_RANGE);
  const shardCount = intWithin(input, "shardCount", LOGSTORE_SHARD_COUNT_RANGE);
  const autoSplit = input["autoSplit"];
  if (autoSplit !== undefined && typeof autoSplit !== "boolean") throw invalid("autoSplit must be a boolean");
  if (autoSplit !== true) return { name, ttl, shardCount, autoSplit: false };
  return { name, ttl, shardCount, autoSplit, maxSplitShard: intWithin(input, "maxSplitShard", LOGSTORE_MAX_SPLIT_SHARD_RANGE) };
}

/** Turns items read back from the table into typed records, refusing anything the store didn't write. */
import * as z from "zod";
import { STEP_NAMES, STEP_STATUSES } from "./constants.ts";
import { MalformedOutcomeItemError } from "./errors.ts";
import type { JsonObject, StepRecord, TenantItem } from "./types.ts";

const stepErrorSchema = z.object({
  provider: z.enum(["sls", "tencent-im"]),
  code: z.string(),
  message: z.string(),
  httpStatus: z.number().int(),
  requestId: z.string().optional(),
  errorClass: z.enum(["transient", "throttled", "credentials", "permanent", "exists", "conflict"]),
});

const stepItemSchema = z.object({
  tenantId: z.string().min(1),
  step: z.enum(STEP_NAMES),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int().nonnegative(),
  firstAttemptAt: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  lastError: stepErrorSchema.optional(),
  resource: z.record(z.string(), z.string()),
  leaseOwner: z.string().optional(),
  leaseExpiresAt: z.string().optional(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const tenantItemSchema = z.object({
  tenantId: z.string().min(1),
  snapshot: z.string(),
  source: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function keyOf(item: Record<string, unknown>): { pk: string; sk: string } {
  return {
    pk: typeof item["pk"] === "string" ? item["pk"] : "(no pk)",
    sk: typeof item["sk"] === "string" ? item["sk"] : "(no sk)",
  };
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
}

/**
 * Parses a step item (key and index attributes are dropped).
 *
 * @example
 * ```ts
 * const rec = parseStepItem(out.Item ?? {});
 * ```
 */
export function parseStepItem(item: Record<string, unknown>): StepRecord {
  const parsed = stepItemSchema.safeParse(item);
  if (!parsed.success) {
    const { pk, sk } = keyOf(item);
    throw new MalformedOutcomeItemError(pk, sk, problemsOf(parsed.error));
  }
  return parsed.data;
}

/**
 * Parses the tenant item, decoding its JSON snapshot.
 *
 * @example
 * ```ts
 * const tenant = parseTenantItem(item); // tenant.snapshot is a JsonObject
 * ```
 */
export function parseTenantItem(item: Record<string, unknown>): TenantItem {
  const parsed = tenantItemSchema.safeParse(item);
  const { pk, sk } = keyOf(item);
  if (!parsed.success) throw new MalformedOutcomeItemError(pk, sk, problemsOf(parsed.error));
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(parsed.data.snapshot);
  } catch {
    throw new MalformedOutcomeItemError(pk, sk, ["snapshot: not JSON"]);
  }
  if (snapshot === null || typeof snapshot !== "object" || Array.isArray(snapshot)) {
    throw new MalformedOutcomeItemError(pk, sk, ["snapshot: not a JSON object"]);
  }
  // JSON.parse only ever yields JSON values, so an object from it is a JsonObject.
  return { ...parsed.data, snapshot: snapshot as JsonObject };
}

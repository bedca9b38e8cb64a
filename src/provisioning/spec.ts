/**
 * The tenant's spec: what of a request describes the resources (everything but when and where
 * it was sent), how two specs compare, and which fields may never change.
 */
import { createHash } from "node:crypto";
import type { JsonObject, JsonValue } from "../outcomes/types.ts";
import type { TenantOnboarding } from "./tenant.ts";

/**
 * Fields fixed once a step's resource exists: the IM group's owner (IM has no owner change that
 * keeps the group ours: the marker check would read it as foreign). `step` names the step whose
 * resource fixes the field: while its record shows no resource was ever made, the field may
 * still change. The tenant id is the key itself; the group type and the logstore come from
 * configuration and are pinned by the step records.
 */
export const IMMUTABLE_FIELDS = [{ field: "admin.userId", rule: "the IM group's owner is fixed once the group exists", step: "im-group" }] as const;

/** JSON with object keys sorted, so equal specs give equal text whatever the key order. */
function canonical(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  return value as JsonValue;
}

/**
 * The comparable text of a request's spec: `requestedAt` and `source` left out, absent lists and
 * groups read as empty, keys sorted.
 *
 * @example
 * ```ts
 * specKey(a) === specKey(b); // same resources asked for
 * ```
 */
export function specKey(request: TenantOnboarding): string {
  const { requestedAt: _at, source: _source, ...spec } = request;
  return JSON.stringify(canonical({ ...spec, members: spec.members ?? [], imGroup: spec.imGroup ?? {}, consumerGroup: spec.consumerGroup ?? {} }));
}

/**
 * The first immutable field `next` changes relative to `current`, if any.
 *
 * @example
 * ```ts
 * changedImmutableField(stored, incoming); // { field: "admin.userId", rule: "...", step: "im-group" } or undefined
 * ```
 */
export function changedImmutableField(current: { admin: { userId: string } }, next: TenantOnboarding): { field: string; rule: string; step: string } | undefined {
  if (current.admin.userId !== next.admin.userId) return IMMUTABLE_FIELDS[0];
  return undefined;
}

/**
 * A short stable hash of any JSON-able value (a step's plan): equal plans, equal hashes.
 *
 * @example
 * ```ts
 * planHash({ desired: "PRESENT", plan }); // "3f2a…" (16 hex digits)
 * ```
 */
export function planHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex").slice(0, 16);
}

/**
 * The bad-input corpus as fast-check arbitraries. Each case is one invalid input and the field
 * the service's reply must name: mutations of a valid tenant request (wrong types, missing
 * fields, over-long UTF-8 text, unreadable names, bad tenant ids, bad timestamps, extra fields, bad member lists),
 * broken envelopes, non-JSON and huge bodies, and, for the webhook, missing, bad or stale
 * signatures and replays.
 */
import fc from "fast-check";
import { TENANT_ID_PATTERN } from "../../src/validation/tenant-id.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A valid tenant request (as it travels, without `source`). */
export const validTenant: fc.Arbitrary<JsonObject> = fc.record({
  tenantId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,35}$/),
  displayName: fc.constantFrom("Acme", "東京商事", "Zürich AG", "Ωmega Labs", "서울 랩"),
  admin: fc.record({ userId: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/), name: fc.constantFrom("Ada", "Grace Hopper", "李雷") }),
  requestedAt: fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
});

/** One mutation of a valid tenant request: the broken request and the field (relative to it). */
export interface TenantMutation {
  kind: string;
  apply(tenant: JsonObject): { tenant: Json; field: string };
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const clone = (o: JsonObject): JsonObject => structuredClone(o);

/** Values of the wrong JSON type for a field expecting `expected`. */
function wrongValue(expected: "string" | "object" | "array"): fc.Arbitrary<Json> {
  const scalars: fc.Arbitrary<Json>[] = [fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)];
  const str: fc.Arbitrary<Json> = fc.string({ maxLength: 8 });
  const arr: fc.Arbitrary<Json> = fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 });
  const obj: fc.Arbitrary<Json> = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { maxKeys: 2 });
  if (expected === "string") return fc.oneof(...scalars, arr, obj);
  if (expected === "object") return fc.oneof(...scalars, str, arr);
  return fc.oneof(...scalars, str, obj);
}

const FIELD_TYPES: [path: string, expected: "string" | "object" | "array"][] = [
  ["tenantId", "string"],
  ["displayName", "string"],
  ["admin", "object"],
  ["admin.userId", "string"],
  ["admin.name", "string"],
  ["members", "array"],
  ["imGroup", "object"],
  ["imGroup.introduction", "string"],
  ["requestedAt", "string"],
];

/** Sets `path` (dot-separated) in `tenant`, creating the parent objects it needs. */
function setPath(tenant: JsonObject, path: string, value: Json): JsonObject {
  const out = clone(tenant);
  const keys = path.split(".");
  let node: JsonObject = out;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object") node[key] = {};
    node = node[key] as JsonObject;
  }
  node[keys.at(-1) as string] = value;
  return out;
}

const wrongType: fc.Arbitrary<TenantMutation> = fc
  .constantFrom(...FIELD_TYPES)
  .chain(([path, expected]) => wrongValue(expected).map((value) => ({ path, value })))
  .map(({ path, value }) => ({ kind: `wrong type at ${path}`, apply: (t) => ({ tenant: setPath(t, path, value), field: path }) }));

const missing: fc.Arbitrary<TenantMutation> = fc
  .constantFrom("tenantId", "displayName", "admin", "admin.userId", "requestedAt")
  .map((path) => ({
    kind: `missing ${path}`,
    apply: (t) => {
      const out = clone(t);
      if (path === "admin.userId") delete (out["admin"] as JsonObject)["userId"];
      else delete out[path];
      return { tenant: out, field: path };
    },
  }));

const badTenantId: fc.Arbitrary<TenantMutation> = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.stringMatching(/^[A-Za-z0-9_-]{37,60}$/),
    fc.constantFrom("", "-leading-dash", "_underscore", "has space", "dot.ted", "ü-umlaut", "tenant/1", "t\u0000nul", "😀"),
  )
  .filter((id) => !TENANT_ID_PATTERN.test(id))
  .map((id) => ({ kind: "bad tenantId", apply: (t) => ({ tenant: { ...clone(t), tenantId: id }, field: "tenantId" }) }));

const MULTI_BYTE = ["東", "ü", "€", "😀", "ß", "д", "ق", "한", "𝄞"];
/**
 * Text of multi-byte characters (2-4 bytes each) longer than `maxBytes` in UTF-8, often within
 * `maxBytes` characters: the limit counts bytes, not characters.
 */
const overlongText = (maxBytes: number, maxChars: number) =>
  fc
    .array(fc.constantFrom(...MULTI_BYTE), { minLength: Math.floor(maxBytes / 2) + 1, maxLength: Math.max(maxChars, Math.floor(maxBytes / 2) + 1) })
    .map((chars) => chars.join(""))
    .filter((s) => bytes(s.trim()) > maxBytes);

const overlong: fc.Arbitrary<TenantMutation> = fc.oneof(
  overlongText(30, 40).map((s): TenantMutation => ({ kind: "displayName over 30 UTF-8 bytes", apply: (t) => ({ tenant: { ...clone(t), displayName: s }, field: "displayName" }) })),
  overlongText(64, 70).map((s): TenantMutation => ({ kind: "admin.name over 64 UTF-8 bytes", apply: (t) => ({ tenant: setPath(t, "admin.name", s), field: "admin.name" }) })),
  overlongText(198, 220).map((s): TenantMutation => ({ kind: "introduction over 198 UTF-8 bytes", apply: (t) => ({ tenant: setPath(t, "imGroup.introduction", s), field: "imGroup.introduction" }) })),
  fc.oneof(fc.stringMatching(/^[a-z]{33,50}$/), overlongText(32, 20)).map(
    (s): TenantMutation => ({ kind: "admin.userId over 32 bytes", apply: (t) => ({ tenant: setPath(t, "admin.userId", s), field: "admin.userId" }) }),
  ),
);

const KNOWN_KEYS = new Set(["tenantId", "displayName", "admin", "members", "imGroup", "requestedAt", "source", "userId", "name", "role", "introduction", "notification", "faceUrl", "applyJoinOption"]);
const extraKey = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,19}$/).filter((k) => !KNOWN_KEYS.has(k));

const extraField: fc.Arbitrary<TenantMutation> = fc.oneof(
  fc.tuple(fc.constantFrom("", "admin", "imGroup", "members.0"), extraKey, fc.jsonValue({ maxDepth: 1 })).map(
    ([where, key, value]): TenantMutation => ({
      kind: `extra field ${where ? `${where}.` : ""}${key}`,
      apply: (t) => {
        let out = clone(t);
        if (where === "members.0") out["members"] = [{ userId: "member-1" }];
        if (where === "imGroup") out["imGroup"] = {};
        out = setPath(out, where ? `${where}.${key}` : key, value as Json);
        return { tenant: out, field: where ? `${where}.${key}` : key };
      },
    }),
  ),
  fc.constantFrom<Json>("webhook", "signup", "backfill", 1).map((value): TenantMutation => ({ kind: "source set by the sender", apply: (t) => ({ tenant: { ...clone(t), source: value }, field: "source" }) })),
);

const badRequestedAt: fc.Arbitrary<TenantMutation> = fc
  .oneof(
    fc.constantFrom("yesterday", "2026-13-45T00:00:00Z", "2026-01-01", "2026-01-01 10:00:00", "1700000000", "", "2026-02-30T25:61:00Z", "Mon, 23 Nov 2026 10:00:00 GMT"),
    fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-\d\d-\d\dT/.test(s)),
  )
  .map((value) => ({ kind: "bad requestedAt", apply: (t) => ({ tenant: { ...clone(t), requestedAt: value }, field: "requestedAt" }) }));

const badMembers: fc.Arbitrary<TenantMutation> = fc.oneof(
  fc.constant<TenantMutation>({
    kind: "member duplicates the admin",
    apply: (t) => ({ tenant: { ...clone(t), members: [{ userId: (t["admin"] as JsonObject)["userId"] as string }] }, field: "members.0.userId" }),
  }),
  fc.integer({ min: 100, max: 130 }).map((n): TenantMutation => ({
    kind: `${n} members`,
    apply: (t) => ({ tenant: { ...clone(t), members: Array.from({ length: n }, (_, i) => ({ userId: `member-${i}` })) }, field: "members" }),
  })),
  fc.constantFrom("Owner", "Member", "admin", "").map((role): TenantMutation => ({ kind: `member role ${role}`, apply: (t) => ({ tenant: { ...clone(t), members: [{ userId: "member-1", role }] }, field: "members.0.role" }) })),
);

/**
 * A name or group text with a character that hides or disguises content (src/validation/readable-text.ts):
 * a control character, a bidi override or mark, an invisible or layout-breaking one, or nothing visible.
 */
const unreadableText: fc.Arbitrary<TenantMutation> = fc
  .tuple(
    fc.constantFrom("displayName", "admin.name", "imGroup.introduction", "imGroup.notification"),
    fc.constantFrom("\u0000", "\u001b", "\u0085", "\u202e", "\u2067", "\u200f", "\u200b", "\u2060", "\ufeff", "\u2028", "\u{e0041}", "\ufffe"),
    fc.boolean(),
  )
  .map(([path, char, alone]): TenantMutation => ({
    kind: `unreadable ${path}`,
    apply: (t) => ({ tenant: setPath(t, path, alone ? char : `Acme${char}Corp`), field: path }),
  }));

/** Every tenant-level mutation. */
export const tenantMutation: fc.Arbitrary<TenantMutation> = fc.oneof(wrongType, missing, badTenantId, overlong, extraField, badRequestedAt, badMembers, unreadableText);

/** A body that is not JSON at all (field `body`). */
export const nonJsonBody: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom("{", "{\"type\":", "tenant.created", "<xml/>", "{'single':'quotes'}", "{\"a\":1,}", "NaN", "undefined", "\u0000", "\uFEFF{}"),
  )
  .filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  });

/** A huge multi-byte string: 68 KiB to 160 KiB of UTF-8. */
export const hugeText: fc.Arbitrary<string> = fc.integer({ min: 34_000, max: 40_000 }).chain((n) => fc.constantFrom(...MULTI_BYTE).map((c) => c.repeat(n)));

/** A valid tenant made huge in one field; the field named (for the signup path, which has no size limit of its own). */
export const hugeTenant: fc.Arbitrary<TenantMutation> = fc.tuple(fc.constantFrom("displayName", "imGroup.introduction", "notes", "admin.name"), hugeText).map(([path, text]) => ({
  kind: `huge ${path}`,
  apply: (t) => ({ tenant: setPath(t, path, text), field: path }),
}));

// --- envelopes ---------------------------------------------------------------------------------

/** A broken webhook envelope (the tenant itself valid): the body and the field named. */
export const badWebhookEnvelope: fc.Arbitrary<{ kind: string; body: (tenant: JsonObject) => Json; field: string }> = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => s !== "tenant.created").map((type) => ({ kind: "wrong type", body: (t: JsonObject): Json => ({ type, data: t }), field: "type" })),
  fc.constant({ kind: "missing type", body: (t: JsonObject): Json => ({ data: t }), field: "type" }),
  fc.constant({ kind: "missing data", body: (): Json => ({ type: "tenant.created" }), field: "data" }),
  wrongValue("object").map((data) => ({ kind: "data not an object", body: (): Json => ({ type: "tenant.created", data }), field: "data" })),
  extraKey.filter((k) => k !== "type" && k !== "data" && k !== "timestamp").map((key) => ({ kind: `extra envelope field ${key}`, body: (t: JsonObject): Json => ({ type: "tenant.created", data: t, [key]: 1 }), field: key })),
  fc.constantFrom("now", "2026-11-23", "1700000000").map((timestamp) => ({ kind: "bad envelope timestamp", body: (t: JsonObject): Json => ({ type: "tenant.created", timestamp, data: t }), field: "timestamp" })),
);

/** A broken EventBridge envelope (the tenant itself valid). */
export const badSignupEnvelope: fc.Arbitrary<{ kind: string; body: (tenant: JsonObject) => Json; field: string }> = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => s !== "TenantSignedUp").map((dt) => ({ kind: "wrong detail-type", body: (t: JsonObject): Json => ({ "detail-type": dt, source: "saas.signup", id: "e-1", detail: t }), field: "detail-type" })),
  fc.constantFrom("id", "source", "detail", "detail-type").map((key) => ({
    kind: `missing ${key}`,
    body: (t: JsonObject): Json => {
      const envelope: JsonObject = { "detail-type": "TenantSignedUp", source: "saas.signup", id: "e-1", detail: t };
      delete envelope[key];
      return envelope;
    },
    field: key,
  })),
  fc.constantFrom("id", "source").map((key) => ({ kind: `empty ${key}`, body: (t: JsonObject): Json => ({ "detail-type": "TenantSignedUp", source: "saas.signup", id: "e-1", detail: t, [key]: "" }), field: key })),
  wrongValue("object").map((detail) => ({ kind: "detail not an object", body: (): Json => ({ "detail-type": "TenantSignedUp", source: "saas.signup", id: "e-1", detail }), field: "detail" })),
);

// --- webhook headers ---------------------------------------------------------------------------

/** How the Standard Webhooks headers of a (valid-bodied) request are broken, and the header named. */
export type HeaderFault =
  | { kind: "missing"; header: "webhook-id" | "webhook-timestamp" | "webhook-signature" }
  | { kind: "wrong-secret" }
  | { kind: "tampered-body" }
  | { kind: "garbage-signature"; value: string }
  | { kind: "bad-timestamp"; value: string }
  | { kind: "stale"; seconds: number }
  | { kind: "future"; seconds: number }
  | { kind: "replay" };

export const headerFault: fc.Arbitrary<HeaderFault> = fc.oneof(
  fc.constantFrom("webhook-id", "webhook-timestamp", "webhook-signature").map((header): HeaderFault => ({ kind: "missing", header })),
  fc.constant<HeaderFault>({ kind: "wrong-secret" }),
  fc.constant<HeaderFault>({ kind: "tampered-body" }),
  fc
    .oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.constantFrom("v1", "v1,", "v2,AAAA", "v1,!!!notbase64", "v1a,abc", "v1,AAAA v1,BBBB"))
    .filter((s) => s.trim().length > 0)
    .map((value): HeaderFault => ({ kind: "garbage-signature", value })),
  fc
    .oneof(fc.constantFrom("abc", "1.5", "-5", "0x10", "1e9", "1234567890123", " 1700000000", "17000000000000"), fc.string({ minLength: 1, maxLength: 14 }).filter((s) => !/^\d{1,12}$/.test(s)))
    .map((value): HeaderFault => ({ kind: "bad-timestamp", value })),
  // ±5 minutes is the tolerance; 310 s keeps a slow run from drifting back inside it.
  fc.integer({ min: 310, max: 10 * 365 * 86_400 }).map((seconds): HeaderFault => ({ kind: "stale", seconds })),
  fc.integer({ min: 310, max: 10 * 365 * 86_400 }).map((seconds): HeaderFault => ({ kind: "future", seconds })),
  fc.constant<HeaderFault>({ kind: "replay" }),
);

/** The header a fault must be reported on. */
export function headerFaultField(fault: HeaderFault): string {
  switch (fault.kind) {
    case "missing":
      return fault.header;
    case "bad-timestamp":
    case "stale":
    case "future":
      return "webhook-timestamp";
    case "replay":
      return "webhook-id";
    default:
      return "webhook-signature";
  }
}

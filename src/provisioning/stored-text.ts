/**
 * The text rules bind text that would be newly stored. A request an earlier release accepted
 * (stored under rules that did not yet refuse its name) and delivered again after the rules
 * tightened (a webhook resend, a queued hand-off, a DLQ replay, an update that keeps the name) is
 * accepted when the only texts the rules refuse are the ones already stored for its tenant.
 */
import { ValidationError } from "../errors.ts";
import type { OutcomeStore } from "../outcomes/store.ts";
import type { TenantItem } from "../outcomes/types.ts";
import { isTextRuleIssue } from "../validation/readable-text.ts";
import { readStoredRequest } from "./desired-state.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "./tenant.ts";

/** Reads a tenant's item (its current generation's stored request), or `undefined` if the tenant is unknown. */
export type StoredTenantReader = (tenantId: string) => Promise<TenantItem | undefined>;

/** The texts the text rules judge, by the field an issue names. */
const TEXT_FIELDS = ["displayName", "admin.name", "imGroup.introduction", "imGroup.notification"] as const;
type TextField = (typeof TEXT_FIELDS)[number];

type Loose = Partial<Record<string, unknown>>;

function textAt(request: unknown, field: TextField): unknown {
  let value: unknown = request;
  for (const key of field.split(".")) value = typeof value === "object" && value !== null ? (value as Loose)[key] : undefined;
  return value;
}

/** `request` (a copy, nested objects too) with `field` set to `text`. */
function withText(request: Loose, field: TextField, text: string): Loose {
  const [outer, inner] = field.split(".") as [string, string | undefined];
  if (inner === undefined) return { ...request, [outer]: text };
  return { ...request, [outer]: { ...(request[outer] as Loose), [inner]: text } };
}

/** The display name is stored trimmed (its schema trims it); the other texts as sent. */
const asStored = (field: TextField, text: string) => (field === "displayName" ? text.trim() : text);

/**
 * Validates a tenant-onboarding request like {@link parseTenantOnboarding}; when it is refused
 * ONLY by text rules (src/validation/readable-text.ts) and every refused text equals the same
 * field of the request stored for that tenant (its current generation's snapshot, read by its
 * shape), the request is accepted with those texts as stored. Otherwise throws the original
 * {@link ValidationError}, unchanged. Reads the tenant (`readStored`) only on that failure path:
 * a valid request costs no read.
 *
 * @example
 * ```ts
 * const tenant = await admitTenantOnboarding(input, async (id) => (await store.getTenant(id)).tenant);
 * ```
 */
export async function admitTenantOnboarding(input: unknown, readStored: StoredTenantReader): Promise<TenantOnboarding> {
  try {
    return parseTenantOnboarding(input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const kept = await keptStoredTexts(input, error, readStored);
    if (kept === undefined) throw error;
    return kept;
  }
}

async function keptStoredTexts(input: unknown, error: ValidationError, readStored: StoredTenantReader): Promise<TenantOnboarding | undefined> {
  const refused = new Set<TextField>();
  for (const issue of error.issues) {
    const field = TEXT_FIELDS.find((f) => f === issue.field);
    if (field === undefined || !isTextRuleIssue(issue.rule) || typeof textAt(input, field) !== "string") return undefined;
    refused.add(field);
  }
  const tenantId = typeof input === "object" && input !== null ? (input as Loose)["tenantId"] : undefined;
  if (refused.size === 0 || typeof tenantId !== "string") return undefined;
  const tenant = await readStored(tenantId);
  const stored = tenant === undefined ? undefined : readStoredRequest(tenant);
  if (stored === undefined || stored instanceof ValidationError) return undefined;
  // Every refused text must be the one stored; judged with a stand-in, the rest of the request
  // meets every rule (its other issues were none), and the stored texts go back in.
  let standIn = input as Loose;
  for (const field of refused) {
    const text = textAt(stored, field);
    if (typeof text !== "string" || asStored(field, textAt(input, field) as string) !== asStored(field, text)) return undefined;
    standIn = withText(standIn, field, "x");
  }
  let accepted: Loose;
  try {
    accepted = parseTenantOnboarding(standIn) as Loose;
  } catch (standInError) {
    if (standInError instanceof ValidationError) return undefined;
    throw standInError;
  }
  for (const field of refused) accepted = withText(accepted, field, asStored(field, textAt(stored, field) as string));
  return accepted as TenantOnboarding;
}

/**
 * The {@link StoredTenantReader} of an outcome store: one strongly consistent read of the tenant.
 *
 * @example
 * ```ts
 * const tenant = await tenantFromWebhookBody(body, storedTenantReader(service.store));
 * ```
 */
export function storedTenantReader(store: Pick<OutcomeStore, "getTenant">): StoredTenantReader {
  return async (tenantId) => (await store.getTenant(tenantId)).tenant;
}

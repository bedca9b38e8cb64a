/**
 * EventBridge PutEvents alone, in the protocol `@aws-sdk/client-eventbridge` 3.x speaks: AWS JSON
 * 1.1 (`POST /`, `X-Amz-Target: AWSEvents.PutEvents`), the entry's members in the model's order,
 * `Time` as epoch seconds, SigV4 by the SDK's signer (src/aws/json-rpc.ts), the SDK's standard
 * retries, and the endpoint the SDK's rules pick for the region (or `AWS_ENDPOINT_URL_EVENTBRIDGE`).
 * Written here because the SDK client was 6-9 KB of each Lambda bundle that announces outcomes
 * (after the bundle plugins), evaluated at every cold start, for this one call (README "Outcome
 * events' own PutEvents"); the request is checked against the SDK's in
 * test/integration/events/put-events.test.ts.
 *
 * Not supported: global endpoints (`EndpointId`, signed with SigV4a), which the service never uses.
 */
import { partition } from "@aws-sdk/core/client";
import { configuredEndpoint, endpointFlag, resolvedOnce } from "../aws/endpoint.ts";
import { AwsJsonRpcClient, AwsServiceError, type AwsJsonRpcClientOptions } from "../aws/json-rpc.ts";
import { ConfigurationError, ValidationError, type ValidationIssue } from "../errors.ts";

/** PutEvents takes 1-10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** A PutEvents call's entries together: at most 256 KB, counted as {@link putEventsEntryBytes} counts. */
export const PUT_EVENTS_MAX_REQUEST_BYTES = 256 * 1024;

/** `Time` counts 14 bytes toward an entry's size when present (EventBridge user guide). */
const TIME_FIELD_BYTES = 14;

/** One PutEvents entry: the SDK's `PutEventsRequestEntry`. */
export interface PutEventsRequestEntry {
  Time?: Date | undefined;
  Source?: string | undefined;
  Resources?: readonly string[] | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  /** A bus name or ARN; the account's `default` bus when absent. */
  EventBusName?: string | undefined;
  TraceHeader?: string | undefined;
}

/** What PutEvents answers for one entry, in the request's order: `EventId`, or `ErrorCode` and `ErrorMessage`. */
export interface PutEventsResultEntry {
  EventId?: string | undefined;
  ErrorCode?: string | undefined;
  ErrorMessage?: string | undefined;
}

/** PutEvents' answer, as the SDK reads it (a field the answer lacks is absent). */
export interface PutEventsOutput {
  /** How many entries failed; the call itself succeeded. */
  FailedEntryCount?: number | undefined;
  Entries?: PutEventsResultEntry[] | undefined;
}

/**
 * Anything that sends a PutEvents call: {@link EventBridgePutEventsClient}, or (in tests) the
 * SDK's client behind a one-line adapter.
 */
export interface PutEventsSender {
  putEvents(input: { Entries: readonly PutEventsRequestEntry[] }): Promise<PutEventsOutput>;
}

/**
 * EventBridge's modeled error of PutEvents (HTTP 500): retried by the standard mode, then thrown
 * with the SDK's name, `$fault` and status.
 *
 * @example
 * ```ts
 * if (error instanceof InternalException) logger.warn("EventBridge failed inside");
 * ```
 */
export class InternalException extends AwsServiceError {}

/**
 * An entry's size as EventBridge counts it toward the 256 KB limits (of an entry, and of a call):
 * `Time` 14 bytes when present, plus the UTF-8 bytes of Source, DetailType, Detail and Resources.
 *
 * @example
 * ```ts
 * putEventsEntryBytes({ Source: "s", DetailType: "d", Detail: "{}" }); // 4
 * ```
 */
export function putEventsEntryBytes(entry: PutEventsRequestEntry): number {
  const utf8 = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));
  const resources = (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0);
  return (entry.Time !== undefined ? TIME_FIELD_BYTES : 0) + utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail) + resources;
}

/** Options of {@link EventBridgePutEventsClient}: the AWS JSON client's, less what EventBridge fixes. */
export type EventBridgePutEventsClientOptions = Omit<AwsJsonRpcClientOptions, "signingName" | "targetPrefix" | "jsonVersion" | "queryCompatible" | "errors"> & {
  /** Where requests go (an origin); default `AWS_ENDPOINT_URL_EVENTBRIDGE`, then `AWS_ENDPOINT_URL`, then the region's endpoint. */
  endpoint?: string | undefined;
};

/**
 * PutEvents over src/aws/json-rpc.ts. Entries are checked before anything is sent (1-10 of them,
 * 256 KB together, a valid `Time`): a request the service would refuse whole fails here with a
 * ValidationError naming the field and the rule.
 *
 * @example
 * ```ts
 * const events = new EventBridgePutEventsClient();
 * const out = await events.putEvents({ Entries: [{ Source: "tenant-provisioner", DetailType: "TenantProvisioned", Detail: "{}", EventBusName: "tenant-outcomes" }] });
 * ```
 */
export class EventBridgePutEventsClient implements PutEventsSender {
  readonly #client: AwsJsonRpcClient;
  readonly #endpoint: () => string;

  constructor(options: EventBridgePutEventsClientOptions = {}) {
    const { endpoint, ...rest } = options;
    this.#endpoint = resolvedOnce(endpoint, options.region, eventBridgeEndpoint);
    this.#client = new AwsJsonRpcClient({ ...rest, signingName: "events", targetPrefix: "AWSEvents", jsonVersion: "1.1", errors: { InternalException } });
  }

  /**
   * Sends one PutEvents call. Resolves when the call succeeded, even if some entries failed
   * (`FailedEntryCount`, `Entries[i].ErrorCode`/`ErrorMessage`); rejects with a ValidationError
   * (before sending), a ConfigurationError (no region or a bad endpoint setting), an
   * {@link InternalException} or another AwsServiceError (ThrottlingException, AccessDeniedException...),
   * a TransportError, an AwsCallDeadlineError or an AwsResponseParseError.
   *
   * @example
   * ```ts
   * const { FailedEntryCount, Entries } = await events.putEvents({ Entries: entries });
   * ```
   */
  async putEvents(input: { Entries: readonly PutEventsRequestEntry[] }): Promise<PutEventsOutput> {
    const entries = checkedEntries(input.Entries);
    const output = await this.#client.call(this.#endpoint(), "PutEvents", { Entries: entries.map(wireEntry) });
    return readOutput(output);
  }

  /**
   * Closes the idle connections the client opened.
   *
   * @example
   * ```ts
   * events.close();
   * ```
   */
  close(): void {
    this.#client.close();
  }
}

function checkedEntries(entries: readonly PutEventsRequestEntry[] | undefined): readonly PutEventsRequestEntry[] {
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
    const count = Array.isArray(entries) ? entries.length : "not a list";
    throw new ValidationError([{ field: "Entries", rule: `1 to ${PUT_EVENTS_MAX_ENTRIES} entries (is ${count})` }], "PutEvents");
  }
  const issues: ValidationIssue[] = [];
  const total = entries.reduce((n, entry) => n + putEventsEntryBytes(entry), 0);
  if (total > PUT_EVENTS_MAX_REQUEST_BYTES) issues.push({ field: "Entries", rule: `at most ${PUT_EVENTS_MAX_REQUEST_BYTES} bytes together (is ${total})` });
  entries.forEach((entry, i) => {
    if (entry.Time !== undefined && !(entry.Time instanceof Date && Number.isFinite(entry.Time.getTime()))) {
      issues.push({ field: `Entries.${i}.Time`, rule: "a valid Date" });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues, "PutEvents");
  return entries;
}

/** An entry as the SDK writes it: the model's member order, absent members left out, `Time` in epoch seconds. */
function wireEntry(entry: PutEventsRequestEntry): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  if (entry.Time != null) wire["Time"] = entry.Time.getTime() / 1000;
  if (entry.Source != null) wire["Source"] = entry.Source;
  if (entry.Resources != null) wire["Resources"] = entry.Resources;
  if (entry.DetailType != null) wire["DetailType"] = entry.DetailType;
  if (entry.Detail != null) wire["Detail"] = entry.Detail;
  if (entry.EventBusName != null) wire["EventBusName"] = entry.EventBusName;
  if (entry.TraceHeader != null) wire["TraceHeader"] = entry.TraceHeader;
  return wire;
}

/** The answer's fields of the model, typed; anything else is dropped, as the SDK's deserializer drops it. */
function readOutput(output: Record<string, unknown>): PutEventsOutput {
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const result: PutEventsOutput = {};
  if (typeof output["FailedEntryCount"] === "number") result.FailedEntryCount = output["FailedEntryCount"];
  const entries = output["Entries"];
  if (Array.isArray(entries)) {
    result.Entries = entries.map((raw: unknown) => {
      const e = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
      const entry: PutEventsResultEntry = {};
      if (text(e["EventId"]) !== undefined) entry.EventId = text(e["EventId"]);
      if (text(e["ErrorCode"]) !== undefined) entry.ErrorCode = text(e["ErrorCode"]);
      if (text(e["ErrorMessage"]) !== undefined) entry.ErrorMessage = text(e["ErrorMessage"]);
      return entry;
    });
  }
  return result;
}

/**
 * The endpoint the SDK's EventBridge client picks without a global endpoint (`EndpointId`):
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`, then `AWS_ENDPOINT_URL`; else by its endpoint rules from the
 * region's partition (the SDK's own partition table) and `AWS_USE_FIPS_ENDPOINT` /
 * `AWS_USE_DUALSTACK_ENDPOINT`. Throws a ConfigurationError where the SDK's rules fail.
 *
 * @example
 * ```ts
 * eventBridgeEndpoint("cn-north-1", {}); // "https://events.cn-north-1.amazonaws.com.cn"
 * ```
 */
export function eventBridgeEndpoint(region: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const fips = endpointFlag(env, "AWS_USE_FIPS_ENDPOINT", "EventBridge");
  const dualStack = endpointFlag(env, "AWS_USE_DUALSTACK_ENDPOINT", "EventBridge");
  const custom = configuredEndpoint("EventBridge", env);
  const fail = (field: string, rule: string) => new ConfigurationError("EventBridge endpoint", [{ field, rule }]);
  if (custom) {
    if (fips) throw fail("AWS_USE_FIPS_ENDPOINT", "FIPS and a custom endpoint are not supported together");
    if (dualStack) throw fail("AWS_USE_DUALSTACK_ENDPOINT", "dual-stack and a custom endpoint are not supported together");
    return custom;
  }
  if (!region) throw fail("AWS_REGION", "is required (the region EventBridge is called in)");
  const p = partition(region);
  if (fips && dualStack) {
    // GovCloud's dual-stack endpoints are FIPS already.
    if (p.name === "aws-us-gov") return `https://events.${region}.${p.dualStackDnsSuffix}`;
    if (!p.supportsFIPS || !p.supportsDualStack) throw fail("AWS_USE_FIPS_ENDPOINT", `FIPS and dual-stack are not both supported in partition ${p.name}`);
    return `https://events-fips.${region}.${p.dualStackDnsSuffix}`;
  }
  if (fips) {
    if (!p.supportsFIPS) throw fail("AWS_USE_FIPS_ENDPOINT", `FIPS is not supported in partition ${p.name}`);
    // EventBridge's FIPS endpoints in GovCloud are its ordinary ones.
    if (p.name === "aws-us-gov" && (region === "us-gov-east-1" || region === "us-gov-west-1")) return `https://events.${region}.amazonaws.com`;
    return `https://events-fips.${region}.${p.dnsSuffix}`;
  }
  if (dualStack) {
    if (!p.supportsDualStack) throw fail("AWS_USE_DUALSTACK_ENDPOINT", `dual-stack is not supported in partition ${p.name}`);
    return `https://events.${region}.${p.dualStackDnsSuffix}`;
  }
  return `https://events.${region}.${p.dnsSuffix}`;
}

/**
 * A local Amazon EventBridge stand-in for tests and the local stack: a real `node:http` server on
 * 127.0.0.1 speaking AWS JSON 1.1 as the unchanged `@aws-sdk/client-eventbridge` does
 * (`POST /`, `X-Amz-Target: AWSEvents.PutEvents`, `application/x-amz-json-1.1`), and so the
 * service's own PutEvents (src/events/put-events.ts; test/integration/events/put-events.test.ts
 * checks it gets the same answers). Point a client at it with `AWS_ENDPOINT_URL_EVENTBRIDGE` or
 * its `endpoint` option.
 *
 * Only PutEvents, checked like the real API for the fields it takes:
 * - `Entries` 1-10, else `ValidationException` (HTTP 400, nothing recorded); the request's
 *   entries together at most 256 KB (Time 14 bytes + Source + DetailType + Detail + Resources);
 * - per entry, `Source`, `DetailType` and `Detail` are required (`InvalidArgument`), an `aws.*`
 *   source is not ours to use (`NotAuthorizedForSourceException`), `Detail` must be a JSON object
 *   (`MalformedDetail`), the bus must exist (`InvalidArgument`); a failed entry
 *   answers `ErrorCode`/`ErrorMessage` in its slot, the others are accepted (`FailedEntryCount`).
 * Accepted events are recorded and handed to subscribers (`npm start` prints them).
 *
 * Not a security boundary: an `Authorization` header must be present, its signature is not checked.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { answerAction, AwsFault, awsJsonServer, callFaults, type InjectedFault, type Json, parseAwsJsonBody, sendAwsFault } from "./aws-json.ts";
import { closeServer, listenOnLoopback } from "../sandbox/loopback.ts";

const TARGET_PREFIX = "AWSEvents.";
const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const MAX_ENTRIES = 10;
const MAX_REQUEST_ENTRY_BYTES = 256 * 1024;
const TIME_FIELD_BYTES = 14;
/** Request bodies beyond this are refused unread (the entries' own limit is 256 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** An event the stand-in accepted. */
export interface RecordedEvent {
  /** The id it answered in `Entries[i].EventId`. */
  id: string;
  eventBusName: string;
  source: string;
  detailType: string;
  /** `Detail`, parsed. */
  detail: Record<string, unknown>;
  /** ISO time: the entry's `Time`, or when it arrived. */
  time: string;
  resources: string[];
}

/** A whole-call error to inject, as AWS would send it (e.g. `ThrottlingException`; 500 for InternalException). */
export type EventBridgeCallFault = InjectedFault;

export interface EventBridgeStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Buses that exist besides `default`. */
  eventBuses?: readonly string[] | undefined;
}

export interface EventBridgeStandIn {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  readonly endpoint: string;
  /** Accepted events, oldest first. */
  readonly events: readonly RecordedEvent[];
  /** Requests per action (`PutEvents`: 3), failed ones included. */
  readonly calls: Readonly<Record<string, number>>;
  /** Calls `listener` with each accepted event; returns the unsubscribe function. */
  subscribe(listener: (event: RecordedEvent) => void): () => void;
  /** The next `count` well-formed entries fail with this per-entry error (default `InternalFailure`): a partial failure. */
  failEntries(count: number, errorCode?: string, errorMessage?: string): void;
  /** Answers the next `times` calls of `action` with this error instead of serving them. */
  failNext(action: string, fault: EventBridgeCallFault, times?: number): void;
  /** Forgets recorded events, counters and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function bytes(value: unknown): number {
  return typeof value === "string" ? Buffer.byteLength(value, "utf8") : 0;
}

/** An entry's size as the EventBridge user guide counts it. */
function entrySize(entry: Json): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources.reduce((n: number, r: unknown) => n + bytes(r), 0) : 0;
  return (entry.Time !== undefined ? TIME_FIELD_BYTES : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources;
}

/** `name` or `arn:aws:events:<region>:<account>:event-bus/<name>` → name. */
function busName(value: unknown): string {
  if (value === undefined || value === null || value === "") return "default";
  const text = String(value);
  const arn = /^arn:aws[a-z-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(text);
  return arn?.[1] ?? text;
}

/**
 * Starts the stand-in and resolves once it is listening.
 *
 * @example
 * ```ts
 * const bus = await startEventBridgeStandIn({ eventBuses: ["tenant-outcomes"] });
 * process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
 * bus.subscribe((e) => console.log(e.detailType, e.detail));
 * await bus.close();
 * ```
 */
export async function startEventBridgeStandIn(options: EventBridgeStandInOptions = {}): Promise<EventBridgeStandIn> {
  const buses = new Set(["default", ...(options.eventBuses ?? [])]);
  let events: RecordedEvent[] = [];
  let calls: Record<string, number> = {};
  const listeners = new Set<(event: RecordedEvent) => void>();
  let entryFault: { remaining: number; errorCode: string; errorMessage: string } | undefined;
  const faults = callFaults();

  function checkEntry(entry: unknown): { ok: true; event: RecordedEvent } | { ok: false; result: EntryResult } {
    const fail = (ErrorCode: string, ErrorMessage: string) => ({ ok: false as const, result: { ErrorCode, ErrorMessage } });
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return fail("InvalidArgument", "An entry must be an object.");
    const e = entry as Json;
    for (const field of ["Source", "DetailType", "Detail"] as const) {
      if (typeof e[field] !== "string" || e[field] === "") {
        return fail("InvalidArgument", `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
      }
    }
    // Sources starting with "aws." belong to AWS services; a custom PutEvents may not use them.
    if ((e.Source as string).startsWith("aws.")) return fail("NotAuthorizedForSourceException", "Not authorized for the source.");
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail as string);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) return fail("MalformedDetail", "Detail is malformed.");
    const bus = busName(e.EventBusName);
    if (!buses.has(bus)) return fail("InvalidArgument", `Event bus ${bus} does not exist.`);
    if (e.Time !== undefined && !(typeof e.Time === "number" && Number.isFinite(e.Time))) {
      return fail("InvalidArgument", "Parameter Time is not valid. Reason: Time must be a timestamp.");
    }
    const resources = Array.isArray(e.Resources) ? e.Resources.filter((r): r is string => typeof r === "string") : [];
    const time = typeof e.Time === "number" ? new Date(e.Time * 1000) : new Date();
    return {
      ok: true,
      event: {
        id: randomUUID(),
        eventBusName: bus,
        source: e.Source as string,
        detailType: e.DetailType as string,
        detail: detail as Record<string, unknown>,
        time: time.toISOString(),
        resources,
      },
    };
  }

  function putEvents(input: Json): Json {
    const entries = input.Entries;
    if (!Array.isArray(entries)) {
      throw new AwsFault("ValidationException", "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new AwsFault(
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const total = entries.reduce((n: number, entry: unknown) => n + (typeof entry === "object" && entry !== null ? entrySize(entry as Json) : 0), 0);
    if (total > MAX_REQUEST_ENTRY_BYTES) throw new AwsFault("ValidationException", "Total size of the entries in the request is over the limit.");

    const accepted: RecordedEvent[] = [];
    const results: EntryResult[] = entries.map((entry: unknown) => {
      const checked = checkEntry(entry);
      if (!checked.ok) return checked.result;
      if (entryFault !== undefined && entryFault.remaining > 0) {
        entryFault.remaining -= 1;
        return { ErrorCode: entryFault.errorCode, ErrorMessage: entryFault.errorMessage };
      }
      accepted.push(checked.event);
      return { EventId: checked.event.id };
    });
    for (const event of accepted) {
      events.push(event);
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A failing subscriber (a printer) must not turn an accepted event into an error answer.
        }
      }
    }
    return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
  }

  const fail = sendAwsFault;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return fail(res, new AwsFault("ValidationException", "Request body too large.", 413));
      chunks.push(chunk as Buffer);
    }
    const target = req.headers["x-amz-target"];
    if (req.method !== "POST" || typeof target !== "string" || !target.startsWith(TARGET_PREFIX)) {
      return fail(res, new AwsFault("UnknownOperationException", "Expected POST with X-Amz-Target: AWSEvents.<Action>."));
    }
    const action = target.slice(TARGET_PREFIX.length);
    calls[action] = (calls[action] ?? 0) + 1;
    if (!req.headers.authorization) return fail(res, new AwsFault("MissingAuthenticationTokenException", "Missing Authentication Token", 403));
    if (action !== "PutEvents") return fail(res, new AwsFault("UnknownOperationException", `Operation ${action} is not supported by this stand-in.`));

    const injected = faults.take(action);
    if (injected) return fail(res, injected);
    await answerAction(res, () => putEvents(parseAwsJsonBody(Buffer.concat(chunks))), "InternalException");
  }

  const server = awsJsonServer(handle, "InternalException");
  const port = await listenOnLoopback(server, options.port ?? 0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get events() {
      return events;
    },
    get calls() {
      return calls;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    failEntries(count, errorCode = "InternalFailure", errorMessage = "Injected entry failure.") {
      entryFault = { remaining: count, errorCode, errorMessage };
    },
    failNext(action, fault, times = 1) {
      faults.set(action, fault, times);
    },
    reset() {
      events = [];
      calls = {};
      entryFault = undefined;
      faults.clear();
    },
    close: () => closeServer(server, "all"),
  };
}

/**
 * The ARN of a stand-in bus, for templates and tests that want one (PutEvents takes a name or an ARN).
 *
 * @example
 * ```ts
 * localEventBusArn("tenant-outcome-events-local"); // "arn:aws:events:us-east-1:000000000000:event-bus/tenant-outcome-events-local"
 * ```
 */
export function localEventBusArn(name: string): string {
  return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
}

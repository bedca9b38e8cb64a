/**
 * Publishes outcome events to an EventBridge bus with PutEvents (src/events/put-events.ts: the
 * request `@aws-sdk/client-eventbridge` sends, its signing, standard retries and endpoint settings
 * such as `AWS_ENDPOINT_URL_EVENTBRIDGE`, without the SDK client in the bundles).
 *
 * PutEvents can succeed as a call and still drop entries: `FailedEntryCount` and each
 * `Entries[i].ErrorCode` say which. Those are turned into an {@link OutcomeEventPublishError} a
 * caller can switch on (`retryable`), never ignored.
 */
import { ProvisionerError, ValidationError } from "../errors.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { eventBusNameSchema } from "./bus-name.ts";
import {
  EventBridgePutEventsClient,
  PUT_EVENTS_MAX_ENTRIES,
  PUT_EVENTS_MAX_REQUEST_BYTES,
  putEventsEntryBytes,
  type PutEventsRequestEntry,
  type PutEventsSender,
} from "./put-events.ts";
import { MAX_EVENT_ENTRY_BYTES, OUTCOME_EVENT_SOURCE, type OutcomeEvent } from "./types.ts";

/**
 * Entry error codes that will fail the same way again (a bug or a policy, not a blip): the
 * non-retryable ones of the PutEventsResultEntry reference. Its retryable ones are
 * InternalFailure and ThrottlingException; an unknown code is treated as retryable.
 */
const PERMANENT_ENTRY_CODES: ReadonlySet<string> = new Set([
  "MalformedDetail",
  "InvalidArgument",
  "InvalidAccountIdException",
  "RedactionFailure",
  "ValidationException",
  "AccessDeniedException",
  "NotAuthorizedForSourceException",
  "NotAuthorizedForDetailTypeException",
]);

/** Call-level errors that will fail the same way again (AWS's, and a request or setting refused before sending). */
const PERMANENT_CALL_ERRORS: ReadonlySet<string> = new Set([
  "ValidationError",
  "ConfigurationError",
  "ResourceNotFoundException",
  "ValidationException",
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "OperationDisabledException",
]);

/** One event EventBridge did not take. */
export interface FailedOutcomeEvent {
  /** The event's stable `detail.eventId`. */
  eventId: string;
  /** `Entries[i].ErrorCode` (`InternalFailure`, `ThrottlingException`, `MalformedDetail`...) or the call's error name. */
  errorCode: string;
  errorMessage: string;
}

/**
 * Some (or all) events were not published. `retryable` is true when every failure is of a kind
 * that may pass (InternalFailure, throttling, 5xx, network); `published` lists the event ids that
 * did go out, so a retry may resend only `failed` (consumers dedupe by `eventId` anyway).
 *
 * @example
 * ```ts
 * try { await publisher.publish(events); }
 * catch (e) { if (e instanceof OutcomeEventPublishError && e.retryable) leaveForReannounce(e.failed); else throw e; }
 * ```
 */
export class OutcomeEventPublishError extends ProvisionerError {
  override name = "OutcomeEventPublishError";
  readonly retryable: boolean;
  readonly failed: readonly FailedOutcomeEvent[];
  readonly published: readonly string[];
  constructor(failed: readonly FailedOutcomeEvent[], published: readonly string[], cause?: unknown) {
    const codes = [...new Set(failed.map((f) => f.errorCode))].join(", ");
    super(`PutEvents: ${failed.length} outcome event(s) not published (${codes})`, cause === undefined ? undefined : { cause });
    this.failed = failed;
    this.published = published;
    this.retryable = failed.every((f) => !PERMANENT_ENTRY_CODES.has(f.errorCode) && !PERMANENT_CALL_ERRORS.has(f.errorCode));
  }
}

/** Options of {@link createOutcomeEventPublisher}. */
export interface OutcomeEventPublisherOptions {
  /** Bus name or ARN (`OUTCOME_EVENT_BUS_NAME`). */
  eventBusName: string;
  /**
   * Default: a new {@link EventBridgePutEventsClient} (region, credentials and endpoint from the
   * environment; timeouts and the invocation deadline as every AWS client of the service).
   */
  client?: PutEventsSender | undefined;
}

/** What {@link OutcomeEventPublisher.publish} returns for the events it published. */
export interface PublishedOutcomeEvent {
  eventId: string;
  /** The id EventBridge assigned (`Entries[i].EventId`). */
  awsEventId: string;
}

/** Publishes outcome events; see {@link createOutcomeEventPublisher}. */
export interface OutcomeEventPublisher {
  /** Publishes every event (in calls of ≤ 10 entries and ≤ 256 KB), or throws {@link OutcomeEventPublishError} naming the ones that failed. */
  publish(events: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]>;
  /** Closes the client's connections if the publisher created it. */
  close(): void;
}

/**
 * The PutEvents entry for an event; refuses one larger than EventBridge's 256 KB entry limit.
 *
 * @example
 * ```ts
 * toPutEventsEntry(tenantDeprovisioned({ tenantId: "acme-1", generation: 4 }), "tenant-outcomes");
 * ```
 */
export function toPutEventsEntry(event: OutcomeEvent, eventBusName: string): PutEventsRequestEntry {
  const detail = JSON.stringify(event.detail);
  const time = new Date(event.detail.occurredAt);
  const entry = { EventBusName: eventBusName, Source: OUTCOME_EVENT_SOURCE, DetailType: event.detailType, Detail: detail, Time: time };
  const size = putEventsEntryBytes(entry);
  if (size > MAX_EVENT_ENTRY_BYTES) {
    throw new ValidationError([{ field: "detail", rule: `the PutEvents entry must be at most ${MAX_EVENT_ENTRY_BYTES} bytes (is ${size})` }], event.detailType);
  }
  return entry;
}

/**
 * Where consecutive entries are cut into PutEvents calls: each call at most 10 entries and 256 KB
 * together (each entry alone is within 256 KB already). Returns the start index of every call.
 *
 * @example
 * ```ts
 * callStarts([entryOf100Kb, entryOf100Kb, entryOf100Kb]); // [0, 2]
 * ```
 */
export function callStarts(entries: readonly PutEventsRequestEntry[]): number[] {
  const starts: number[] = [];
  let count = 0;
  let bytes = 0;
  entries.forEach((entry, i) => {
    const size = putEventsEntryBytes(entry);
    if (i === 0 || count === PUT_EVENTS_MAX_ENTRIES || bytes + size > PUT_EVENTS_MAX_REQUEST_BYTES) {
      starts.push(i);
      count = 0;
      bytes = 0;
    }
    count += 1;
    bytes += size;
  });
  return starts;
}

function callErrorCode(error: unknown): string {
  if (error instanceof Error) return error.name || "Error";
  return "UnknownError";
}

/**
 * Makes a publisher for one bus.
 *
 * @example
 * ```ts
 * const publisher = createOutcomeEventPublisher({ eventBusName: process.env.OUTCOME_EVENT_BUS_NAME! });
 * await publisher.publish(tenantProvisioned({ tenantId: "acme-1", generation: 1 }));
 * ```
 */
export function createOutcomeEventPublisher(options: OutcomeEventPublisherOptions): OutcomeEventPublisher {
  parseOrThrow(eventBusNameSchema, options.eventBusName, "outcome event publisher", "eventBusName");
  const owned = options.client === undefined ? new EventBridgePutEventsClient() : undefined;
  const client: PutEventsSender = options.client ?? (owned as EventBridgePutEventsClient);

  async function publish(input: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]> {
    const events: readonly OutcomeEvent[] = Array.isArray(input) ? input : [input as OutcomeEvent];
    // Build (and size-check) every entry before sending any: a bad event sends nothing.
    const entries = events.map((event) => toPutEventsEntry(event, options.eventBusName));
    const published: PublishedOutcomeEvent[] = [];
    const failed: FailedOutcomeEvent[] = [];
    let cause: unknown;
    const starts = callStarts(entries);
    for (const [k, start] of starts.entries()) {
      const end = starts[k + 1] ?? entries.length;
      const batch = entries.slice(start, end);
      const batchEvents = events.slice(start, end);
      let result;
      try {
        result = await client.putEvents({ Entries: batch });
      } catch (error) {
        cause = error;
        const errorCode = callErrorCode(error);
        const errorMessage = error instanceof Error ? error.message : String(error);
        for (const event of batchEvents) failed.push({ eventId: event.detail.eventId, errorCode, errorMessage });
        continue;
      }
      // Entries answer the request in order, one for one.
      batchEvents.forEach((event, i) => {
        const entry = result.Entries?.[i];
        if (entry?.EventId !== undefined && entry.ErrorCode === undefined) {
          published.push({ eventId: event.detail.eventId, awsEventId: entry.EventId });
        } else {
          failed.push({
            eventId: event.detail.eventId,
            errorCode: entry?.ErrorCode ?? "MissingResultEntry",
            errorMessage: entry?.ErrorMessage ?? "PutEvents returned no result for this entry",
          });
        }
      });
    }
    if (failed.length > 0) throw new OutcomeEventPublishError(failed, published.map((p) => p.eventId), cause);
    return published;
  }

  return {
    publish,
    close() {
      owned?.close();
    },
  };
}

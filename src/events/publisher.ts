/**
 * Publishes outcome events to an EventBridge bus with PutEvents (`@aws-sdk/client-eventbridge`,
 * the official client: signing, retries of throttled/5xx calls, endpoint settings such as
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` come with it).
 *
 * PutEvents can succeed as a call and still drop entries: `FailedEntryCount` and each
 * `Entries[i].ErrorCode` say which. Those are turned into an {@link OutcomeEventPublishError} a
 * caller can switch on (`retryable`), never ignored.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { awsClientOptions, withoutSdkLogging } from "../aws/client-options.ts";
import { ProvisionerError, ValidationError } from "../errors.ts";
import { parseOrThrow } from "../validation/issues.ts";
import { eventBusNameSchema } from "./bus-name.ts";
import { MAX_EVENT_ENTRY_BYTES, OUTCOME_EVENT_SOURCE, type OutcomeEvent } from "./types.ts";

/** PutEvents takes 1-10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** `Time` counts 14 bytes toward an entry's size when present (EventBridge user guide). */
const TIME_FIELD_BYTES = 14;

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

/** Call-level AWS errors that will fail the same way again. */
const PERMANENT_CALL_ERRORS: ReadonlySet<string> = new Set([
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
   * Default: `new EventBridgeClient(awsClientOptions())` (region, credentials and endpoint from the
   * environment; timeouts and the invocation deadline as every AWS client of the service).
   */
  client?: EventBridgeClient | undefined;
}

/** What {@link OutcomeEventPublisher.publish} returns for the events it published. */
export interface PublishedOutcomeEvent {
  eventId: string;
  /** The id EventBridge assigned (`Entries[i].EventId`). */
  awsEventId: string;
}

/** Publishes outcome events; see {@link createOutcomeEventPublisher}. */
export interface OutcomeEventPublisher {
  /** Publishes every event (in calls of ≤10), or throws {@link OutcomeEventPublishError} naming the ones that failed. */
  publish(events: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]>;
  /** Destroys the client if the publisher created it. */
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
  const size =
    TIME_FIELD_BYTES + Buffer.byteLength(OUTCOME_EVENT_SOURCE, "utf8") + Buffer.byteLength(event.detailType, "utf8") + Buffer.byteLength(detail, "utf8");
  if (size > MAX_EVENT_ENTRY_BYTES) {
    throw new ValidationError([{ field: "detail", rule: `the PutEvents entry must be at most ${MAX_EVENT_ENTRY_BYTES} bytes (is ${size})` }], event.detailType);
  }
  return { EventBusName: eventBusName, Source: OUTCOME_EVENT_SOURCE, DetailType: event.detailType, Detail: detail, Time: time };
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
  const ownsClient = options.client === undefined;
  const client = options.client ?? withoutSdkLogging(new EventBridgeClient(awsClientOptions()));

  async function publish(input: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]> {
    const events: readonly OutcomeEvent[] = Array.isArray(input) ? input : [input as OutcomeEvent];
    // Build (and size-check) every entry before sending any: a bad event sends nothing.
    const entries = events.map((event) => toPutEventsEntry(event, options.eventBusName));
    const published: PublishedOutcomeEvent[] = [];
    const failed: FailedOutcomeEvent[] = [];
    let cause: unknown;
    for (let start = 0; start < entries.length; start += PUT_EVENTS_MAX_ENTRIES) {
      const batch = entries.slice(start, start + PUT_EVENTS_MAX_ENTRIES);
      const batchEvents = events.slice(start, start + PUT_EVENTS_MAX_ENTRIES);
      let result;
      try {
        result = await client.send(new PutEventsCommand({ Entries: batch }));
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
      if (ownsClient) client.destroy();
    },
  };
}

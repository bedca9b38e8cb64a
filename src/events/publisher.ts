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
  /**
   * Publishes of a single event made within this many ms of each other go out in one PutEvents
   * call (up to 10 entries and 256 KB; each publish still settles with its own entry's result).
   * For a process publishing for one invocation at a time (the backfill, whose concurrent tenants
   * settle a few ms apart): the call runs in the async context, so under the AWS call deadline,
   * of the publish that opened the batch. Default: none, each publish is its own call.
   */
  batchWindowMs?: number | undefined;
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
  const size = entryBytes(event.detailType, detail);
  if (size > MAX_EVENT_ENTRY_BYTES) {
    throw new ValidationError([{ field: "detail", rule: `the PutEvents entry must be at most ${MAX_EVENT_ENTRY_BYTES} bytes (is ${size})` }], event.detailType);
  }
  return { EventBusName: eventBusName, Source: OUTCOME_EVENT_SOURCE, DetailType: event.detailType, Detail: detail, Time: time };
}

/** An entry's size as EventBridge counts it toward the 256 KB limits (of an entry, and of a PutEvents call). */
function entryBytes(detailType: string, detail: string): number {
  return TIME_FIELD_BYTES + Buffer.byteLength(OUTCOME_EVENT_SOURCE, "utf8") + Buffer.byteLength(detailType, "utf8") + Buffer.byteLength(detail, "utf8");
}

/** One single-event publish waiting for its batch's PutEvents call. */
interface Queued {
  event: OutcomeEvent;
  entry: PutEventsRequestEntry;
  bytes: number;
  resolve(published: PublishedOutcomeEvent[]): void;
  reject(error: unknown): void;
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

  /** One PutEvents call (≤ 10 entries): what went out, what failed, and the call's error if it failed as a whole. */
  async function putEvents(events: readonly OutcomeEvent[], entries: PutEventsRequestEntry[], published: PublishedOutcomeEvent[], failed: FailedOutcomeEvent[]): Promise<unknown> {
    let result;
    try {
      result = await client.send(new PutEventsCommand({ Entries: entries }));
    } catch (error) {
      const errorCode = callErrorCode(error);
      const errorMessage = error instanceof Error ? error.message : String(error);
      for (const event of events) failed.push({ eventId: event.detail.eventId, errorCode, errorMessage });
      return error;
    }
    // Entries answer the request in order, one for one.
    events.forEach((event, i) => {
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
    return undefined;
  }

  async function publishNow(input: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]> {
    const events: readonly OutcomeEvent[] = Array.isArray(input) ? input : [input as OutcomeEvent];
    // Build (and size-check) every entry before sending any: a bad event sends nothing.
    const entries = events.map((event) => toPutEventsEntry(event, options.eventBusName));
    const published: PublishedOutcomeEvent[] = [];
    const failed: FailedOutcomeEvent[] = [];
    let cause: unknown;
    for (let start = 0; start < entries.length; start += PUT_EVENTS_MAX_ENTRIES) {
      const error = await putEvents(events.slice(start, start + PUT_EVENTS_MAX_ENTRIES), entries.slice(start, start + PUT_EVENTS_MAX_ENTRIES), published, failed);
      cause ??= error;
    }
    if (failed.length > 0) throw new OutcomeEventPublishError(failed, published.map((p) => p.eventId), cause);
    return published;
  }

  // Batching of single-event publishes (batchWindowMs).
  const windowMs = options.batchWindowMs;
  let queue: Queued[] = [];
  let queuedBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    queuedBytes = 0;
    if (batch.length > 0) void sendBatch(batch);
  }

  async function sendBatch(batch: Queued[]): Promise<void> {
    const published: PublishedOutcomeEvent[] = [];
    const failed: FailedOutcomeEvent[] = [];
    const cause = await putEvents(
      batch.map((q) => q.event),
      batch.map((q) => q.entry),
      published,
      failed,
    );
    // Each publish settles with its own entry: one entry's failure is not the others'.
    for (const q of batch) {
      const id = q.event.detail.eventId;
      const out = published.find((p) => p.eventId === id);
      if (out) q.resolve([out]);
      else q.reject(new OutcomeEventPublishError(failed.filter((f) => f.eventId === id), [], cause));
    }
  }

  async function publish(input: OutcomeEvent | readonly OutcomeEvent[]): Promise<PublishedOutcomeEvent[]> {
    if (windowMs === undefined || Array.isArray(input)) return publishNow(input);
    const event = input as OutcomeEvent;
    // Checked here: an oversized event fails its own publish, never its batch.
    const entry = toPutEventsEntry(event, options.eventBusName);
    const bytes = entryBytes(event.detailType, entry.Detail ?? "");
    if (queuedBytes + bytes > MAX_EVENT_ENTRY_BYTES) flush();
    return new Promise<PublishedOutcomeEvent[]>((resolve, reject) => {
      queue.push({ event, entry, bytes, resolve, reject });
      queuedBytes += bytes;
      if (queue.length >= PUT_EVENTS_MAX_ENTRIES) flush();
      else timer ??= setTimeout(flush, windowMs);
    });
  }

  return {
    publish,
    close() {
      if (ownsClient) client.destroy();
    },
  };
}

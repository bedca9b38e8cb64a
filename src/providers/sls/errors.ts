/** SLS failures as {@link ProviderError}s, classified per PROVIDERS.md. */
import { ProviderError, type ErrorClass } from "../../errors.ts";
import type { TransportError } from "../../http/errors.ts";
import type { HttpResponse } from "../../http/types.ts";

/**
 * Codes that mean "already there": convergence reads the resource back. CreateLogStore answers
 * `LogStoreAlreadyExist` (the Java SDK's function tests against the service); its older reference
 * page spells it `LogstoreAlreadyExist`, and the Python SDK compares case-insensitively.
 */
const EXISTS_CODES = new Set(["ConsumerGroupAlreadyExist", "LogStoreAlreadyExist", "LogstoreAlreadyExist"]);
/**
 * Codes that mean the credentials were rejected (a wrong or rotated key, an expired STS token):
 * re-read them once; still rejected, a rotation may be under way: retry later, not never.
 */
const CREDENTIALS_CODES = new Set(["Unauthorized", "InvalidAccessKeyId", "SignatureNotMatch", "SecurityTokenExpired", "SecurityToken.Expired"]);

/** Codes that mean our clock is too far from the server's: re-sign with the server's time. */
export const SLS_CLOCK_SKEW_CODES: ReadonlySet<string> = new Set(["RequestTimeExpired", "RequestTimeTooSkewed"]);
/** Codes that are server trouble whatever the status. */
const TRANSIENT_CODES = new Set(["InternalServerError", "ServerBusy", "RequestTimeout"]);
/**
 * A count quota, not a rate: CreateLogStore answers 400 `ProjectQuotaExceed` ("Project Quota
 * Exceed", its reference page) when the project holds all the logstores it may. The same code
 * with 403 is write throttling (PROVIDERS.md).
 */
const COUNT_QUOTA = { code: "ProjectQuotaExceed", httpStatus: 400 } as const;
/** Quota codes that are throttling; ConsumerGroupQuotaExceed is a hard limit, not a rate. */
const THROTTLING_CODES = new Set(["WriteQuotaExceed", "ReadQuotaExceed", "ProjectQuotaExceed", "ShardWriteQuotaExceed", "ShardReadQuotaExceed"]);

/**
 * The class of an SLS answer from its HTTP status and `errorCode`. Unknown 4xx codes are
 * permanent (they fail the same way again); unknown 5xx are transient.
 *
 * @example
 * ```ts
 * classifySlsError(403, "WriteQuotaExceed"); // "throttled"
 * classifySlsError(400, "ConsumerGroupAlreadyExist"); // "exists"
 * classifySlsError(400, "ProjectQuotaExceed"); // "permanent": the project's logstore quota
 * ```
 */
export function classifySlsError(httpStatus: number, errorCode: string): ErrorClass {
  if (EXISTS_CODES.has(errorCode)) return "exists";
  if (errorCode === COUNT_QUOTA.code && httpStatus === COUNT_QUOTA.httpStatus) return "permanent";
  if (CREDENTIALS_CODES.has(errorCode)) return "credentials";
  if (THROTTLING_CODES.has(errorCode)) return "throttled";
  if (TRANSIENT_CODES.has(errorCode)) return "transient";
  if (httpStatus === 429) return "throttled";
  if (httpStatus >= 500 || httpStatus === 0) return "transient";
  // JsonInfoInvalid, *NotExist, RequestTimeExpired (after one re-sign), ConsumerGroupQuotaExceed...
  return "permanent";
}

/** Constructor input of {@link SlsError}: the ProviderError details minus the provider. */
export interface SlsErrorDetails {
  code: string;
  httpStatus: number;
  requestId?: string | undefined;
  errorClass: ErrorClass;
  ambiguous: boolean;
  operation: string;
  /** The answer's `Date` header: the server's clock, for re-signing after RequestTimeExpired. */
  serverDate?: string | undefined;
  cause?: unknown;
}

/**
 * An SLS call failed: the provider answered with an error, or no answer came.
 *
 * @example
 * ```ts
 * if (err instanceof SlsError && err.errorClass === "exists") await client.listConsumerGroups();
 * ```
 */
export class SlsError extends ProviderError {
  override name = "SlsError";
  readonly serverDate: string | undefined;
  constructor(message: string, details: SlsErrorDetails) {
    super(message, { provider: "sls", ...details });
    this.serverDate = details.serverDate;
  }

  /** The same failure with another class (e.g. credentials that stayed wrong after a re-read become permanent). */
  reclassified(errorClass: ErrorClass, note: string): SlsError {
    return new SlsError(`${this.message} (${note})`, {
      code: this.code,
      httpStatus: this.httpStatus,
      requestId: this.requestId,
      errorClass,
      ambiguous: this.ambiguous,
      operation: this.operation,
      cause: this,
    });
  }
}

/** Longest provider error message kept; SLS messages are short, and long ones carry no more meaning. */
const MAX_PROVIDER_MESSAGE = 200;

/** Codes whose server message may echo signed material (the server's StringToSign holds the STS token). */
const MESSAGE_WITHHELD_CODES: ReadonlySet<string> = new Set(CREDENTIALS_CODES);

/** Options of {@link slsErrorFromResponse}. */
export interface SlsResponseContext {
  operation: string;
  /** False for CreateConsumerGroup: a 5xx may have created the group. */
  idempotent: boolean;
  /** Values that must never appear in the message (secret, STS token); removed if echoed. */
  redact?: readonly string[];
}

/**
 * An SLS error answer (non-2xx) as an {@link SlsError}. Reads `{"errorCode","errorMessage"}`
 * and `x-log-requestid`; the message never carries a secret.
 *
 * @example
 * ```ts
 * if (res.status >= 300) throw slsErrorFromResponse(res, { operation: "CreateConsumerGroup", idempotent: false });
 * ```
 */
export function slsErrorFromResponse(response: HttpResponse, context: SlsResponseContext): SlsError {
  const { code, message } = parseErrorBody(response);
  const errorClass = classifySlsError(response.status, code);
  let detail = MESSAGE_WITHHELD_CODES.has(code) ? "" : message.slice(0, MAX_PROVIDER_MESSAGE);
  for (const secret of context.redact ?? []) if (secret) detail = detail.split(secret).join("[redacted]");
  return new SlsError(`${context.operation} failed: HTTP ${response.status} ${code}${detail ? `: ${detail}` : ""}`, {
    code,
    httpStatus: response.status,
    requestId: response.headers["x-log-requestid"],
    errorClass,
    ambiguous: response.status >= 500 && !context.idempotent,
    operation: context.operation,
    serverDate: response.headers["date"],
  });
}

/**
 * A transport failure (no complete answer) as an {@link SlsError}: code `Transport.<failure>`,
 * transient, ambiguous when the request may have been sent.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof TransportError) throw slsErrorFromTransport(e, "ListConsumerGroup"); }
 * ```
 */
export function slsErrorFromTransport(error: TransportError, operation: string): SlsError {
  return new SlsError(`${operation} failed: ${error.message}`, {
    code: `Transport.${error.failure}`,
    httpStatus: 0,
    errorClass: "transient",
    ambiguous: error.sent,
    operation,
    cause: error,
  });
}

function parseErrorBody(response: HttpResponse): { code: string; message: string } {
  const fallback = { code: `HTTP.${response.status}`, message: "" };
  if (response.body.length === 0) return fallback;
  try {
    const parsed: unknown = JSON.parse(response.body.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null) return fallback;
    const record = parsed as Record<string, unknown>;
    const code = typeof record["errorCode"] === "string" && record["errorCode"] ? record["errorCode"] : fallback.code;
    const message = typeof record["errorMessage"] === "string" ? record["errorMessage"] : "";
    return { code, message };
  } catch {
    return fallback;
  }
}

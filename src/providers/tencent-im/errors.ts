/**
 * Tencent IM failures as {@link ProviderError}s, and the table that says what each code means
 * for a caller (PROVIDERS.md, "Error classes").
 */
import { type ErrorClass, ProviderError } from "../../errors.ts";
import { RateLimitDeadlineError, TransportError } from "../../http/errors.ts";

/** IM error codes by class, exactly as the provider reference lists them. */
export const IM_ERROR_CLASSES: Readonly<Record<Exclude<ErrorClass, "conflict">, readonly number[]>> = {
  transient: [10002, 60007, 60011, 60014, 60018, 60019, 70169, 70202, 70500],
  throttled: [10006],
  // 70001/70052: the UserSig expired or was invalidated. 70009/70013/70014: our key or app id is
  // wrong, or mid-rotation (IM_ROTATION_CODES).
  credentials: [70001, 70052, 70009, 70013, 70014],
  permanent: [
    // configuration
    60006, 60010, 60016, 60020, 60021, 70016, 70020, 70403,
    // bad request
    10003, 10004, 10005, 10007, 10015, 10019, 60002, 60003, 60015, 70402, 80001,
    // business / quota
    10016, 10036, 10037, 10038, 10058,
  ],
  exists: [10021, 10025],
};

/**
 * Credentials codes that mean the secret itself is wrong or mid-rotation (the UserSig does not
 * verify with the app's key, names another identifier or app): re-read the secret once; still
 * rejected, retry later with a long backoff rather than give up (PROVIDERS.md, "Error classes").
 */
export const IM_ROTATION_CODES: ReadonlySet<number> = new Set([70009, 70013, 70014]);

const CLASS_BY_CODE: ReadonlyMap<number, ErrorClass> = new Map(
  Object.entries(IM_ERROR_CLASSES).flatMap(([errorClass, codes]) => codes.map((code) => [code, errorClass as ErrorClass] as const)),
);

/** HTTP statuses the IM gateway answers when it (not the API) failed; worth a retry. */
const TRANSIENT_HTTP_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** Commands whose effect may have happened although the call failed in a transient way. */
const NON_IDEMPOTENT_COMMANDS: ReadonlySet<string> = new Set(["create_group"]);

/**
 * The class of an IM `ErrorCode`. Codes not in the table are permanent: an unknown failure is
 * recorded, not hammered.
 *
 * @example
 * ```ts
 * classifyImErrorCode(10006); // "throttled"
 * ```
 */
export function classifyImErrorCode(code: number): ErrorClass {
  return CLASS_BY_CODE.get(code) ?? "permanent";
}

/** Fields of {@link TencentImError}. */
export interface TencentImErrorDetails {
  code: string;
  httpStatus: number;
  errorClass: ErrorClass;
  ambiguous: boolean;
  operation: string;
  /** The `random` query value sent with the call: IM returns no request id, this correlates logs. */
  requestId?: string | undefined;
  cause?: unknown;
}

/**
 * A Tencent IM call failed. `code` is the IM `ErrorCode` as a string (`"10021"`), `HTTP.<status>`
 * for a gateway failure, or `Transport.<failure>` when no answer arrived. `requestId` holds the
 * `random` the call carried (IM has no request id of its own).
 *
 * @example
 * ```ts
 * if (err instanceof TencentImError && err.code === "10021") readBack();
 * ```
 */
export class TencentImError extends ProviderError {
  override name = "TencentImError";
  constructor(message: string, details: TencentImErrorDetails) {
    super(message, { provider: "tencent-im", ...details });
  }
}

/**
 * The error for an answer whose `ErrorCode` is not 0. `ErrorInfo` is the server's text: it names
 * fields, never the UserSig (which only travels in the URL, never quoted here).
 *
 * @example
 * ```ts
 * throw imErrorFromCode("create_group", 10002, "internal error", "12345");
 * ```
 */
export function imErrorFromCode(operation: string, code: number, errorInfo: string, requestId?: string): TencentImError {
  const errorClass = classifyImErrorCode(code);
  return new TencentImError(`${operation} failed: ErrorCode ${code}${errorInfo ? ` (${truncate(errorInfo)})` : ""}`, {
    code: String(code),
    httpStatus: 200,
    errorClass,
    ambiguous: code === 10002 && NON_IDEMPOTENT_COMMANDS.has(operation),
    operation,
    requestId,
  });
}

/**
 * The error for a non-200 HTTP answer: 502/503/504 are transient, other 5xx too, 4xx permanent.
 *
 * @example
 * ```ts
 * throw imErrorFromHttpStatus("create_group", 502); // transient, ambiguous
 * ```
 */
export function imErrorFromHttpStatus(operation: string, status: number, requestId?: string): TencentImError {
  const transient = TRANSIENT_HTTP_STATUSES.has(status) || status >= 500;
  return new TencentImError(`${operation} failed: HTTP ${status}`, {
    code: `HTTP.${status}`,
    httpStatus: status,
    errorClass: transient ? "transient" : "permanent",
    ambiguous: transient && NON_IDEMPOTENT_COMMANDS.has(operation),
    operation,
    requestId,
  });
}

/**
 * The error for a call that got no answer. Only a failure after bytes may have left is ambiguous.
 * The transport's message names the failure, never the URL (which holds the UserSig).
 *
 * @example
 * ```ts
 * imErrorFromTransport("create_group", new TransportError("timeout", "no answer", true)); // ambiguous
 * ```
 */
export function imErrorFromTransport(operation: string, error: TransportError | RateLimitDeadlineError, requestId?: string): TencentImError {
  if (error instanceof RateLimitDeadlineError) {
    return new TencentImError(`${operation} not sent: no rate-limit token before the deadline`, {
      code: "RateLimit.Deadline",
      httpStatus: 0,
      errorClass: "transient",
      ambiguous: false,
      operation,
      requestId,
      cause: error,
    });
  }
  const failure = error.failure;
  return new TencentImError(`${operation} failed: ${error.message}`, {
    code: `Transport.${failure.charAt(0).toUpperCase()}${failure.slice(1)}`,
    httpStatus: 0,
    errorClass: "transient",
    ambiguous: error.sent && NON_IDEMPOTENT_COMMANDS.has(operation),
    operation,
    requestId,
    cause: error,
  });
}

/**
 * A group with our GroupId exists but is not the one we meant (type, owner or marker differ).
 *
 * @example
 * ```ts
 * throw groupConflictError("tenant-42", ["Owner_Account"]);
 * ```
 */
export function groupConflictError(groupId: string, mismatched: readonly string[], operation = "ensure_group"): TencentImError {
  return new TencentImError(
    `group ${JSON.stringify(groupId)} exists but is not ours (differs in ${mismatched.join(", ")}); left untouched`,
    { code: "GroupConflict", httpStatus: 200, errorClass: "conflict", ambiguous: false, operation },
  );
}

/**
 * Some accounts were not imported (multiaccount_import `FailAccounts`), so a group operation
 * that needs them cannot finish. Transient: IM reports these per account when it failed
 * internally; the next run imports them again (import is idempotent).
 *
 * @example
 * ```ts
 * throw accountsNotImportedError("update_group", ["bob"]);
 * ```
 */
export function accountsNotImportedError(operation: string, failed: readonly string[]): TencentImError {
  return okAnswerError(operation, "AccountsNotImported", "transient", `${failed.length} account(s) were not imported (multiaccount_import FailAccounts)`);
}

/**
 * add_group_member answered `Result: 0` (failed) for some members. IM does not say why (e.g. the
 * member's own group limit), so it is permanent: a re-drive retries it, a hot loop does not.
 *
 * @example
 * ```ts
 * throw membersNotAddedError("t-42", ["bob"]);
 * ```
 */
export function membersNotAddedError(groupId: string, failed: readonly string[]): TencentImError {
  return okAnswerError("add_group_member", "MembersNotAdded", "permanent", `${failed.length} member(s) of group ${JSON.stringify(groupId)} were not added (Result 0)`);
}

/**
 * An answer with ErrorCode 0 whose body is not what the command returns. Transient: a garbled
 * answer from a gateway passes; the call is retried or re-driven.
 *
 * @example
 * ```ts
 * throw invalidAnswerError("add_group_member");
 * ```
 */
export function invalidAnswerError(operation: string): TencentImError {
  return okAnswerError(operation, "InvalidResponse", "transient", "answered OK with an unexpected body");
}

/** A failure IM reported inside a successful (ErrorCode 0) answer. */
function okAnswerError(operation: string, code: string, errorClass: ErrorClass, what: string): TencentImError {
  return new TencentImError(`${operation}: ${what}`, { code, httpStatus: 200, errorClass, ambiguous: false, operation });
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

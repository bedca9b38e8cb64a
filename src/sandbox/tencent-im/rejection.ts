/**
 * An IM failure answer: HTTP 200 with `{"ActionStatus":"FAIL","ErrorCode","ErrorInfo"}`.
 *
 * @example
 * ```ts
 * throw new ImRejection(IM_SANDBOX_CODES.invalidParams, "Name is required");
 * ```
 */
export class ImRejection extends Error {
  override name = "ImRejection";
  readonly code: number;
  constructor(code: number, info: string) {
    super(info);
    this.code = code;
  }
}

/** The public IM error codes the sandbox answers with. */
export const IM_SANDBOX_CODES = {
  /** HTTP request could not be parsed (method, query, contenttype). */
  httpParse: 60002,
  /** The body is not a JSON object. */
  jsonParse: 60003,
  /** The identifier is not the app admin (group and other services). */
  adminRequired: 60010,
  /** The identifier is not the app admin, on the account service (account_import page). */
  accountAdminRequired: 70403,
  userSigExpired: 70001,
  userSigInvalid: 70003,
  /** The UserSig was not made with this app's key. */
  userSigVerifyFailed: 70009,
  identifierMismatch: 70013,
  sdkAppIdMismatch: 70014,
  sdkAppIdNotFound: 70020,
  userSigInvalidated: 70052,
  /** account_import parameter error. */
  accountInvalidParams: 70402,
  groupInternalError: 10002,
  unknownCommand: 10003,
  invalidParams: 10004,
  tooManyMembers: 10005,
  rateLimited: 10006,
  permissionDenied: 10007,
  groupDismissed: 10010,
  groupNotFound: 10015,
  memberNotImported: 10019,
  groupIdUsedByOther: 10021,
  groupIdUsedBySelf: 10025,
  ownerGroupLimit: 10037,
  /** add_group_member: the group would exceed its MaxMemberNum. */
  groupFull: 10014,
  /** multiaccount_import: the account quota of a trial app is used up. */
  accountQuota: 70398,
} as const;

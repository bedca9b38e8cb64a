/**
 * The Tencent Cloud IM REST client: account_import, multiaccount_import, create_group,
 * get_group_info, modify_group_base_info, add_group_member, destroy_group, and the convergent
 * `ensureGroup` / `updateGroup` / `removeGroup`, which make a tenant's group match the spec
 * whatever earlier runs left behind, and never touch a group that is not ours.
 */
import { randomInt } from "node:crypto";
import { ConfigurationError, providerRetryHook } from "../../errors.ts";
import { systemClock, systemRandom } from "../../http/clock.ts";
import { RateLimitDeadlineError, TransportError } from "../../http/errors.ts";
import { createLocalRateLimiter } from "../../limits/local-limiter.ts";
import { createHttpTransport } from "../../http/request.ts";
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryDecision, withRetry } from "../../http/retry.ts";
import {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  IM_ADD_MEMBER_RESULTS,
  IM_ADD_MEMBERS_PER_CALL,
  IM_COMMANDS,
  IM_IMPORT_ACCOUNTS_PER_CALL,
  IM_DOMAINS,
  IM_GROUP_NOT_FOUND_CODES,
  IM_RATE_LIMITS,
  IM_RANDOM_MAX,
  type ImCommand,
} from "./constants.ts";
import {
  accountsNotImportedError,
  groupConflictError,
  imErrorFromCode,
  imErrorFromHttpStatus,
  imErrorFromTransport,
  invalidAnswerError,
  membersNotAddedError,
  TencentImError,
  IM_ROTATION_CODES,
} from "./errors.ts";
import { hasMarker, markedIntroduction } from "./marker.ts";
import type {
  AddGroupMembersResult,
  EnsureGroupResult,
  EnsureGroupSpec,
  ImAccount,
  ImAddMemberOutcome,
  ImAddMembersOptions,
  ImCallOptions,
  ImGroupBaseInfoChanges,
  ImGroupInfo,
  ImGroupSpec,
  ImportAccountsResult,
  RemoveGroupResult,
  RemoveGroupSpec,
  TencentImClient,
  TencentImClientOptions,
  UpdateGroupResult,
  UpdateGroupSpec,
} from "./types.ts";
import { imRequestUrlBuilder } from "./request-url.ts";
import { UserSigCache } from "./usersig-cache.ts";
import {
  addGroupMembersSchema,
  ensureGroupSpecSchema,
  groupBaseInfoChangesSchema,
  groupIdSchema,
  imAccountSchema,
  imGroupSpecSchema,
  importAccountsSchema,
  removeGroupSpecSchema,
} from "./validation.ts";
import { parseOrThrow } from "../../validation/issues.ts";
import {
  accountImportBody,
  addGroupMemberAnswerSchema,
  addGroupMemberBody,
  createGroupAnswerSchema,
  createGroupBody,
  getGroupInfoAnswerSchema,
  imEnvelopeSchema,
  modifyGroupBaseInfoBody,
  multiAccountImportAnswerSchema,
  multiAccountImportBody,
  toGroupInfo,
} from "./wire.ts";

/** Newer and older names of the same group type; a read-back may use either. */
const TYPE_ALIASES: Readonly<Record<string, string>> = { Work: "Private", Meeting: "ChatRoom" };

function canonicalType(type: string): string {
  return TYPE_ALIASES[type] ?? type;
}

/** `items` in consecutive slices of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `hostname` as URL gives it: an IPv6 address keeps its brackets. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Where requests go: `https://{domain}` or the validated `connectTo` override. */
function resolveBaseUrl(domain: string, connectTo: URL | string | undefined): URL {
  const source = "tencent-im client options";
  if (!(IM_DOMAINS as readonly string[]).includes(domain)) {
    throw new ConfigurationError(source, [{ field: "domain", rule: `one of ${IM_DOMAINS.join(", ")}` }]);
  }
  if (connectTo === undefined) return new URL(`https://${domain}/`);
  let url: URL;
  try {
    url = new URL(connectTo);
  } catch {
    throw new ConfigurationError(source, [{ field: "connectTo", rule: "an absolute http(s) URL" }]);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  throw new ConfigurationError(source, [{ field: "connectTo", rule: "https, or plain http only to a loopback host" }]);
}

/**
 * Makes a Tencent IM client. Every call takes a token from its command's rate limiter, carries
 * a cached admin UserSig, and retries transient failures with backoff until the deadline.
 * A non-idempotent create_group is not retried after an ambiguous failure: `ensureGroup` reads
 * the group back instead. The `random` each call sends is reported as the error's `requestId`.
 *
 * @example
 * ```ts
 * const im = createTencentImClient({ domain: "adminapisgp.im.qcloud.com", credentials });
 * const { outcome } = await im.ensureGroup(
 *   { groupId: "t-42", type: "Public", name: "Acme", ownerAccount: "acme-admin", marker: "tp:t-42" },
 *   { deadline: Date.now() + 20_000 },
 * );
 * ```
 */
export function createTencentImClient(options: TencentImClientOptions): TencentImClient {
  const baseUrl = resolveBaseUrl(options.domain, options.connectTo);
  const ownsTransport = options.transport === undefined;
  const transport = options.transport ?? createHttpTransport();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const userSigs = new UserSigCache({ expireSeconds: options.userSigExpireSeconds, clock });
  const requestUrl = imRequestUrlBuilder(baseUrl);
  // The injected limiter (e.g. the fleet's, src/limits) or a token bucket per command for this process.
  const limiter =
    options.rateLimiter ??
    createLocalRateLimiter(
      Object.fromEntries((Object.keys(IM_COMMANDS) as ImCommand[]).map((command) => [command, options.rateLimits?.[command] ?? IM_RATE_LIMITS[command]])),
      clock,
    );

  /** One attempt: token, UserSig, POST, envelope. Resolves with the answer when ErrorCode is 0. */
  async function sendOnce(command: ImCommand, body: Record<string, unknown>, deadline: number): Promise<Record<string, unknown>> {
    // Stryker disable next-line ArithmeticOperator: whether the largest value can be drawn is not observable
    const requestId = String(randomInt(0, IM_RANDOM_MAX + 1));
    try {
      await limiter.acquire(command, deadline);
    } catch (error) {
      if (error instanceof RateLimitDeadlineError) throw imErrorFromTransport(command, error, requestId);
      throw error;
    }
    const credentials = await options.credentials.get();
    const url = requestUrl(command, { sdkAppId: credentials.sdkAppId, adminIdentifier: credentials.adminIdentifier, usersig: userSigs.get(credentials) }, requestId);
    // Sent as a string: the transport writes it with the head in one write, no Buffer copy.
    const payload = JSON.stringify(body);
    let response;
    try {
      response = await transport.send(
        {
          method: "POST",
          url,
          headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload, "utf8")) },
          body: payload,
        },
        { timeoutMs: attemptTimeoutMs, deadline },
      );
    } catch (error) {
      if (error instanceof TransportError) throw imErrorFromTransport(command, error, requestId);
      throw error;
    }
    if (response.status !== 200) throw imErrorFromHttpStatus(command, response.status, requestId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString("utf8"));
    } catch {
      parsed = undefined;
    }
    const envelope = imEnvelopeSchema.safeParse(parsed);
    if (!envelope.success) {
      throw new TencentImError(`${command} failed: the answer is not an IM JSON envelope`, {
        code: "InvalidResponse",
        httpStatus: response.status,
        errorClass: "transient",
        ambiguous: command === "create_group",
        operation: command,
        requestId,
      });
    }
    if (envelope.data.ErrorCode !== 0) {
      throw imErrorFromCode(command, envelope.data.ErrorCode, envelope.data.ErrorInfo ?? "", requestId);
    }
    return envelope.data;
  }

  function retryDecision(retryAmbiguous: boolean): (error: unknown) => RetryDecision {
    return (error) => {
      if (!(error instanceof TencentImError)) return "stop";
      if (error.ambiguous && !retryAmbiguous) return "stop";
      if (error.errorClass === "throttled") return "throttled";
      return error.errorClass === "transient" ? "retry" : "stop";
    };
  }

  /**
   * A command with retries. On 70001/70052: first renew the UserSig, then also re-read the
   * credentials (rotation); a third rejection is permanent. On 70009/70013/70014 (the key itself
   * is wrong or mid-rotation): re-read the secret at once, bypassing the cache's reuse window;
   * rejected again, the error stays `credentials` (retry later, with a long backoff).
   */
  async function call(
    command: ImCommand,
    body: Record<string, unknown>,
    deadline: number,
    retryAmbiguous: boolean,
  ): Promise<Record<string, unknown>> {
    let rotationRereads = 0;
    for (let rejections = 0; ; ) {
      try {
        return await withRetry(() => sendOnce(command, body, deadline), {
          policy,
          classify: retryDecision(retryAmbiguous),
          deadline,
          clock,
          random,
          onRetry: providerRetryHook("tencent-im", command, options.onRetry),
        });
      } catch (error) {
        if (!(error instanceof TencentImError) || error.errorClass !== "credentials") throw error;
        rejections += 1;
        if (IM_ROTATION_CODES.has(Number(error.code))) {
          if (rotationRereads > 0) {
            throw new TencentImError(`${command} failed: ErrorCode ${error.code} after re-reading the credentials; a key rotation may be in progress`, {
              code: error.code,
              httpStatus: error.httpStatus,
              errorClass: "credentials",
              ambiguous: false,
              operation: command,
              requestId: error.requestId,
              cause: error,
            });
          }
          rotationRereads += 1;
          userSigs.invalidate();
          const source = options.credentials;
          await (source.reload ? source.reload() : source.refresh());
          continue;
        }
        if (rejections > 2) {
          throw new TencentImError(`${command} failed: UserSig rejected (ErrorCode ${error.code}) after renewing it and re-reading credentials`, {
            code: error.code,
            httpStatus: error.httpStatus,
            errorClass: "permanent",
            ambiguous: false,
            operation: command,
            requestId: error.requestId,
            cause: error,
          });
        }
        userSigs.invalidate();
        if (rejections === 2) await options.credentials.refresh();
      }
    }
  }

  async function accountImport(account: ImAccount, callOptions: ImCallOptions): Promise<void> {
    parseOrThrow(imAccountSchema, account, "account_import");
    await call("account_import", accountImportBody(account), callOptions.deadline, true);
  }

  /** create_group without validation (callers validate what they send). */
  async function createGroupChecked(spec: ImGroupSpec, deadline: number): Promise<{ groupId: string }> {
    const answer = await call("create_group", createGroupBody(spec), deadline, false);
    const parsed = createGroupAnswerSchema.safeParse(answer);
    // A success without a GroupId can only echo our custom id; trust what we sent then.
    const groupId = parsed.success ? parsed.data.GroupId : spec.groupId;
    if (groupId === undefined) {
      throw new TencentImError("create_group answered OK without a GroupId", {
        code: "InvalidResponse",
        httpStatus: 200,
        errorClass: "permanent",
        ambiguous: true,
        operation: "create_group",
      });
    }
    return { groupId };
  }

  async function createGroup(spec: ImGroupSpec, callOptions: ImCallOptions): Promise<{ groupId: string }> {
    parseOrThrow(imGroupSpecSchema, spec, "create_group");
    return createGroupChecked(spec, callOptions.deadline);
  }

  async function getGroupInfo(groupId: string, callOptions: ImCallOptions): Promise<ImGroupInfo | undefined> {
    parseOrThrow(groupIdSchema, groupId, "get_group_info", "groupId");
    const answer = await call("get_group_info", { GroupIdList: [groupId] }, callOptions.deadline, true);
    const parsed = getGroupInfoAnswerSchema.safeParse(answer);
    const entry = parsed.success ? (parsed.data.GroupInfo.find((g) => g.GroupId === groupId) ?? parsed.data.GroupInfo[0]) : undefined;
    if (entry === undefined) {
      throw new TencentImError("get_group_info answered OK without a GroupInfo entry", {
        code: "InvalidResponse",
        httpStatus: 200,
        errorClass: "transient",
        ambiguous: false,
        operation: "get_group_info",
      });
    }
    // The top-level ErrorCode says nothing about the group; each entry carries its own.
    if (IM_GROUP_NOT_FOUND_CODES.has(entry.ErrorCode)) return undefined;
    if (entry.ErrorCode !== 0) throw imErrorFromCode("get_group_info", entry.ErrorCode, entry.ErrorInfo ?? "");
    return toGroupInfo(entry);
  }

  async function destroyGroup(groupId: string, callOptions: ImCallOptions): Promise<{ outcome: "destroyed" | "already-gone" }> {
    parseOrThrow(groupIdSchema, groupId, "destroy_group", "groupId");
    try {
      await call("destroy_group", { GroupId: groupId }, callOptions.deadline, true);
      return { outcome: "destroyed" };
    } catch (error) {
      if (error instanceof TencentImError && IM_GROUP_NOT_FOUND_CODES.has(Number(error.code))) return { outcome: "already-gone" };
      throw error;
    }
  }

  /** Fields in which a read-back group differs from what ensureGroup means to own. */
  function mismatches(info: ImGroupInfo, spec: Pick<EnsureGroupSpec, "type" | "ownerAccount" | "marker">): string[] {
    const differ: string[] = [];
    if (canonicalType(info.type) !== canonicalType(spec.type)) differ.push("Type");
    if (info.ownerAccount !== spec.ownerAccount) differ.push("Owner_Account");
    if (!hasMarker(info.introduction, spec.marker)) differ.push("marker");
    return differ;
  }

  async function ensureGroup(spec: EnsureGroupSpec, callOptions: ImCallOptions): Promise<EnsureGroupResult> {
    parseOrThrow(ensureGroupSpecSchema, spec, "ensureGroup");
    const { deadline } = callOptions;
    await accountImport({ userId: spec.ownerAccount, nick: spec.ownerProfile?.nick, faceUrl: spec.ownerProfile?.faceUrl }, callOptions);
    // Initial members must be imported too, or create_group answers 10019.
    const memberIds = (spec.members ?? []).map((m) => m.userId).filter((id) => id !== spec.ownerAccount);
    if (memberIds.length > 0) await importAllOrThrow(memberIds, "ensure_group", callOptions);
    const request: ImGroupSpec = { ...spec, introduction: markedIntroduction(spec.introduction, spec.marker) };
    for (let createAttempt = 1; ; createAttempt++) {
      try {
        await createGroupChecked(request, deadline);
        return { outcome: "created", groupId: spec.groupId };
      } catch (error) {
        if (!(error instanceof TencentImError)) throw error;
        // 10021/10025 or a failure that may have created it: find out what is there.
        if (error.errorClass !== "exists" && !error.ambiguous) throw error;
        const info = await getGroupInfo(spec.groupId, callOptions);
        if (info !== undefined) {
          const differ = mismatches(info, spec);
          if (differ.length > 0) throw groupConflictError(spec.groupId, differ);
          return { outcome: "already-existed", groupId: spec.groupId };
        }
        // Not there (the failed create had no effect, or the group was destroyed since): create again.
        if (createAttempt >= policy.maxAttempts) throw error;
        const delayMs = backoffDelay(policy, createAttempt, false, random);
        if (clock.now() + delayMs >= deadline) throw error;
        await clock.sleep(delayMs);
      }
    }
  }

  async function importAccounts(accounts: readonly ImAccount[], callOptions: ImCallOptions): Promise<ImportAccountsResult> {
    parseOrThrow(importAccountsSchema, accounts, "multiaccount_import", "accounts");
    // One entry per account (the last profile given wins), in ≤100-account calls.
    const unique = [...new Map(accounts.map((a) => [a.userId, a])).values()];
    const failed = new Set<string>();
    for (const chunk of chunks(unique, IM_IMPORT_ACCOUNTS_PER_CALL)) {
      const answer = await call("multiaccount_import", multiAccountImportBody(chunk), callOptions.deadline, true);
      const parsed = multiAccountImportAnswerSchema.safeParse(answer);
      if (!parsed.success) throw invalidAnswerError("multiaccount_import");
      for (const id of parsed.data.FailAccounts ?? []) failed.add(id);
    }
    return { imported: unique.map((a) => a.userId).filter((id) => !failed.has(id)), failed: [...failed] };
  }

  /** Imports `userIds`, or throws AccountsNotImported when IM lists any in FailAccounts. */
  async function importAllOrThrow(userIds: readonly string[], operation: string, callOptions: ImCallOptions): Promise<void> {
    const { failed } = await importAccounts(userIds.map((userId) => ({ userId })), callOptions);
    if (failed.length > 0) throw accountsNotImportedError(operation, failed);
  }

  async function modifyGroupBaseInfo(groupId: string, changes: ImGroupBaseInfoChanges, callOptions: ImCallOptions): Promise<void> {
    parseOrThrow(groupBaseInfoChangesSchema, { ...changes, groupId }, "modify_group_base_info");
    // Setting the same values twice is harmless: an ambiguous attempt may be repeated.
    await call("modify_group_base_info", modifyGroupBaseInfoBody(groupId, changes), callOptions.deadline, true);
  }

  async function addGroupMembers(groupId: string, userIds: readonly string[], callOptions: ImAddMembersOptions): Promise<AddGroupMembersResult> {
    parseOrThrow(addGroupMembersSchema, { groupId, userIds }, "add_group_member");
    const outcomes = new Map<string, ImAddMemberOutcome>();
    for (const chunk of chunks(userIds, IM_ADD_MEMBERS_PER_CALL)) {
      // A repeat after an ambiguous attempt answers Result 2 (already a member): safe to retry.
      const answer = await call("add_group_member", addGroupMemberBody(groupId, chunk, callOptions.silence ?? false), callOptions.deadline, true);
      const parsed = addGroupMemberAnswerSchema.safeParse(answer);
      if (!parsed.success) throw invalidAnswerError("add_group_member");
      for (const entry of parsed.data.MemberList) {
        const outcome = IM_ADD_MEMBER_RESULTS[entry.Result as keyof typeof IM_ADD_MEMBER_RESULTS] ?? "failed";
        outcomes.set(entry.Member_Account, outcome);
      }
    }
    // A member IM left out of its answer was not added.
    return { members: userIds.map((userId) => ({ userId, outcome: outcomes.get(userId) ?? "failed" })) };
  }

  /** The base-info fields in which the group differs from the spec (only fields the spec sets). */
  function baseInfoChanges(info: ImGroupInfo, spec: UpdateGroupSpec): { changes: ImGroupBaseInfoChanges; fields: string[] } {
    const changes: ImGroupBaseInfoChanges = {};
    const fields: string[] = [];
    if (info.name !== spec.name) {
      changes.name = spec.name;
      fields.push("Name");
    }
    // The Introduction is always managed: it carries the marker.
    const introduction = markedIntroduction(spec.introduction, spec.marker);
    if ((info.introduction ?? "") !== introduction) {
      changes.introduction = introduction;
      fields.push("Introduction");
    }
    if (spec.notification !== undefined && (info.notification ?? "") !== spec.notification) {
      changes.notification = spec.notification;
      fields.push("Notification");
    }
    if (spec.faceUrl !== undefined && (info.faceUrl ?? "") !== spec.faceUrl) {
      changes.faceUrl = spec.faceUrl;
      fields.push("FaceUrl");
    }
    if (spec.applyJoinOption !== undefined && info.applyJoinOption !== spec.applyJoinOption) {
      changes.applyJoinOption = spec.applyJoinOption;
      fields.push("ApplyJoinOption");
    }
    return { changes, fields };
  }

  async function updateGroup(spec: UpdateGroupSpec, callOptions: ImCallOptions): Promise<UpdateGroupResult> {
    parseOrThrow(ensureGroupSpecSchema, spec, "updateGroup");
    const info = await getGroupInfo(spec.groupId, callOptions);
    if (info === undefined) {
      // Gone (destroyed out of band): converge by creating it, with every rule of ensureGroup.
      const created = await ensureGroup(spec, callOptions);
      return { outcome: created.outcome === "created" ? "created" : "unchanged", groupId: spec.groupId, changedFields: [], addedMembers: [] };
    }
    const differ = mismatches(info, spec);
    if (differ.length > 0) throw groupConflictError(spec.groupId, differ, "update_group");

    const { changes, fields } = baseInfoChanges(info, spec);
    if (fields.length > 0) await modifyGroupBaseInfo(spec.groupId, changes, callOptions);

    const present = new Set(info.members ?? []);
    const missing = (spec.members ?? []).map((m) => m.userId).filter((id) => id !== spec.ownerAccount && !present.has(id));
    const addedMembers: string[] = [];
    if (missing.length > 0) {
      await importAllOrThrow(missing, "update_group", callOptions);
      const { members } = await addGroupMembers(spec.groupId, missing, { ...callOptions, silence: true });
      const failed = members.filter((m) => m.outcome === "failed").map((m) => m.userId);
      if (failed.length > 0) throw membersNotAddedError(spec.groupId, failed);
      for (const m of members) if (m.outcome !== "already-member") addedMembers.push(m.userId);
    }
    const changed = fields.length > 0 || addedMembers.length > 0;
    return { outcome: changed ? "updated" : "unchanged", groupId: spec.groupId, changedFields: fields, addedMembers };
  }

  async function removeGroup(spec: RemoveGroupSpec, callOptions: ImCallOptions): Promise<RemoveGroupResult> {
    parseOrThrow(removeGroupSpecSchema, spec, "removeGroup");
    const info = await getGroupInfo(spec.groupId, callOptions);
    if (info === undefined) return { outcome: "already-absent", groupId: spec.groupId };
    const differ = mismatches(info, spec);
    if (differ.length > 0) throw groupConflictError(spec.groupId, differ, "remove_group");
    const { outcome } = await destroyGroup(spec.groupId, callOptions);
    return { outcome: outcome === "destroyed" ? "removed" : "already-absent", groupId: spec.groupId };
  }

  return {
    accountImport,
    createGroup,
    getGroupInfo,
    destroyGroup,
    ensureGroup,
    importAccounts,
    modifyGroupBaseInfo,
    addGroupMembers,
    updateGroup,
    removeGroup,
    close() {
      if (ownsTransport) transport.close();
    },
  };
}

/**
 * A strict local stand-in for the Tencent IM REST API: a real node:http server on 127.0.0.1
 * that checks every request's envelope and UserSig as IM does, keeps accounts and groups in
 * memory, and injects faults (latency, error codes, HTTP 502/503/504, hangs, resets, garbled answers,
 * ambiguous effects, rate limits answered 10006).
 */
import http from "node:http";
import { systemClock } from "../../http/clock.ts";
import { IM_COMMANDS, IM_RATE_LIMITS, type ImCommand } from "../../providers/tencent-im/constants.ts";
import { type FaultConfig, FaultInjector } from "../faults.ts";
import { type AuthApp, authenticate } from "./auth.ts";
import { CONTROL_PATH_PREFIX, parseFaultConfig, parseForeignGroup, parseInvalidate } from "./control.ts";
import { IM_SANDBOX_CODES as CODES, ImRejection } from "./rejection.ts";
import { type ImAnswerFields, ImAppStore } from "./store.ts";
import type { ImSandbox, ImSandboxOptions, ImSandboxState } from "./types.ts";
import { closeServer, listenOnLoopback } from "../loopback.ts";

/**
 * Per-item fault operations: a rule `{ operation: "multiaccount_import.account", kind: "error",
 * resource: "bob" }` puts bob into that call's `FailAccounts`; one for
 * `"add_group_member.member"` answers his `Result: 0`. The call itself succeeds.
 */
export const IMPORT_ACCOUNT_FAULT = "multiaccount_import.account";
export const ADD_MEMBER_FAULT = "add_group_member.member";

/** IM request bodies are small; a larger one is refused unread. */
const MAX_BODY_BYTES = 256 * 1024;

const API_PATH = /^\/v4\/([a-z_]+)\/([a-z_]+)$/;

/** Per-app counters. */
interface AppCounters {
  calls: Record<string, number>;
  createGroupApplied: number;
  rejections: Record<string, number>;
  userSigs: Set<string>;
}

function emptyCounters(): AppCounters {
  return { calls: {}, createGroupApplied: 0, rejections: {}, userSigs: new Set() };
}

function documentedRateLimits(): FaultConfig["rateLimits"] {
  return (Object.keys(IM_RATE_LIMITS) as ImCommand[]).map((operation) => ({ operation, perSecond: IM_RATE_LIMITS[operation] }));
}

/**
 * Starts the sandbox. Point a client at it with `connectTo: sandbox.url`.
 *
 * @example
 * ```ts
 * const sandbox = await startTencentImSandbox({ apps: [{ sdkAppId: 1400000001, secretKey: "key", adminIdentifier: "administrator" }] });
 * sandbox.faults.configure({ rules: [{ operation: "create_group", kind: "error-after-effect", times: 1, error: { code: 10002 } }] });
 * await sandbox.close();
 * ```
 */
export async function startTencentImSandbox(options: ImSandboxOptions): Promise<ImSandbox> {
  const firstApp = options.apps[0];
  if (firstApp === undefined) throw new RangeError("apps: at least one app is required");
  const defaultAppId = firstApp.sdkAppId;
  const clock = options.clock ?? systemClock;
  const apps = new Map<number, AuthApp>();
  const stores = new Map<number, ImAppStore>();
  const counters = new Map<number, AppCounters>();
  for (const app of options.apps) {
    apps.set(app.sdkAppId, { ...app, invalidatedThrough: -Infinity });
    stores.set(
      app.sdkAppId,
      new ImAppStore({
        appDefinedDataKeys: app.appDefinedDataKeys,
        maxGroupsPerOwner: options.maxGroupsPerOwner,
        maxAccounts: options.maxAccounts,
        now: () => clock.now(),
      }),
    );
    counters.set(app.sdkAppId, emptyCounters());
  }
  const faults = new FaultInjector({ rateLimits: documentedRateLimits(), ...options.faults });
  /** Rejections of requests whose app is unknown. */
  let unknownAppRejections: Record<string, number> = {};

  function appOf(sdkAppId: number | undefined): { store: ImAppStore; counter: AppCounters; app: AuthApp } {
    const id = sdkAppId ?? defaultAppId;
    const store = stores.get(id);
    const counter = counters.get(id);
    const app = apps.get(id);
    if (store === undefined || counter === undefined || app === undefined) throw new RangeError(`no app ${id} in this sandbox`);
    return { store, counter, app };
  }

  function state(sdkAppId?: number): ImSandboxState {
    const { store, counter } = appOf(sdkAppId);
    let throttled = 0;
    for (const n of faults.throttled.values()) throttled += n;
    return {
      ...store.snapshot(),
      counters: {
        calls: { ...counter.calls },
        createGroupApplied: counter.createGroupApplied,
        throttled,
        rejections: { ...counter.rejections },
        distinctUserSigs: counter.userSigs.size,
      },
    };
  }

  function reset(): void {
    for (const store of stores.values()) store.clear();
    for (const id of counters.keys()) counters.set(id, emptyCounters());
    for (const app of apps.values()) app.invalidatedThrough = -Infinity;
    unknownAppRejections = {};
    faults.throttled.clear();
  }

  function invalidateUserSigs(sdkAppId?: number): void {
    appOf(sdkAppId).app.invalidatedThrough = Math.floor(clock.now() / 1000);
  }

  function apply(store: ImAppStore, command: ImCommand, body: Record<string, unknown>): ImAnswerFields {
    switch (command) {
      case "account_import":
        return store.accountImport(body);
      case "create_group":
        return store.createGroup(body);
      case "get_group_info":
        return store.getGroupInfo(body);
      case "destroy_group":
        return store.destroyGroup(body);
      case "multiaccount_import":
        return store.multiAccountImport(body, (userId) => itemFault(IMPORT_ACCOUNT_FAULT, userId));
      case "modify_group_base_info":
        return store.modifyGroupBaseInfo(body);
      case "add_group_member":
        return store.addGroupMember(body, (userId) => itemFault(ADD_MEMBER_FAULT, userId));
    }
  }

  /** Only rules naming the per-item operation apply (a rule for every operation must not fail items). */
  function itemFault(operation: string, userId: string): boolean {
    if (!faults.config.rules.some((r) => r.operation === operation)) return false;
    return faults.decide(operation, userId) !== undefined;
  }

  /** The resource a fault rule can target: the GroupId or UserID the call names. */
  function resourceOf(body: Record<string, unknown>): string | undefined {
    const list = body["GroupIdList"];
    const accounts = body["AccountList"];
    const firstAccount = Array.isArray(accounts) ? (accounts[0] as Record<string, unknown> | undefined)?.["UserID"] : undefined;
    const candidate = body["GroupId"] ?? body["UserID"] ?? (Array.isArray(list) ? list[0] : undefined) ?? firstAccount;
    return typeof candidate === "string" ? candidate : undefined;
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawBody: Buffer): Promise<void> {
    const match = API_PATH.exec(url.pathname);
    if (!match) throw new ImRejection(CODES.httpParse, "no such API path");
    const [, service = "", commandName = ""] = match;
    let auth;
    try {
      auth = authenticate(req.method ?? "GET", url.searchParams, apps, Math.floor(clock.now() / 1000), service);
    } catch (error) {
      if (error instanceof ImRejection) {
        const known = counters.get(Number(url.searchParams.get("sdkappid")));
        const bucket = known?.rejections ?? unknownAppRejections;
        bucket[String(error.code)] = (bucket[String(error.code)] ?? 0) + 1;
      }
      throw error;
    }
    const { store, counter } = appOf(auth.app.sdkAppId);
    if (!(commandName in IM_COMMANDS) || IM_COMMANDS[commandName as ImCommand] !== service) {
      throw new ImRejection(CODES.unknownCommand, "invalid request command word");
    }
    const command = commandName as ImCommand;
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      throw new ImRejection(CODES.jsonParse, "the body is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ImRejection(CODES.jsonParse, "the body must be a JSON object");
    const request = body as Record<string, unknown>;
    counter.calls[command] = (counter.calls[command] ?? 0) + 1;
    counter.userSigs.add(auth.usersig);

    if (faults.overRateLimit(command, clock.now())) throw new ImRejection(CODES.rateLimited, "the operation exceeds the frequency limit");
    const decision = faults.decide(command, resourceOf(request));
    await faults.delay();

    const run = (): ImAnswerFields => {
      const answer = apply(store, command, request);
      if (command === "create_group") counter.createGroupApplied++;
      return answer;
    };
    if (decision === undefined) {
      sendAnswer(res, run());
      return;
    }
    if (decision.kind.endsWith("-after-effect")) {
      try {
        run();
      } catch (error) {
        // The effect failed on its own (e.g. the id is taken); the injected answer still follows.
        if (!(error instanceof ImRejection)) throw error;
      }
    }
    switch (decision.kind) {
      case "error":
      case "error-after-effect": {
        const status = decision.error?.status ?? 200;
        if (status !== 200) {
          res.writeHead(status, { "content-type": "text/html" }).end(`<html><body>${status}</body></html>`);
          return;
        }
        const code = Number(decision.error?.code ?? CODES.groupInternalError);
        throw new ImRejection(Number.isInteger(code) ? code : CODES.groupInternalError, decision.error?.message ?? "injected fault");
      }
      case "hang":
      case "hang-after-effect":
        // Never answer: the client's timeout fires; close() destroys the connection.
        return;
      case "reset":
      case "reset-after-effect":
        req.socket.destroy();
        return;
      case "garbled":
      case "garbled-after-effect": {
        const raw = decision.body ?? "";
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(raw) }).end(raw);
        return;
      }
    }
  }

  function handleControl(res: http.ServerResponse, method: string, url: URL, body: string): void {
    const route = `${method} ${url.pathname.slice(CONTROL_PATH_PREFIX.length)}`;
    const bad = (problems: string[]): void => sendJson(res, 400, { problems });
    switch (route) {
      case "GET state": {
        const id = url.searchParams.get("sdkappid");
        return sendJson(res, 200, state(id === null ? undefined : Number(id)));
      }
      case "GET faults":
        return sendJson(res, 200, faults.config);
      case "POST faults": {
        const parsed = parseFaultConfig(body);
        if (!parsed.ok) return bad(parsed.problems);
        faults.configure(parsed.value);
        return sendJson(res, 200, faults.config);
      }
      case "POST foreign-group": {
        const parsed = parseForeignGroup(body);
        if (!parsed.ok) return bad(parsed.problems);
        const { sdkAppId, ...group } = parsed.value;
        appOf(sdkAppId).store.addForeignGroup(group);
        return sendJson(res, 200, {});
      }
      case "POST invalidate-usersigs": {
        const parsed = parseInvalidate(body);
        if (!parsed.ok) return bad(parsed.problems);
        invalidateUserSigs(parsed.value.sdkAppId);
        return sendJson(res, 200, {});
      }
      case "POST reset":
        reset();
        return sendJson(res, 200, {});
      default:
        return sendJson(res, 404, { problems: ["unknown sandbox control path"] });
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? "/", "http://sandbox.invalid");
      if (url.pathname.startsWith(CONTROL_PATH_PREFIX)) {
        try {
          handleControl(res, req.method ?? "GET", url, body.toString("utf8"));
        } catch (error) {
          sendJson(res, 400, { problems: [error instanceof Error ? error.message : "bad control request"] });
        }
        return;
      }
      await handleApi(req, res, url, body);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof ImRejection) sendAnswer(res, {}, error);
      else sendAnswer(res, {}, new ImRejection(CODES.groupInternalError, "sandbox failure"));
    }
  }

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    void handle(req, res);
  });
  const port = await listenOnLoopback(server, options.port ?? 0);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    state,
    addForeignGroup: (group, sdkAppId) => appOf(sdkAppId).store.addForeignGroup(group),
    invalidateUserSigs,
    reset,
    // Hung requests never end on their own: cut every connection.
    close: () => closeServer(server, "all"),
  };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}

/** Every API answer is HTTP 200 with the IM envelope. */
function sendAnswer(res: http.ServerResponse, fields: ImAnswerFields, rejection?: ImRejection): void {
  const envelope =
    rejection === undefined
      ? { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ...fields }
      : { ActionStatus: "FAIL", ErrorCode: rejection.code, ErrorInfo: rejection.message };
  sendJson(res, 200, envelope);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ImRejection(CODES.httpParse, "request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A strict local stand-in for the SLS consumer-group API and CreateLogStore: a real node:http
 * server on 127.0.0.1 that authenticates every request as SLS does, keeps logstores and consumer
 * groups in memory,
 * and injects faults (latency, errors, hangs, resets, garbled answers, ambiguous effects, rate limits).
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { systemClock } from "../../http/clock.ts";
import { SLS_MAX_CLOCK_SKEW_MS, SLS_OPERATIONS, type SlsOperation } from "../../providers/sls/constants.ts";
import { FaultInjector, type FaultDecision } from "../faults.ts";
import { CONTROL_PATH_PREFIX, parseFaultConfig } from "./control.ts";
import { SlsRejection } from "./rejection.ts";
import { ConsumerGroupStore } from "./store.ts";
import type { SlsSandbox, SlsSandboxAccount, SlsSandboxOptions, SlsSandboxState } from "./types.ts";
import { verifySlsRequest, type ReceivedRequest } from "./verify.ts";
import { closeServer, listenOnLoopback } from "../loopback.ts";

/** Largest request body read; SLS consumer-group bodies are tens of bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** One routed call: a consumer-group call, or CreateLogStore (whose logstore is in the body). */
interface RoutedCall {
  operation: SlsOperation;
  /** The logstore in the path ("" for CreateLogStore). */
  logstore: string;
  /** The consumer group named in the path (update, delete). */
  groupName?: string;
}

/** What one call produced when it ran normally. */
interface CallResult {
  status: number;
  body?: string;
}

const CONSUMER_GROUP_PATH = /^\/logstores\/([^/]+)\/consumergroups(?:\/([^/]+))?$/;

/**
 * Starts the sandbox. Point a client at it with `connectTo: sandbox.url`; the Host header
 * (`{project}.{endpoint}`) selects the project, as at SLS.
 *
 * @example
 * ```ts
 * const sandbox = await startSlsSandbox({
 *   endpoint: "cn-shanghai.log.aliyuncs.com",
 *   accounts: [{ accessKeyId: "id", accessKeySecret: "secret" }],
 *   projects: { "my-project": ["my-logstore"] },
 * });
 * sandbox.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error-after-effect", times: 1, error: { status: 500, code: "InternalServerError" } }] });
 * await sandbox.close();
 * ```
 */
export async function startSlsSandbox(options: SlsSandboxOptions): Promise<SlsSandbox> {
  const endpointSuffix = `.${options.endpoint.toLowerCase()}`;
  const region = options.region ?? options.endpoint.split(".")[0] ?? "";
  const maxSkewMs = options.maxSkewMs ?? SLS_MAX_CLOCK_SKEW_MS;
  const clock = options.clock ?? systemClock;
  const accounts = new Map<string, SlsSandboxAccount>(options.accounts.map((a) => [a.accessKeyId, a]));
  const store = new ConsumerGroupStore(options.projects, { logstoreQuota: options.logstoreQuota });
  const faults = new FaultInjector(options.faults);
  let calls: Record<string, number> = {};
  let rejections: Record<string, number> = {};
  let createsApplied = 0;
  let deletedGroups: string[] = [];

  function state(): SlsSandboxState {
    let throttled = 0;
    for (const n of faults.throttled.values()) throttled += n;
    return { groups: store.snapshot(), createdLogstores: store.createdLogstores(), calls: { ...calls }, createsApplied, deletedGroups: [...deletedGroups], throttled, rejections: { ...rejections } };
  }

  function reset(): void {
    store.clear();
    calls = {};
    rejections = {};
    createsApplied = 0;
    deletedGroups = [];
    faults.throttled.clear();
  }

  function route(method: string, path: string): RoutedCall {
    // CreateLogStore; the sandbox has no other logstore API (ListLogStores, GetLogStore...).
    if (path === "/logstores" && method === "POST") return { operation: SLS_OPERATIONS.createLogStore, logstore: "" };
    const match = CONSUMER_GROUP_PATH.exec(path);
    if (!match) throw new SlsRejection(404, "InvalidRequestPath", "no such API path");
    const [, logstore = "", groupName] = match;
    if (groupName === undefined) {
      if (method === "POST") return { operation: SLS_OPERATIONS.create, logstore };
      if (method === "GET") return { operation: SLS_OPERATIONS.list, logstore };
    } else {
      if (method === "PUT") return { operation: SLS_OPERATIONS.update, logstore, groupName };
      if (method === "DELETE") return { operation: SLS_OPERATIONS.delete, logstore, groupName };
    }
    throw new SlsRejection(405, "InvalidMethod", `${method} is not allowed on this path`);
  }

  function apply(project: string, call: RoutedCall, body: string): CallResult {
    switch (call.operation) {
      case SLS_OPERATIONS.create:
        store.create(project, call.logstore, body);
        createsApplied++;
        return { status: 200 };
      case SLS_OPERATIONS.list:
        return { status: 200, body: JSON.stringify(store.list(project, call.logstore)) };
      case SLS_OPERATIONS.update:
        store.update(project, call.logstore, call.groupName ?? "", body);
        return { status: 200 };
      case SLS_OPERATIONS.delete:
        if (store.delete(project, call.logstore, call.groupName ?? "")) deletedGroups.push(call.groupName ?? "");
        return { status: 200 };
      case SLS_OPERATIONS.createLogStore:
        store.createLogstore(project, body);
        return { status: 200 };
    }
  }

  /** The resource a fault rule can target: the consumer group (or logstore) named in the path or the create body. */
  function resourceOf(call: RoutedCall, body: string): string | undefined {
    if (call.groupName !== undefined) return call.groupName;
    const nameField = call.operation === SLS_OPERATIONS.create ? "consumerGroup" : call.operation === SLS_OPERATIONS.createLogStore ? "logstoreName" : undefined;
    if (nameField === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(body);
      const name = (parsed as Record<string, unknown> | null)?.[nameField];
      return typeof name === "string" ? name : undefined;
    } catch {
      return undefined;
    }
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, received: ReceivedRequest, requestId: string): Promise<void> {
    const host = (received.headers["host"] ?? "").toLowerCase().replace(/:\d+$/, "");
    if (!host) throw new SlsRejection(400, "MissingHost", "Host is required");
    if (!host.endsWith(endpointSuffix) || host.length === endpointSuffix.length) {
      throw new SlsRejection(400, "InvalidHost", `Host must be {project}${endpointSuffix}`);
    }
    const project = host.slice(0, -endpointSuffix.length);
    try {
      verifySlsRequest(received, { accounts, region, maxSkewMs, now: clock.now() });
    } catch (error) {
      if (error instanceof SlsRejection) rejections[error.code] = (rejections[error.code] ?? 0) + 1;
      throw error;
    }
    const call = route(received.method, received.path);
    calls[call.operation] = (calls[call.operation] ?? 0) + 1;
    // ProjectNotExist / LogStoreNotExist before faults: a missing store is not a flaky one.
    if (call.operation === SLS_OPERATIONS.createLogStore) store.checkProject(project);
    else store.groupsOf(project, call.logstore);

    if (faults.overRateLimit(call.operation, clock.now())) {
      const code = call.operation === SLS_OPERATIONS.list ? "ReadQuotaExceed" : "WriteQuotaExceed";
      throw new SlsRejection(403, code, `${call.operation} rate limit exceeded`);
    }
    const body = received.body.toString("utf8");
    const decision: FaultDecision | undefined = faults.decide(call.operation, resourceOf(call, body));
    await faults.delay();

    if (decision === undefined) {
      sendResult(res, requestId, apply(project, call, body));
      return;
    }
    if (decision.kind.endsWith("-after-effect")) {
      try {
        apply(project, call, body);
      } catch (error) {
        // The effect failed on its own (e.g. already exists); the injected answer still follows.
        if (!(error instanceof SlsRejection)) throw error;
      }
    }
    switch (decision.kind) {
      case "error":
      case "error-after-effect": {
        const status = decision.error?.status ?? 500;
        const code = String(decision.error?.code ?? "InternalServerError");
        sendError(res, requestId, new SlsRejection(status, code, decision.error?.message ?? "injected fault"));
        return;
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
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(raw), "x-log-requestid": requestId }).end(raw);
        return;
      }
    }
  }

  async function handleControl(res: http.ServerResponse, method: string, path: string, body: Buffer, requestId: string): Promise<void> {
    const route = `${method} ${path.slice(CONTROL_PATH_PREFIX.length)}`;
    if (route === "GET state") return sendJson(res, requestId, 200, state());
    if (route === "GET faults") return sendJson(res, requestId, 200, faults.config);
    if (route === "POST reset") {
      reset();
      return sendJson(res, requestId, 200, state());
    }
    if (route === "POST faults") {
      const parsed = parseFaultConfig(body.toString("utf8"));
      if (!parsed.ok) return sendError(res, requestId, new SlsRejection(400, "InvalidFaultConfig", parsed.problems.join("; ")));
      faults.configure(parsed.value);
      return sendJson(res, requestId, 200, faults.config);
    }
    sendError(res, requestId, new SlsRejection(404, "NoSuchControl", "unknown sandbox control path"));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString("hex").toUpperCase();
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? "/", "http://sandbox.invalid");
      const path = decodePath(url.pathname);
      const method = req.method ?? "GET";
      if (path.startsWith(CONTROL_PATH_PREFIX)) return await handleControl(res, method, path, body, requestId);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const received: ReceivedRequest = { method, path, query: Object.fromEntries(url.searchParams), headers, body };
      await handleApi(req, res, received, requestId);
    } catch (error) {
      if (error instanceof SlsRejection) sendError(res, requestId, error);
      else sendError(res, requestId, new SlsRejection(500, "InternalServerError", "sandbox failure"));
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
    reset,
    // Hung requests never end on their own: cut every connection.
    close: () => closeServer(server, "all"),
  };
}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    throw new SlsRejection(400, "InvalidRequestPath", "the path is not valid percent-encoding");
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SlsRejection(413, "PostBodyTooLarge", `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendResult(res: http.ServerResponse, requestId: string, result: CallResult): void {
  const body = result.body ?? "";
  const headers: Record<string, string> = { "x-log-requestid": requestId, "content-length": String(Buffer.byteLength(body)) };
  if (result.body !== undefined) headers["content-type"] = "application/json";
  res.writeHead(result.status, headers).end(body);
}

function sendJson(res: http.ServerResponse, requestId: string, status: number, value: unknown): void {
  sendResult(res, requestId, { status, body: JSON.stringify(value) });
}

function sendError(res: http.ServerResponse, requestId: string, rejection: SlsRejection): void {
  if (res.headersSent || res.destroyed) return;
  sendJson(res, requestId, rejection.status, { errorCode: rejection.code, errorMessage: rejection.message });
}

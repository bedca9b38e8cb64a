/**
 * vitest setup file (every test file): records every AWS call a Lambda handler makes, for the IAM
 * audit (test/audit/iam.test.ts), which checks each against that function's role in the packaged
 * template after all other test files have run.
 *
 * Attribution: every module in handlers/ (one per Lambda function) is replaced by the same module
 * whose `handler` export and `create…Handler` factories return handlers that run each invocation
 * inside an AsyncLocalStorage scope naming the function. Whatever the invocation awaits, however
 * deep (middlewares, the core, credential caches, timers), runs in that scope, while the test's own
 * setup and inspection calls run outside it and are not attributed. This keys by the handler under
 * test, not by a client instance, because tests share one service (and its clients) between
 * handlers, and it needs no change to the code under test.
 *
 * Recording: `Client.prototype.send` of @smithy/core (the base of every AWS SDK v3 client, so a
 * client another module adds later is recorded too) adds, once per client, a finalizeRequest
 * middleware that runs after signing on every attempt: the IAM service is the SigV4 credential
 * scope's service name, the operation the command's, and aws-calls.ts turns the input into the
 * (action, resource) pairs IAM evaluates. Calls that bypass the SDK clients go through the
 * service's own AWS JSON client (src/aws/json-rpc.ts, e.g. the webhook's SQS SendMessage): its
 * `sign` (every attempt) is wrapped the same way, and the call is recorded from the signed request. Each distinct call is appended at once (sync) as one JSON
 * line to `<run dir>/calls-<pid>.jsonl`, so the audit, in a later process, sees all of them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { appendFileSync, mkdirSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@smithy/core/client";
import { beforeAll, expect, vi } from "vitest";
import { DeadlineBoundHttpHandler } from "../../../src/aws/deadline-bound-http-handler.ts";
import { AwsJsonRpcClient } from "../../../src/aws/json-rpc.ts";
import { targetsOf, type CallTarget, type UnsupportedCall } from "./aws-calls.ts";
import { IAM_AUDIT_DIR_VARIABLE } from "./run-dir.ts";


/** One recorded call: a handler, an IAM action and the resource it targets. */
export type RecordedCall = { handler: string; client: string; deadlineBound: boolean } & (
  | (CallTarget & {
      /** Environment variables whose value is this identifier when the call was made. */
      envVars: string[];
    })
  | UnsupportedCall
);

const HANDLERS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../handlers");
const runDir = process.env[IAM_AUDIT_DIR_VARIABLE];
// One per process, not per module instance: the SDK's Client class (an external module) and its
// patched send outlive a test file's module graph if several files share a worker process.
const GLOBAL_SCOPE = Symbol.for("tenant-provisioner.iamAudit.scope");
const scope = ((globalThis as Record<symbol, unknown>)[GLOBAL_SCOPE] ??= new AsyncLocalStorage<{ handler: string }>()) as AsyncLocalStorage<{
  handler: string;
}>;

if (runDir) {
  mkdirSync(runDir, { recursive: true });
  recordTestFile(runDir);
  instrumentClients(join(runDir, `calls-${process.pid}.jsonl`));
  attributeHandlers();
}

/** Notes which test files ran, so the audit knows whether the whole suite did. */
function recordTestFile(dir: string): void {
  beforeAll(() => {
    const file = String(expect.getState().testPath);
    appendFileSync(join(dir, `files-${process.pid}.txt`), `${file}\n`);
  });
}

function instrumentClients(file: string): void {
  const seen = new Set<string>();
  const instrumented = new WeakSet<object>();
  const record = (call: RecordedCall) => {
    const line = JSON.stringify(call);
    if (seen.has(line)) return;
    seen.add(line);
    appendFileSync(file, `${line}\n`);
  };
  type SendArgs = Parameters<Client<never, never, never, never>["send"]>;
  type Stack = { add(mw: unknown, options: Record<string, unknown>): void };
  type AnyClient = { middlewareStack: Stack; config: { requestHandler?: unknown } };
  const original = Client.prototype.send as (...args: unknown[]) => unknown;
  if ((original as { iamAudit?: boolean }).iamAudit) return;
  const send = function (this: AnyClient, ...args: SendArgs) {
    const stack = this.middlewareStack;
    if (!instrumented.has(stack)) {
      instrumented.add(stack);
      stack.add(
        (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string; authSchemes?: { signingName?: string }[] }) =>
          async (mwArgs: { input?: Record<string, unknown>; request?: { headers?: Record<string, string> } }) => {
            const current = scope.getStore();
            if (current) {
              const service = signingName(mwArgs.request?.headers?.authorization) ?? context.authSchemes?.[0]?.signingName ?? String(context.clientName);
              const operation = String(context.commandName).replace(/Command$/, "");
              const common = {
                handler: current.handler,
                client: String(context.clientName),
                // By name: a test file's module graph may hold another copy of the class.
                deadlineBound: (this.config.requestHandler as object | undefined)?.constructor.name === DeadlineBoundHttpHandler.name,
              };
              for (const target of targetsOf(service, operation, mwArgs.input ?? {})) {
                record("unsupported" in target ? { ...common, ...target } : { ...common, ...target, envVars: envVarsOf(target.id) });
              }
            }
            return next(mwArgs);
          },
        { step: "finalizeRequest", priority: "low", name: "iamAuditRecorder" },
      );
    }
    return original.apply(this, args);
  };
  Object.assign(send, { iamAudit: true });
  Client.prototype.send = send as typeof Client.prototype.send;
  instrumentJsonRpcClients(record);
}

/**
 * The service's own AWS JSON client: each signed attempt recorded like an SDK call (service from
 * the signature's credential scope, the operation it was signed for, the input it carries).
 */
function instrumentJsonRpcClients(record: (call: RecordedCall) => void): void {
  const original = AwsJsonRpcClient.prototype.sign;
  if ((original as { iamAudit?: boolean }).iamAudit) return;
  const sign = async function (this: AwsJsonRpcClient, ...args: Parameters<AwsJsonRpcClient["sign"]>) {
    const signed = await original.apply(this, args);
    const current = scope.getStore();
    if (current) {
      const [, operation, input] = args;
      const service = signingName(signed.headers["authorization"]) ?? this.signingName;
      const common = { handler: current.handler, client: this.clientName, deadlineBound: this.deadlineBound };
      for (const target of targetsOf(service, operation, input)) {
        record("unsupported" in target ? { ...common, ...target } : { ...common, ...target, envVars: envVarsOf(target.id) });
      }
    }
    return signed;
  };
  Object.assign(sign, { iamAudit: true });
  AwsJsonRpcClient.prototype.sign = sign;
}

/** `Credential=AKID/20260101/us-east-1/dynamodb/aws4_request` → `dynamodb`. */
function signingName(authorization: string | undefined): string | undefined {
  return authorization ? /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1] : undefined;
}

function envVarsOf(id: string): string[] {
  return Object.entries(process.env)
    .filter(([name, value]) => value === id && name !== IAM_AUDIT_DIR_VARIABLE)
    .map(([name]) => name)
    .sort();
}

/** Wraps each handlers/<name>.ts module's handlers so their invocations run in `<name>`'s scope. */
function attributeHandlers(): void {
  for (const file of readdirSync(HANDLERS_DIR).filter((f) => f.endsWith(".ts"))) {
    const functionName = basename(file, ".ts");
    vi.doMock(join(HANDLERS_DIR, file), async (importOriginal: () => Promise<Record<string, unknown>>) => {
      const module = await importOriginal();
      const wrap = (handler: unknown) => (typeof handler === "function" ? inScope(functionName, handler as (...a: unknown[]) => unknown) : handler);
      return Object.fromEntries(
        Object.entries(module).map(([name, value]) => {
          if (name === "handler") return [name, wrap(value)];
          if (/^create\w*Handler$/.test(name) && typeof value === "function") {
            return [name, (...args: unknown[]) => wrap((value as (...a: unknown[]) => unknown)(...args))];
          }
          return [name, value];
        }),
      );
    });
  }
}

/** The same handler (middy's methods included), each call run in `functionName`'s scope. */
function inScope<T extends (...args: unknown[]) => unknown>(functionName: string, handler: T): T {
  return new Proxy(handler, {
    apply: (target, thisArg, args) => scope.run({ handler: functionName }, () => Reflect.apply(target, thisArg, args)),
  });
}

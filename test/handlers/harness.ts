/**
 * Shared pieces of the handler tests: importing the handler modules once the local stack's
 * environment is in place, a clock that can be moved forward, and capture of what the handlers
 * print (the logger writes JSON lines to stdout/stderr).
 */
import { GetCommand } from "../../src/aws/dynamodb/index.ts";
import { systemClock } from "../../src/http/clock.ts";
import type { Clock } from "../../src/http/types.ts";
import type { Service } from "../../src/service.ts";

/**
 * The handler factories. Importing a handler module builds its module-level `handler` from
 * `process.env` (cold start), so call this only after the stack's env is set (in a `beforeAll`
 * registered after `useLocalStack()`).
 */
export async function loadHandlers() {
  const [signup, webhook, status, backfill] = await Promise.all([
    import("../../handlers/signup.ts"),
    import("../../handlers/webhook.ts"),
    import("../../handlers/status.ts"),
    import("../../handlers/backfill.ts"),
  ]);
  return {
    createSignupHandler: signup.createSignupHandler,
    createWebhookHandler: webhook.createWebhookHandler,
    createStatusHandler: status.createStatusHandler,
    createBackfillHandler: backfill.createBackfillHandler,
    MAX_WEBHOOK_BODY_BYTES: webhook.MAX_WEBHOOK_BODY_BYTES,
  };
}
export type Handlers = Awaited<ReturnType<typeof loadHandlers>>;

/** The system clock plus an offset the test moves (ages caches without waiting). */
export class ShiftedClock implements Clock {
  offsetMs: number;
  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

type Write = typeof process.stdout.write;

/** Everything written to stdout and stderr while capturing (swallowed, not shown). */
export interface CapturedOutput {
  text(): string;
  restore(): void;
}

/**
 * Captures process.stdout/stderr writes. Set `SHOW_HANDLER_LOGS=1` to also pass them through.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const passThrough = process.env["SHOW_HANDLER_LOGS"] === "1";
  const originals: [NodeJS.WriteStream, Write][] = [
    [process.stdout, process.stdout.write],
    [process.stderr, process.stderr.write],
  ];
  for (const [stream, original] of originals) {
    const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      if (passThrough) return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((r): r is () => void => typeof r === "function");
      callback?.();
      return true;
    };
    stream.write = write as Write;
  }
  return {
    text: () => chunks.join(""),
    restore() {
      for (const [stream, original] of originals) stream.write = original;
    },
  };
}

/** Polls until `check()` holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The rejection the signup handler recorded for an SQS message, if any. */
export async function readRejection(service: Service, messageId: string): Promise<{ issues: { field: string; rule: string }[]; bodyHead: string } | undefined> {
  const out = await service.documentClient.send(
    new GetCommand({ TableName: service.config.outcomeTableName, Key: { pk: `REJECTED#sqs#${messageId}`, sk: "REJECTED" }, ConsistentRead: true }),
  );
  return out.Item as { issues: { field: string; rule: string }[]; bodyHead: string } | undefined;
}

/** An SLS fault that makes one tenant's consumer group creation fail transiently, every time. */
export function slsFailsFor(tenantId: string) {
  return { operation: "CreateConsumerGroup", kind: "error" as const, error: { status: 500, code: "InternalServerError" }, resource: `tenant-${tenantId}` };
}

import { writeLine } from "./write-line.ts";
import type { ProvisionLogger } from "../provisioning/types.ts";
import { deepMerge } from "./deep-merge.ts";
import { toJsonLine } from "./log-json.ts";
import { LOG_LEVELS, type LogLevelName, resolveLogLevel } from "./log-level.ts";

/** What a log call takes after its message: attribute objects, an Error (`error`), a string (`extra`). */
export type LogExtra = Record<string, unknown> | Error | string | null | undefined;

/** Keys every line owns; an attribute by one of these names is dropped with a warning. */
const RESERVED_KEYS = new Set(["level", "message", "sampling_rate", "service", "timestamp"]);

/** The fields of a Lambda invocation's context the lines show (the core knows nothing of Lambda's own types). */
export interface InvocationContext {
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  functionName: string;
  awsRequestId: string;
  /** Lambda's tenant isolation mode's tenant, when the function runs in it. */
  tenantId?: string | undefined;
}

/** The invocation's context as the lines show it (set by `addContext`). */
interface LineContext {
  coldStart: boolean;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  functionName: string;
  awsRequestId: string;
  tenantId: string | undefined;
}

type InvokeStoreHolder = { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } };

/** The `Root` of the X-Ray trace header Lambda sets per invocation (its invoke store first, as Powertools reads it). */
function xrayTraceId(): string | undefined {
  const header = (globalThis as InvokeStoreHolder).awslambda?.InvokeStore?.getXRayTraceId() ?? process.env["_X_AMZN_TRACE_ID"]?.trim() ?? "";
  if (header === "") return undefined;
  if (!header.includes("=")) return header;
  let root: string | undefined;
  for (const field of header.split(";")) {
    const [key, value] = field.split("=");
    if (key === "Root") root = value;
  }
  return root;
}

/**
 * The service's structured JSON logger: one JSON line per call, written straight to the process's
 * stdout (TRACE, DEBUG, INFO) or stderr (WARN, ERROR), in the shape Powertools for AWS Lambda
 * 2.35.0 wrote (the service used it until 2026-12-01; queries, metric filters and alarms read that
 * shape; test/unit/observability/powertools-compat.test.ts holds it to Powertools' own output):
 * `level, message, timestamp, service, cold_start, function_arn, function_memory_size,
 * function_name, function_request_id, sampling_rate, xray_trace_id, tenant_id`, then the appended
 * keys, then the call's attributes; keys with an `undefined`, `null` or `""` value are left out.
 * Nothing here ever receives a secret: provider clients hand only codes and request ids to the log.
 *
 * @example
 * ```ts
 * const logger = new Logger({ serviceName: "tenant-provisioner", logLevel: "INFO" });
 * logger.appendKeys({ tenantId: "acme-42" });
 * logger.info("step finished", { step: "im-group", status: "SUCCEEDED" });
 * ```
 */
export class Logger implements ProvisionLogger {
  readonly #service: string;
  readonly #threshold: number;
  /** Whether the next `addContext` is the process's first invocation (on-demand environments only). */
  #coldStart: boolean;
  #context: LineContext | undefined;
  #keys: Record<string, unknown> = {};

  constructor(options: { serviceName: string; logLevel?: string | undefined; env?: NodeJS.ProcessEnv }) {
    const env = options.env ?? process.env;
    this.#service = options.serviceName;
    this.#coldStart = env["AWS_LAMBDA_INITIALIZATION_TYPE"]?.trim() === "on-demand";
    const { level, warning } = resolveLogLevel(env, options.logLevel);
    this.#threshold = LOG_LEVELS[level];
    if (warning) this.warn(warning);
  }

  debug(message: string, ...extra: LogExtra[]): void {
    this.#log("DEBUG", message, extra);
  }

  info(message: string, ...extra: LogExtra[]): void {
    this.#log("INFO", message, extra);
  }

  warn(message: string, ...extra: LogExtra[]): void {
    this.#log("WARN", message, extra);
  }

  error(message: string, ...extra: LogExtra[]): void {
    this.#log("ERROR", message, extra);
  }

  /** Adds keys to every following line until {@link resetKeys} (merged deeply, copied now). */
  appendKeys(attributes: Record<string, unknown>): void {
    deepMerge(this.#keys, this.#withoutReserved(attributes));
  }

  /** Drops every appended key (the middleware calls it after each invocation). */
  resetKeys(): void {
    this.#keys = {};
  }

  /** The invocation's context for the following lines; `cold_start` is true for the first one only. */
  addContext(context: InvocationContext): void {
    const coldStart = this.#coldStart;
    this.#coldStart = false;
    this.#context = {
      coldStart,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      functionName: context.functionName,
      awsRequestId: context.awsRequestId,
      tenantId: context.tenantId,
    };
  }

  #withoutReserved(attributes: Record<string, unknown>): Record<string, unknown> {
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (RESERVED_KEYS.has(key)) this.warn(`The key "${key}" is a reserved key and will be dropped.`);
      else kept[key] = value;
    }
    return kept;
  }

  #log(level: LogLevelName, message: string, extra: readonly LogExtra[]): void {
    if (LOG_LEVELS[level] < this.#threshold) return;
    let text: string;
    try {
      text = this.#line(level, message, extra);
    } catch (error) {
      // Attributes that cannot be read or serialised (a getter or toJSON that throws, a Proxy,
      // nesting deeper than the stack): the line still goes out, with what is known and why the
      // rest is missing, and the caller's work goes on. Only the error's name: its message may
      // quote the value.
      text = this.#fallbackLine(level, message, error);
    }
    writeLine(LOG_LEVELS[level] >= LOG_LEVELS.WARN ? process.stderr : process.stdout, text);
  }

  /** The line without its attributes, when they could not be written. */
  #fallbackLine(level: LogLevelName, message: string, error: unknown): string {
    const name = error instanceof Error ? error.name : typeof error;
    return JSON.stringify({
      level,
      message: String(message),
      timestamp: new Date().toISOString(),
      service: this.#service,
      function_request_id: this.#context?.awsRequestId,
      log_error: `the line's attributes could not be written (${name})`,
    });
  }

  #line(level: LogLevelName, message: string, extra: readonly LogExtra[]): string {
    const context = this.#context;
    const line: Record<string, unknown> = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.#service,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: 0,
      xray_trace_id: xrayTraceId(),
      tenant_id: context?.tenantId,
    };
    const attributes: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.#keys)) if (value !== undefined) attributes[key] = value;
    for (const item of extra) {
      if (item === null || item === undefined) continue;
      if (item instanceof Error) attributes["error"] = item;
      else if (typeof item === "string") attributes["extra"] = item;
      else Object.assign(attributes, this.#withoutReserved(item));
    }
    deepMerge(line, attributes);
    for (const key of Object.keys(line)) {
      const value = line[key];
      if (value === undefined || value === null || value === "") delete line[key];
    }
    return toJsonLine(line);
  }
}

/**
 * The service's logger, at `LOG_LEVEL` (see {@link resolveLogLevel} for Lambda's own setting).
 *
 * @example
 * ```ts
 * const logger = createLogger();
 * logger.info("backfill finished", { report });
 * ```
 */
export function createLogger(serviceName = "tenant-provisioner"): Logger {
  return new Logger({ serviceName, logLevel: process.env["LOG_LEVEL"] ?? "INFO" });
}

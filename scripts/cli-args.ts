/**
 * The operator CLI's command line: a table of commands, each with its own options and usage,
 * parsed strictly with node:util `parseArgs` (no CLI framework: four commands do not need one).
 * Parsing never throws: it says what to do (run, print help, or refuse with the usage line).
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** Option values as `parseArgs` gives them. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One CLI command: its name, a one-line summary, its usage and its options. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Arguments after the name, e.g. `TENANT_ID [--aws] [--table NAME]`. */
  usage: string;
  /** Lines describing each option, printed by `<command> --help`. */
  details?: readonly string[];
  options: ParseArgsOptionsConfig;
  /** Positional arguments the command takes (after its name). */
  positionals: { min: number; max: number };
  run(args: { values: OptionValues; positionals: string[] }): Promise<void>;
}

/** What the command line asks for. */
export type CommandLine =
  | { kind: "run"; command: CliCommand; values: OptionValues; positionals: string[] }
  /** `--help`: print `text` to stdout, exit 0. */
  | { kind: "help"; text: string }
  /** A mistake: print `text` to stderr, exit 2. */
  | { kind: "usage-error"; text: string };

const PROGRAM = "npm run cli --";

/** Options every command takes. */
const COMMON_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: "boolean", short: "h" },
  aws: { type: "boolean" },
};

/**
 * The usage of every command, or of one.
 *
 * @example
 * ```ts
 * process.stdout.write(usage(commands));
 * ```
 */
export function usage(commands: readonly CliCommand[], only?: CliCommand): string {
  if (only) {
    return [`usage: ${PROGRAM} ${only.name} ${only.usage}`.trimEnd(), "", only.summary, ...(only.details ?? []).map((d) => `  ${d}`), ""].join("\n");
  }
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `usage: ${PROGRAM} <command> [options]   (${PROGRAM} <command> --help for its options)`,
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Against the local stack (`npm start`) by default; --aws uses AWS credentials and the service's environment.",
    "",
  ].join("\n");
}

/**
 * Parses `argv` (without node and the script) against the command table.
 *
 * @example
 * ```ts
 * const line = parseCommandLine(process.argv.slice(2), commands);
 * if (line.kind === "run") await line.command.run(line);
 * ```
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CliCommand[]): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    return first === undefined ? { kind: "usage-error", text: usage(commands) } : { kind: "help", text: usage(commands) };
  }
  const command = commands.find((c) => c.name === first);
  if (!command) return { kind: "usage-error", text: `error: unknown command "${first}"\n${usage(commands)}` };

  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...rest], options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs throws TypeError with a clear message (unknown option, missing value).
    return { kind: "usage-error", text: `error: ${(error as Error).message}\n${usage(commands, command)}` };
  }
  if (parsed.values.help === true) return { kind: "help", text: usage(commands, command) };
  const count = parsed.positionals.length;
  if (count < command.positionals.min || count > command.positionals.max) {
    return { kind: "usage-error", text: `error: ${command.name} takes ${describeCount(command.positionals)}\n${usage(commands, command)}` };
  }
  return { kind: "run", command, values: parsed.values, positionals: parsed.positionals };
}

function describeCount({ min, max }: { min: number; max: number }): string {
  if (max === 0) return "no arguments";
  return min === max ? `exactly ${min} argument(s)` : `${min} to ${max} arguments`;
}

/** A usage mistake found while running (e.g. a bad number): printed with the usage, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A positive integer option, or a {@link UsageError} naming it.
 *
 * @example
 * ```ts
 * const max = positiveInteger(values, "max", 100);
 * ```
 */
export function positiveInteger(values: OptionValues, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^[1-9]\d{0,9}$/.test(raw)) throw new UsageError(`--${name}: must be a positive integer`);
  return Number(raw);
}

/**
 * A string option's value, if given.
 *
 * @example
 * ```ts
 * const url = stringOption(values, "url");
 * ```
 */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The JSON document in the file a string option names, or a {@link UsageError} naming the option
 * and what is wrong (unreadable, not JSON, not of the `expected` shape); never the file's content.
 *
 * @example
 * ```ts
 * const tenants = jsonFileOption(values, "tenants", "array");
 * ```
 */
export function jsonFileOption(values: OptionValues, name: string, expected: "array"): unknown[] | undefined;
export function jsonFileOption(values: OptionValues, name: string, expected: "object"): Record<string, unknown> | undefined;
export function jsonFileOption(values: OptionValues, name: string, expected: "array" | "object"): unknown[] | Record<string, unknown> | undefined {
  const file = stringOption(values, name);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`--${name}: ${file} is not valid JSON`);
  }
  if (expected === "array" ? !Array.isArray(json) : typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UsageError(`--${name}: ${file} must hold a JSON ${expected === "array" ? "array" : "object"}`);
  }
  return json as unknown[] | Record<string, unknown>;
}

/**
 * A string option that must be an http(s) URL, or a {@link UsageError} naming it (a bad queue URL
 * reached the AWS SDK, which printed its own stack trace before failing).
 *
 * @example
 * ```ts
 * const dlqUrl = urlOption(values, "dlq-url");
 * ```
 */
export function urlOption(values: OptionValues, name: string): string | undefined {
  const value = stringOption(values, name);
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new UsageError(`--${name}: must be an http(s) URL`);
  return value;
}

/**
 * How a log line's attributes become one JSON line, as Powertools for AWS Lambda 2.35.0 writes
 * them: an Error (anywhere in the attributes) becomes `{ name, location, message, stack, cause,
 * ...its own fields }` with its `cause` formatted the same way, a BigInt its decimal string, and a
 * value that contains itself is left out where it repeats (`null` in an array).
 */

const ERROR_KEYS = new Set(["name", "message", "stack", "cause"]);
const FRAME = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/;

/**
 * `file:line` of the first stack frame that names one in parentheses, or `""`.
 *
 * @example
 * ```ts
 * codeLocation("Error: x\n    at f (/var/task/index.cjs:10:5)"); // "/var/task/index.cjs:10"
 * ```
 */
function codeLocation(stack: string | undefined): string {
  if (!stack) return "";
  for (const line of stack.split("\n")) {
    const match = FRAME.exec(line);
    if (match) return `${match[1]}:${Number(match[2])}`;
  }
  return "";
}

/**
 * An Error as the log line shows it. A chain of causes that comes back to an error already shown
 * ends there (Powertools recursed until the stack overflowed).
 *
 * @example
 * ```ts
 * formatError(new Error("outer", { cause: new TypeError("inner") }));
 * // { name: "Error", location: "…", message: "outer", stack: "…", cause: { name: "TypeError", … } }
 * ```
 */
function formatError(error: Error, seen: Set<Error> = new Set()): Record<string, unknown> {
  seen.add(error);
  const { name, message, stack, cause } = error;
  const formatted: Record<string, unknown> = {
    name,
    location: codeLocation(stack),
    message,
    stack,
    cause: cause instanceof Error ? (seen.has(cause) ? undefined : formatError(cause, seen)) : cause,
  };
  for (const key of Object.keys(error)) {
    if (!ERROR_KEYS.has(key)) formatted[key] = (error as unknown as Record<string, unknown>)[key];
  }
  return formatted;
}

/**
 * One JSON line (no newline) of `attributes`.
 *
 * @example
 * ```ts
 * toJsonLine({ n: 10n, error: new Error("x") }); // '{"n":"10","error":{"name":"Error",…}}'
 * ```
 */
export function toJsonLine(attributes: Record<string, unknown>): string {
  const ancestors: unknown[] = [];
  // One formatted object per Error, so an Error met again inside itself (a field pointing back
  // to it) is seen as the cycle it is rather than formatted anew without end.
  const formatted = new Map<Error, Record<string, unknown>>();
  const format = (error: Error): Record<string, unknown> => {
    let shown = formatted.get(error);
    if (!shown) formatted.set(error, (shown = formatError(error)));
    return shown;
  };
  return JSON.stringify(attributes, function (this: unknown, _key: string, value: unknown): unknown {
    const replaced = value instanceof Error ? format(value) : value;
    if (typeof replaced === "bigint") return replaced.toString();
    if (typeof replaced === "object" && replaced !== null) {
      // The ancestors of this value are the holders on the path to it; one of them again is a cycle.
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(replaced)) return undefined;
      ancestors.push(replaced);
    }
    return replaced;
  });
}

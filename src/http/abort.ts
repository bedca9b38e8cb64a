/**
 * What an aborted wait or attempt fails with: the signal's reason when it is an error (e.g.
 * `AbortSignal.timeout(ms)`'s TimeoutError), else an AbortError whose cause is the reason. The
 * transport (request.ts) fails an aborted attempt the same way, so a caller sees one error for an
 * abort whether it came during an attempt or during the backoff between two.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortError(signal);
 * ```
 */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error("Request aborted", { cause: reason }), { name: "AbortError" });
}

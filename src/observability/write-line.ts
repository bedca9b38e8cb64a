/**
 * Writes one line to a process stream and never throws: as Node's Console (which Powertools
 * wrote through) does, a log line or metric that cannot be written never fails its caller.
 *
 * @example
 * ```ts
 * writeLine(process.stdout, JSON.stringify({ level: "INFO", message: "done" }));
 * ```
 */
export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(`${text}\n`);
  } catch {
    // Nothing to do: the process's own output is gone.
  }
}

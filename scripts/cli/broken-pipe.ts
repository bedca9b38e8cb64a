/**
 * A reader that stops early (`npm run cli -- logstores list | head -3`) closes the CLI's stdout;
 * the next write then fails with EPIPE, which Node raises as an unhandled 'error' event and a
 * stack trace. Like any Unix tool, the CLI just stops: nobody is reading any more. Other write
 * errors are still raised.
 *
 * @example
 * ```ts
 * exitQuietlyOnBrokenPipe(process.stdout);
 * ```
 */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WritableStream, exit: (code: number) => void = process.exit): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    exit(0);
  });
}

/**
 * Resolves the real provider host names (`{project}.cn-shanghai.log.aliyuncs.com`) to 127.0.0.1
 * inside this test process, the way an /etc/hosts entry would, so an official SDK that offers no
 * way to pick the address it connects to (the Tea SDK `@alicloud/sls20201230`) reaches a local
 * sandbox with its own code, host names and Host headers unchanged. Only names under the given
 * suffix are answered; every other lookup goes to the system resolver.
 */
import dns from "node:dns";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * Routes `*.{suffix}` to 127.0.0.1 until the returned function is called.
 *
 * @example
 * ```ts
 * const restore = resolveToLoopback("cn-shanghai.log.aliyuncs.com");
 * try { await sdk.listConsumerGroup("p", "s"); } finally { restore(); }
 * ```
 */
export function resolveToLoopback(suffix: string): () => void {
  const original = dns.lookup;
  const ending = `.${suffix.toLowerCase()}`;
  const lookup = (hostname: string, options: unknown, callback?: unknown): void => {
    const cb = (typeof options === "function" ? options : callback) as LookupCallback;
    const opts = (typeof options === "object" && options !== null ? options : {}) as dns.LookupOptions;
    if (!hostname.toLowerCase().endsWith(ending)) {
      (original as (h: string, o: dns.LookupOptions, c: LookupCallback) => void)(hostname, opts, cb);
      return;
    }
    if (opts.all) process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }]);
    else process.nextTick(cb, null, "127.0.0.1", 4);
  };
  dns.lookup = lookup as typeof dns.lookup;
  return () => {
    dns.lookup = original;
  };
}

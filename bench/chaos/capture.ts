/**
 * What the service printed during a chaos run, kept to be searched for secrets: every
 * process.stdout/stderr write (JSON logs and EMF metrics from the handlers), every line the
 * core's logger was given, and every UserSig the IM client put on the wire.
 */
import type { HttpTransport } from "../../src/http/types.ts";
import type { ProvisionLogger } from "../../src/provisioning/types.ts";

type Write = typeof process.stdout.write;

/** Captured output; `restore()` puts the real streams back. */
export interface OutputCapture {
  /** Every chunk written while capturing. */
  readonly chunks: string[];
  restore(): void;
}

/**
 * Swallows process.stdout/stderr writes and keeps them (the chaos run's own report is printed
 * after `restore()`). `passThrough` also shows them.
 */
export function captureOutput(options: { passThrough?: boolean } = {}): OutputCapture {
  const chunks: string[] = [];
  const originals: [NodeJS.WriteStream, Write][] = [
    [process.stdout, process.stdout.write],
    [process.stderr, process.stderr.write],
  ];
  for (const [stream, original] of originals) {
    const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      if (options.passThrough) return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((r): r is () => void => typeof r === "function");
      callback?.();
      return true;
    };
    stream.write = write as Write;
  }
  return {
    chunks,
    restore() {
      for (const [stream, original] of originals) stream.write = original;
    },
  };
}

/** The core's logger: keeps each line as JSON text and passes it on (to the service logger, so it is printed too). */
export class TeeLogger implements ProvisionLogger {
  readonly lines: string[] = [];
  readonly #next: ProvisionLogger | undefined;
  constructor(next?: ProvisionLogger) {
    this.#next = next;
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "info", message, ...fields }));
    this.#next?.info(message, { ...fields });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "warn", message, ...fields }));
    this.#next?.warn(message, { ...fields });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: "error", message, ...fields }));
    this.#next?.error(message, { ...fields });
  }
}

/** A transport that remembers the UserSigs the IM client sends (the `usersig` query parameter). */
export function userSigRecorder(inner: HttpTransport, userSigs = new Set<string>()): { transport: HttpTransport; userSigs: Set<string> } {
  return {
    userSigs,
    transport: {
      send(request, limits) {
        const sig = new URL(request.url).searchParams.get("usersig");
        if (sig) userSigs.add(sig);
        return inner.send(request, limits);
      },
      close: () => inner.close(),
    },
  };
}

/** A named secret value to look for. */
export interface SecretValue {
  name: string;
  value: string;
}

/** Where a secret was found (the first few hits, never the value itself). */
export interface SecretLeak {
  secret: string;
  where: string;
  /** Text around the hit with the secret masked. */
  excerpt: string;
}

/**
 * Searches texts for secret values (also their JSON-escaped form). Values shorter than 8
 * characters are refused: they would match by chance.
 */
export function findSecrets(sources: Record<string, readonly string[]>, secrets: readonly SecretValue[], maxLeaks = 20): { scanned: number; leaks: SecretLeak[] } {
  const needles = secrets.flatMap((s) => {
    if (s.value.length < 8) throw new Error(`secret ${s.name} is too short to search for`);
    const escaped = JSON.stringify(s.value).slice(1, -1);
    return escaped === s.value ? [{ name: s.name, value: s.value }] : [{ name: s.name, value: s.value }, { name: s.name, value: escaped }];
  });
  const leaks: SecretLeak[] = [];
  let scanned = 0;
  for (const [where, texts] of Object.entries(sources)) {
    for (const text of texts) {
      scanned++;
      for (const needle of needles) {
        const at = text.indexOf(needle.value);
        if (at < 0) continue;
        if (leaks.length < maxLeaks) {
          const excerpt = text.slice(Math.max(0, at - 80), at + needle.value.length + 80).replaceAll(needle.value, "«SECRET»");
          leaks.push({ secret: needle.name, where, excerpt });
        }
      }
    }
  }
  return { scanned, leaks };
}

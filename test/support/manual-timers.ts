import type { ExpiryTimers } from "../../src/http/expiry-watch.ts";

/**
 * Timers that run only when the test moves time (`advance`): an {@link ExpiryTimers} for the
 * transport's time limits, so a timeout test waits on conditions, never on the wall clock.
 */
export class ManualTimers implements ExpiryTimers {
  time: number;
  /** Every delay passed to setTimeout, in order. */
  readonly armed: number[] = [];
  #next = 1;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.armed.push(ms);
    this.#pending.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Moves time forward by `ms`, running each timer that comes due, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#pending) if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry;
      if (first === undefined) break;
      this.#pending.delete(first[0]);
      this.time = Math.max(this.time, first[1].at);
      first[1].fn();
    }
    this.time = end;
  }
}

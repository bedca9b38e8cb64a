/**
 * Virtual time for simulations of many limiters at once: a clock whose `sleep`s are timers on a
 * queue, and a driver that moves the clock to the next timer only once nothing else can happen
 * first (no real I/O in flight, the microtask and immediate queues drained). Real I/O (dynalite)
 * takes no virtual time unless a wrapper sleeps for it; so a run measures the protocol, not the
 * machine: the same run gives the same counts on an idle or a saturated machine.
 */
import { setImmediate as turn } from "node:timers/promises";
import type { DocumentClient } from "../../src/aws/dynamodb/index.ts";
import type { Clock } from "../../src/http/types.ts";

interface Timer {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * A clock driven by {@link VirtualClock.runUntil}.
 *
 * ```ts
 * const clock = new VirtualClock();
 * void (async () => { await clock.sleep(50); console.log(clock.now()); })();
 * await clock.runUntil(clock.now() + 100); // logs start + 50
 * ```
 */
export class VirtualClock implements Clock {
  time: number;
  #timers: Timer[] = [];
  #seq = 0;
  /** Real operations in flight (see {@link VirtualClock.track}); time stands still meanwhile. */
  #inFlight = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.#timers.push({ at: this.time + Math.max(0, ms), seq: this.#seq++, wake });
    });
  }

  /** Runs `op` (real I/O) with the clock held still until it settles. */
  async track<T>(op: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await op();
    } finally {
      this.#inFlight--;
    }
  }

  /** Fires timers in time order until the next one lies beyond `end` (the clock then stands at `end`). */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await this.#settle();
      if (this.#timers.length === 0) break;
      let first = 0;
      for (let i = 1; i < this.#timers.length; i++) {
        const t = this.#timers[i] as Timer;
        const f = this.#timers[first] as Timer;
        if (t.at < f.at || (t.at === f.at && t.seq < f.seq)) first = i;
      }
      const timer = this.#timers[first] as Timer;
      if (timer.at > end) break;
      this.#timers.splice(first, 1);
      this.time = Math.max(this.time, timer.at);
      timer.wake();
    }
    this.time = Math.max(this.time, end);
  }

  async #settle(): Promise<void> {
    // Several turns: a woken task may start I/O only after a few promise hops.
    for (let quiet = 0; quiet < 3; ) {
      await turn();
      if (this.#inFlight > 0) quiet = 0;
      else quiet++;
    }
  }
}

/**
 * The document client with every `send` held by `clock` (time stands still while dynalite works)
 * and taking `roundTripMs` of virtual time (half before, half after), as a real table's answer would;
 * `counts.failedConditions` counts the requests whose condition failed.
 *
 * ```ts
 * const slow = onVirtualTime(docClient, clock, 6); // each request takes 6 ms of the clock's time
 * ```
 */
export function onVirtualTime(client: DocumentClient, clock: VirtualClock, roundTripMs: number, counts?: { failedConditions: number }): DocumentClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "send") return Reflect.get(target, prop, receiver);
      return async (command: unknown, options?: unknown) => {
        await clock.sleep(roundTripMs / 2);
        const out = await clock.track(() => (target.send as (c: unknown, o?: unknown) => Promise<unknown>).call(target, command, options)).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        await clock.sleep(roundTripMs / 2);
        if ("error" in out) {
          if (counts && out.error instanceof Error && out.error.name === "ConditionalCheckFailedException") counts.failedConditions++;
          throw out.error;
        }
        return out.value;
      };
    },
  });
}

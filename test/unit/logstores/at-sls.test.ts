/**
 * logstoresAtSls reading many logstores: a bounded number of ListConsumerGroup calls in flight
 * (a 200-name SLS_LOGSTORE seed used to fire 200 at once), answers in the order of the names, and
 * one logstore's failure failing the whole read.
 */
import { describe, expect, it } from "vitest";
import { LOGSTORE_LISTING_CONCURRENCY, logstoresAtSls } from "../../../src/logstores/at-sls.ts";
import type { ConsumerGroup } from "../../../src/providers/sls/types.ts";

const group = (name: string): ConsumerGroup => ({ name, timeout: 60, order: false });

/** A port whose calls answer after a turn of the event loop, counting how many are in flight. */
function countingPort(answers: (logstore: string) => ConsumerGroup[]) {
  const seen = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const clientFor = (logstore: string) => ({
    listConsumerGroups: async () => {
      seen.calls += 1;
      seen.inFlight += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      seen.inFlight -= 1;
      return answers(logstore);
    },
  });
  return { clientFor, seen };
}

describe("logstoresAtSls", () => {
  it(`reads 200 logstores with at most ${LOGSTORE_LISTING_CONCURRENCY} calls in flight, answers in the names' order`, async () => {
    const names = Array.from({ length: 200 }, (_, i) => `tenant-events-${i}`);
    const { clientFor, seen } = countingPort((logstore) => [group(`tenant-${logstore}-a`), group("other-reader")]);
    const found = await logstoresAtSls(names, "tenant-", clientFor, 30);
    expect(seen.calls).toBe(200);
    expect(seen.maxInFlight).toBe(LOGSTORE_LISTING_CONCURRENCY);
    expect(found.map((l) => l.name)).toEqual(names);
    expect(found[7]).toEqual({ name: "tenant-events-7", capacity: 30, tenants: ["tenant-events-7-a"], existingGroups: 2 });
  });

  it("fails the whole read when one logstore cannot be listed, and starts no call after the failure", async () => {
    const names = Array.from({ length: 200 }, (_, i) => (i === 3 ? "missing" : `tenant-events-${i}`));
    let calls = 0;
    let callsAfterFailure = 0;
    let failedAt: number | undefined;
    const clientFor = (logstore: string) => ({
      listConsumerGroups: async () => {
        calls += 1;
        if (failedAt !== undefined) callsAfterFailure += 1;
        await new Promise((resolve) => setImmediate(resolve));
        if (logstore === "missing") {
          failedAt = calls;
          throw new Error("LogStoreNotExist");
        }
        return [];
      },
    });
    await expect(logstoresAtSls(names, "tenant-", clientFor)).rejects.toThrow("LogStoreNotExist");
    // Let any lane still running finish its turn.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(callsAfterFailure).toBe(0);
    expect(calls).toBeLessThanOrEqual(LOGSTORE_LISTING_CONCURRENCY * 2);
  });
});

import { describe, expect, it } from "vitest";
import { walkPages, type WalkPage } from "../../../src/backfill/page-walk.ts";

/** A promise resolved from outside. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every queued promise callback run (no timers: microtasks and one macrotask turn). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A listing of pages p0, p1, … keyed by cursor (undefined = the first), recording each read. */
function listing(pages: string[][]) {
  const reads: Array<string | undefined> = [];
  const byCursor = new Map<string | undefined, WalkPage<string>>(
    pages.map((items, i) => [i === 0 ? undefined : `c${i}`, { items, cursor: i + 1 < pages.length ? `c${i + 1}` : undefined }]),
  );
  return {
    reads,
    fetchPage: async (cursor: string | undefined) => {
      reads.push(cursor);
      const page = byCursor.get(cursor);
      if (!page) throw new Error(`no page at ${cursor}`);
      return page;
    },
  };
}

describe("walkPages", () => {
  it("moves on to the next page while the current page's slowest item runs; reports pages in order, only when finished", async () => {
    const list = listing([["a", "b"], ["c", "d"], ["e"]]);
    const slow = gate();
    const started: string[] = [];
    const finished: string[] = [];
    const reported: Array<string | undefined> = [];
    const walk = walkPages({
      start: undefined,
      fetchPage: list.fetchPage,
      concurrency: 2,
      canStart: () => true,
      work: async (item) => {
        started.push(item);
        if (item === "a") await slow.promise;
        finished.push(item);
      },
      pageDone: async (next) => {
        reported.push(next);
      },
    });
    await settle();
    // "a" holds page 0 open; the other lane went on through pages 1 and 2.
    expect(started).toEqual(["a", "b", "c", "d", "e"]);
    expect(finished).toEqual(["b", "c", "d", "e"]);
    expect(reported).toEqual([]);
    slow.open();
    expect(await walk).toBe(true);
    expect(reported).toEqual(["c1", "c2", undefined]);
    expect(list.reads).toEqual([undefined, "c1", "c2"]);
  });

  it("reads the next page while the current one is still being worked on, one page ahead", async () => {
    const list = listing([["a"], ["b"], ["c"]]);
    const hold = gate();
    const walk = walkPages({
      start: undefined,
      fetchPage: list.fetchPage,
      concurrency: 1,
      canStart: () => true,
      work: () => hold.promise,
      pageDone: async () => undefined,
    });
    await settle();
    // "a" has not finished, and page 1 has already been read; page 2 not yet.
    expect(list.reads).toEqual([undefined, "c1"]);
    hold.open();
    expect(await walk).toBe(true);
    expect(list.reads).toEqual([undefined, "c1", "c2"]);
  });

  it("starts nothing once canStart is false, reports only finished pages, and a walk resumed from the report loses and repeats nothing", async () => {
    const pages = [["a", "b"], ["c", "d"], ["e", "f"]];
    const done: string[] = [];
    let saved: string | undefined;
    const first = await walkPages({
      start: undefined,
      fetchPage: listing(pages).fetchPage,
      concurrency: 1,
      canStart: () => done.length < 3, // one lane: room for three items
      work: async (item) => void done.push(item),
      pageDone: async (next) => void (saved = next),
    });
    expect(first).toBe(false);
    expect(done).toEqual(["a", "b", "c"]);
    expect(saved).toBe("c1"); // page 1 was started but not finished: it is not reported

    const resumed = listing(pages);
    const second = await walkPages({
      start: saved,
      fetchPage: resumed.fetchPage,
      concurrency: 3,
      canStart: () => true,
      work: async (item) => void done.push(item),
      pageDone: async (next) => void (saved = next),
    });
    expect(second).toBe(true);
    expect(saved).toBeUndefined();
    expect(resumed.reads).toEqual(["c1", "c2"]);
    // "c" again (its page was not finished), everything else once.
    expect(done).toEqual(["a", "b", "c", "c", "d", "e", "f"]);
  });

  it("an empty listing is complete at once", async () => {
    const reported: Array<string | undefined> = [];
    const complete = await walkPages({
      start: undefined,
      fetchPage: async () => ({ items: [] }),
      concurrency: 4,
      canStart: () => true,
      work: async () => undefined,
      pageDone: async (next) => void reported.push(next),
    });
    expect(complete).toBe(true);
    expect(reported).toEqual([undefined]);
  });

  it("a failing item stops new starts, lets started items finish, and rejects with its error; its page is not reported", async () => {
    const list = listing([["a", "bad", "c"], ["d"]]);
    const slow = gate();
    const finished: string[] = [];
    const reported: Array<string | undefined> = [];
    const walk = walkPages({
      start: undefined,
      fetchPage: list.fetchPage,
      concurrency: 2,
      canStart: () => true,
      work: async (item) => {
        if (item === "a") await slow.promise;
        if (item === "bad") throw new Error("store down");
        finished.push(item);
      },
      pageDone: async (next) => void reported.push(next),
    });
    let settledEarly = false;
    void walk.then(
      () => (settledEarly = true),
      () => (settledEarly = true),
    );
    await settle();
    expect(settledEarly).toBe(false); // "a" still runs: the walk waits for it
    slow.open();
    await expect(walk).rejects.toThrow("store down");
    expect(finished).toEqual(["a"]);
    expect(reported).toEqual([]);
  });

  it("a page read that fails rejects the walk (no unhandled rejection), after the pages before it are reported", async () => {
    const reported: Array<string | undefined> = [];
    const walk = walkPages({
      start: undefined,
      fetchPage: async (cursor) => {
        if (cursor === undefined) return { items: ["a"], cursor: "c1" };
        throw new Error("throttled");
      },
      concurrency: 2,
      canStart: () => true,
      work: async () => undefined,
      pageDone: async (next) => void reported.push(next),
    });
    await expect(walk).rejects.toThrow("throttled");
    expect(reported).toEqual(["c1"]);
  });

  it("a position that cannot be saved stops new starts and rejects the walk", async () => {
    const started: string[] = [];
    const walk = walkPages({
      start: undefined,
      fetchPage: listing([["a"], ["b"], ["c"]]).fetchPage,
      concurrency: 1,
      canStart: () => true,
      work: async (item) => void started.push(item),
      pageDone: async () => {
        throw new Error("table unavailable");
      },
    });
    await expect(walk).rejects.toThrow("table unavailable");
    // "a" finished, its page's save failed: at most the item already taken runs after that.
    expect(started.length).toBeLessThan(3);
  });
});

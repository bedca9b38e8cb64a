/** One page of a paged listing: its items and the cursor of the page after it. */
export interface WalkPage<T> {
  items: readonly T[];
  /** Cursor of the next page; undefined on the last page. */
  cursor?: string | undefined;
}

/** What {@link walkPages} walks and how. */
export interface WalkPagesOptions<T> {
  /** Cursor of the first page (undefined: the listing's start). */
  start: string | undefined;
  /** Reads the page at `cursor`. */
  fetchPage(cursor: string | undefined): Promise<WalkPage<T>>;
  /** Items worked on at once. */
  concurrency: number;
  /** Checked before each item is started (a time budget); once false, nothing more is started. */
  canStart(): boolean;
  work(item: T): Promise<void>;
  /**
   * Called once per page, in page order, when every item of that page and of all pages before
   * it has finished: `next` is the cursor after that page (undefined: it was the last page).
   */
  pageDone(next: string | undefined): Promise<void>;
}

interface PageState<T> {
  items: readonly T[];
  next: string | undefined;
  /** The listing's last page (no cursor after it). */
  last: boolean;
  taken: number;
  finished: number;
}

/**
 * Works through a paged listing with `concurrency` lanes that never wait for a page boundary:
 * the next page is read while the current one is worked on (one page ahead, so memory stays at
 * two pages), and a lane that finds the current page fully started moves on to the next page
 * while the current page's slowest items still run. A page is reported done (its position may be
 * saved) only when it and every page before it have finished, so a walk cut short is resumed
 * from the first page with unfinished work; no page is read twice.
 *
 * Resolves true when the last page is done; false when `canStart` stopped it. The first error of
 * `work`, `fetchPage` or `pageDone` stops new starts, lets started items finish, then rejects.
 *
 * @example
 * ```ts
 * const complete = await walkPages({
 *   start: saved?.cursor,
 *   fetchPage: (cursor) => store.listUnfinished({ limit: 1000, cursor }),
 *   concurrency: 32,
 *   canStart: () => deadline - Date.now() > 10_000,
 *   work: (step) => redrive(step),
 *   pageDone: (next) => positions.save(next === undefined ? undefined : { dueBefore, cursor: next }),
 * });
 * ```
 */
export async function walkPages<T>(options: WalkPagesOptions<T>): Promise<boolean> {
  // The page items are taken from; it starts as an empty placeholder whose "next" is the start.
  let current: PageState<T> = { items: [], next: options.start, last: false, taken: 0, finished: 0 };
  let ahead: Promise<WalkPage<T>> | undefined;
  let switching: Promise<void> | undefined;
  const unreported: PageState<T>[] = [];
  let reporting: Promise<void> = Promise.resolve();
  let lastReported = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;

  const fail = (error: unknown): void => {
    failure ??= { error };
  };
  const fetch = (cursor: string | undefined): Promise<WalkPage<T>> => {
    const page = options.fetchPage(cursor);
    page.catch(() => undefined); // observed when the page is switched to; never an unhandled rejection
    return page;
  };

  /** Reports, in order, every leading page whose items have all finished. */
  const reportFinished = (): void => {
    for (;;) {
      const head = unreported[0];
      if (head === undefined || head.finished < head.items.length) return;
      unreported.shift();
      reporting = reporting.then(async () => {
        await options.pageDone(head.last ? undefined : head.next);
        if (head.last) lastReported = true;
      });
      reporting.catch(fail);
    }
  };

  /** Moves `current` to the next page, reading it if the prefetch was not started. */
  const advance = async (): Promise<void> => {
    const page = await (ahead ?? fetch(current.next));
    ahead = undefined;
    const state = { items: page.items, next: page.cursor, last: page.cursor === undefined, taken: 0, finished: 0 };
    current = state;
    unreported.push(state);
    if (!state.last && options.canStart()) ahead = fetch(state.next);
    reportFinished();
  };

  /** The next item to start, with its page; undefined when the walk should stop here. */
  const take = async (): Promise<{ item: T; page: PageState<T> } | undefined> => {
    for (;;) {
      if (failure || stopped) return undefined;
      if (!options.canStart()) {
        stopped = true;
        return undefined;
      }
      if (current.taken < current.items.length) {
        const item = current.items[current.taken++] as T;
        return { item, page: current };
      }
      if (current.last) return undefined;
      if (switching === undefined) {
        switching = advance().finally(() => {
          switching = undefined;
        });
      }
      await switching;
    }
  };

  const lane = async (): Promise<void> => {
    try {
      for (let next = await take(); next !== undefined; next = await take()) {
        await options.work(next.item);
        next.page.finished++;
        reportFinished();
      }
    } catch (error) {
      fail(error);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.floor(options.concurrency)) }, lane));
  await reporting.catch(() => undefined);
  if (failure) throw failure.error;
  return lastReported;
}

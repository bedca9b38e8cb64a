/**
 * Options for `vi.waitFor` / `vi.waitUntil`: a cap for a hang, not a timing. Their default of
 * 1 s is a wall-clock margin on a condition that needs local I/O (a request reaching a server, a
 * socket closing), which a loaded 2-core machine can exceed; they return as soon as it holds.
 *
 * @example
 * ```ts
 * await vi.waitFor(() => expect(server.requests()).toBe(1), HANG_CAP);
 * ```
 */
export const HANG_CAP = { timeout: 15_000 } as const;

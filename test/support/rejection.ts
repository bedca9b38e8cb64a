/**
 * What `promise` rejects with; fails the test when it resolves instead.
 *
 * @example
 * ```ts
 * expect(await rejection(service.provision(request, budget))).toBeInstanceOf(ImmutableFieldError);
 * ```
 */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

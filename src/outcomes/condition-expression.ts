/**
 * Condition expressions written as a disjunction of conjunctions without parentheses
 * ("a AND b OR c AND d"). DynamoDB's documented precedence (NOT, then AND, then OR) gives them
 * the meaning of the parenthesised form. Why not nest: dynalite, the table behind every local
 * run, parses conditions with a backtracking PEG parser that reparses each parenthesised group
 * several times, about 4x the CPU per level of nesting. The step claim's three-level condition
 * cost it 5.4 ms per request (two claims per tenant, most of the local stack's CPU in a
 * backfill); the same rules flat cost 0.2 ms (README "Benchmarks").
 */

/** A term holding OR would change meaning once its parentheses are gone. */
const OR_WORD = /\bOR\b/i;

/**
 * `alternatives` joined as "t1 AND t2 OR t3 AND t4 ...": true when every term of at least one
 * alternative holds. Terms are comparisons or functions (IN lists and function arguments keep
 * their own parentheses); a term holding OR is refused, since without parentheses it would bind
 * across alternatives.
 *
 * @example
 * ```ts
 * anyOf(["attribute_not_exists(#pk)"], ["#status = :pending", "#og <= :gen"]);
 * // "attribute_not_exists(#pk) OR #status = :pending AND #og <= :gen"
 * ```
 */
export function anyOf(...alternatives: ReadonlyArray<readonly string[]>): string {
  if (alternatives.length === 0 || alternatives.some((terms) => terms.length === 0)) {
    throw new Error("anyOf: every alternative needs at least one term");
  }
  for (const term of alternatives.flat()) {
    if (OR_WORD.test(term)) throw new Error(`anyOf: a term must not hold OR (write it as its own alternative): ${term}`);
  }
  return alternatives.map((terms) => terms.join(" AND ")).join(" OR ");
}

/**
 * Every combination of one term from each group, ANDed: (a OR b) AND (c OR d) as the
 * alternatives [a, c], [a, d], [b, c], [b, d], for {@link anyOf}.
 *
 * @example
 * ```ts
 * anyOf(...allOfEach([["attribute_exists(#pk)"], ["#g = :gen", "attribute_not_exists(#g)"]]));
 * // "attribute_exists(#pk) AND #g = :gen OR attribute_exists(#pk) AND attribute_not_exists(#g)"
 * ```
 */
export function allOfEach(groups: ReadonlyArray<readonly string[]>): string[][] {
  return groups.reduce<string[][]>((partial, group) => partial.flatMap((terms) => group.map((term) => [...terms, term])), [[]]);
}

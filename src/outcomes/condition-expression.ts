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

/**
 * Conditions about the item at the request's own key, compared with `:pk`, the key's partition
 * key value (with `#pk` for "pk"). The item there has that pk; a missing item's pk is a missing
 * attribute, and DynamoDB evaluates `=` (and `<`, `<=`, `>`, `>=`) with a missing attribute as
 * false and `<>` as true (ScyllaDB's DynamoDB-compatibility tests, written to pass against AWS:
 * test/alternator/test_condition_expression.py, test_update_condition_eq_unequal, _lt, _ne).
 * Why not attribute_exists(#pk): dynalite's parser tries a function term as a comparison, a
 * BETWEEN and an IN before it reads it as a function, four parses where a comparison takes one.
 */
export const ITEM_EXISTS = "#pk = :pk";
/** True when there is no item at the request's key (see {@link ITEM_EXISTS}). */
export const NO_ITEM = "#pk <> :pk";
/** False on every item: its pk is `:pk`, not less; with no item, a comparison is false. */
const NO_ITEM_MEETS = "#pk < :pk";

/**
 * `terms` ANDed on an existing item: "t1 AND t2 AND #pk = :pk OR #pk < :pk", which means
 * t1 AND t2 AND {@link ITEM_EXISTS} (the last alternative holds on no item). Why the alternative:
 * dynalite's parser reads "x OR y" before "x", so a condition without an OR of its own is parsed
 * twice, each parenthesised group inside it too; ending in a cheap OR it is parsed once (the
 * tenant lease's condition: about half the parsing). A term may hold OR only inside parentheses
 * (unchecked here, to keep the status bundle within its budget; the conditions built with it have
 * property tests against their grouped forms). Needs `#pk` and `:pk` (the key's partition key) in
 * the request's names and values.
 *
 * @example
 * ```ts
 * onExistingItem("(attribute_not_exists(#a) OR #a < :gen)", "#owner = :owner");
 * // "(attribute_not_exists(#a) OR #a < :gen) AND #owner = :owner AND #pk = :pk OR #pk < :pk"
 * ```
 */
export function onExistingItem(...terms: string[]): string {
  return `${[...terms, ITEM_EXISTS].join(" AND ")} OR ${NO_ITEM_MEETS}`;
}

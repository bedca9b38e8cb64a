import { describe, expect, it } from "vitest";
import { allOfEach, anyOf, onExistingItem } from "../../../src/outcomes/condition-expression.ts";

describe("anyOf", () => {
  it("joins terms with AND and alternatives with OR, without parentheses of its own", () => {
    expect(anyOf(["attribute_not_exists(#pk)"], ["#status IN (:a, :b)", "#og <= :gen"])).toBe(
      "attribute_not_exists(#pk) OR #status IN (:a, :b) AND #og <= :gen",
    );
    expect(anyOf(["#a = :a"])).toBe("#a = :a");
  });

  it("refuses a term holding OR (it would bind across alternatives) and an empty alternative", () => {
    expect(() => anyOf(["#a = :a OR #b = :b"])).toThrow(/must not hold OR.*#a = :a OR #b = :b/);
    expect(() => anyOf(["#a = :a"], ["attribute_exists(#x) or #y = :y"])).toThrow(/must not hold OR/);
    expect(() => anyOf(["#a = :a"], [])).toThrow(/at least one term/);
    expect(() => anyOf()).toThrow(/at least one term/);
    // "OR" inside a name is not the keyword.
    expect(anyOf(["#ORDER = :ORDER"])).toBe("#ORDER = :ORDER");
  });
});

describe("allOfEach", () => {
  it("gives every combination of one term per group, in order", () => {
    expect(allOfEach([["a"], ["b", "c"], ["d", "e"]])).toEqual([
      ["a", "b", "d"],
      ["a", "b", "e"],
      ["a", "c", "d"],
      ["a", "c", "e"],
    ]);
    expect(allOfEach([])).toEqual([[]]);
  });
});

describe("onExistingItem", () => {
  it("ANDs the terms with the item's own key and ends in an alternative no item meets", () => {
    expect(onExistingItem("(attribute_not_exists(#a) OR #a < :gen)", "#owner = :owner")).toBe(
      "(attribute_not_exists(#a) OR #a < :gen) AND #owner = :owner AND #pk = :pk OR #pk < :pk",
    );
    expect(onExistingItem()).toBe("#pk = :pk OR #pk < :pk");
  });

  it("keeps a term's own parenthesised OR inside it", () => {
    expect(onExistingItem("#c IN (:x, :y)", "NOT (#a = :a OR #b = :b)")).toBe("#c IN (:x, :y) AND NOT (#a = :a OR #b = :b) AND #pk = :pk OR #pk < :pk");
  });
});

/**
 * Greatest depth of grouping parentheses in a DynamoDB condition, not counting a function's
 * arguments or an IN list. dynalite's parser pays about 4x per level, so the store keeps it low.
 *
 * @example
 * ```ts
 * groupingDepth("#a = :a OR (#b = :b AND (#c = :c OR NOT (#d = :d)))"); // 3
 * ```
 */
export function groupingDepth(expression: string): number {
  const stack: boolean[] = [];
  let deepest = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "(") {
      const before = expression.slice(0, i).trimEnd();
      const grouping = before === "" || before.endsWith("(") || /\b(AND|OR|NOT)$/i.test(before);
      stack.push(grouping);
      deepest = Math.max(deepest, stack.filter(Boolean).length);
    } else if (c === ")") stack.pop();
  }
  return deepest;
}

/**
 * The merge behind the logger's attributes, as Powertools for AWS Lambda 2.35.0 does it
 * (`deepMerge` of `@aws-lambda-powertools/commons`), so the log lines keep their shape: plain
 * objects are merged key by key and copied, arrays merged by index and copied, anything else
 * (Errors, Dates, class instances) is kept by reference; an `undefined` source value never
 * overwrites a defined one; a plain object or array that contains itself is left out where it
 * repeats; `__proto__` and `constructor` keys are skipped.
 */

type Plain = Record<string, unknown>;

const UNSAFE_KEYS = new Set(["__proto__", "constructor"]);

function isPlainObject(value: unknown): value is Plain {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function cloneItem(source: unknown, ancestors: unknown[]): { skip: boolean; value?: unknown } {
  if (isPlainObject(source)) {
    const cloned: Plain = {};
    ancestors.push(source);
    mergeRecursive(cloned, source, ancestors);
    ancestors.pop();
    return { skip: false, value: cloned };
  }
  if (Array.isArray(source)) {
    if (ancestors.includes(source)) return { skip: true };
    const cloned: unknown[] = [];
    ancestors.push(source);
    mergeArrayItems(cloned, source, ancestors);
    ancestors.pop();
    return { skip: false, value: cloned };
  }
  return { skip: false, value: source };
}

function mergeArrayItem(target: unknown[], index: number, source: unknown, ancestors: unknown[]): void {
  const existing = target[index];
  const sourceIsPlain = isPlainObject(source);
  if (sourceIsPlain && ancestors.includes(source)) return;
  if (sourceIsPlain && isPlainObject(existing)) {
    ancestors.push(source);
    mergeRecursive(existing, source, ancestors);
    ancestors.pop();
    return;
  }
  if (Array.isArray(source) && Array.isArray(existing)) {
    if (!ancestors.includes(source)) {
      ancestors.push(source);
      mergeArrayItems(existing, source, ancestors);
      ancestors.pop();
    }
    return;
  }
  if (source !== undefined || existing === undefined) {
    const result = cloneItem(source, ancestors);
    if (!result.skip) target[index] = result.value;
  }
}

function mergeArrayItems(target: unknown[], source: readonly unknown[], ancestors: unknown[]): void {
  for (let i = 0; i < source.length; i++) mergeArrayItem(target, i, source[i], ancestors);
}

function mergeRecursive(target: Plain, source: Plain, ancestors: unknown[]): void {
  for (const key of Object.keys(source)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const sourceValue = source[key];
    const targetValue = target[key];
    if (Array.isArray(sourceValue)) {
      if (ancestors.includes(sourceValue)) continue;
      ancestors.push(sourceValue);
      if (Array.isArray(targetValue)) {
        mergeArrayItems(targetValue, sourceValue, ancestors);
      } else {
        const fresh: unknown[] = [];
        mergeArrayItems(fresh, sourceValue, ancestors);
        target[key] = fresh;
      }
      ancestors.pop();
      continue;
    }
    if (isPlainObject(sourceValue)) {
      if (ancestors.includes(sourceValue)) continue;
      ancestors.push(sourceValue);
      if (isPlainObject(targetValue)) {
        mergeRecursive(targetValue, sourceValue, ancestors);
      } else {
        const fresh: Plain = {};
        mergeRecursive(fresh, sourceValue, ancestors);
        target[key] = fresh;
      }
      ancestors.pop();
      continue;
    }
    if (sourceValue !== undefined || targetValue === undefined) target[key] = sourceValue;
  }
}

/**
 * Merges `source` into `target` (changed in place and returned), deeply, copying what it takes.
 *
 * @example
 * ```ts
 * deepMerge({ a: { x: 1 } }, { a: { y: 2 }, b: [1] }); // { a: { x: 1, y: 2 }, b: [1] }
 * ```
 */
export function deepMerge<T extends Plain>(target: T, source: Plain): T {
  mergeRecursive(target, source, [target, source]);
  return target;
}

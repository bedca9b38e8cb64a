/**
 * The modeled error classes of an AWS SDK client (`dist-es/models/errors.js`), one class per error
 * of the whole service, each ~270 bytes minified and all kept: the client's schemas register every
 * one, so the error a service answers comes out as its class. Each is the same few lines with a
 * name, a fault and a list of fields; this writes them as calls of one factory that makes the same
 * class (name, static shapeId, own properties in the same order, prototype chain), ~40 bytes each.
 * A file with any class that does not follow the pattern exactly is left as it is.
 * test/unit/bundle/compact-sdk-errors.test.ts compares every class with the SDK's.
 */

/** One class of the file, as the SDK's code generator writes it. */
const CLASS = new RegExp(
  [
    String.raw`export class (\w+) extends __BaseException \{\n`,
    String.raw`    static shapeId = "([^"#]+)#\1";\n`,
    String.raw`    name = "\1";\n`,
    String.raw`    \$fault = "(client|server)";\n`,
    String.raw`(?:    \$retryable = (\{\}|\{ throttling: true \});\n)?`,
    String.raw`((?:    \w+;\n)*)`,
    String.raw`    constructor\(opts\) \{\n`,
    String.raw`        super\(\{\n            name: "\1",\n            \$fault: "\3",\n            \.\.\.opts,\n        \}\);\n`,
    String.raw`        Object\.setPrototypeOf\(this, \1\.prototype\);\n`,
    String.raw`((?:        this\.\w+ = opts\.\w+;\n)*)`,
    String.raw`    \}\n\}\n`,
  ].join(""),
  "y",
);
const IMPORT = /^import \{ (\w+) as __BaseException \} from "(\.\/\w+)";\n/;

/**
 * The compact form of an SDK client's `models/errors.js`, or undefined when the file is not
 * exactly a run of generated error classes (then it is bundled as it is).
 *
 * @example
 * ```ts
 * const compact = compactSdkErrorClasses(readFileSync(errorsFile, "utf8")) ?? original;
 * ```
 */
export function compactSdkErrorClasses(source: string): string | undefined {
  const head = IMPORT.exec(source);
  if (!head) return undefined;
  let namespace: string | undefined;
  const calls: string[] = [];
  CLASS.lastIndex = head[0].length;
  while (CLASS.lastIndex < source.length) {
    const m = CLASS.exec(source);
    if (!m) return undefined;
    const [, name, ns, fault, retryable, declared = "", assigned = ""] = m;
    const fields = [...declared.matchAll(/^ {4}(\w+);$/gm)].map((f) => f[1]);
    const assignments = [...assigned.matchAll(/^ {8}this\.(\w+) = opts\.(\w+);$/gm)];
    // Every declared field is assigned from the option of its own name, in the same order.
    if (assignments.length !== fields.length || assignments.some((a, i) => a[1] !== fields[i] || a[2] !== fields[i])) return undefined;
    if (namespace !== undefined && ns !== namespace) return undefined;
    namespace = ns;
    // `$retryable` is a fresh object per error, as its field initializer makes one.
    const retryableArg = retryable === undefined ? "" : `, () => (${retryable})`;
    calls.push(`export const ${name} = /* @__PURE__ */ __error(${JSON.stringify(name)}, ${JSON.stringify(fault)}, ${JSON.stringify(fields)}${retryableArg});`);
  }
  if (namespace === undefined) return undefined;
  return `import { ${head[1]} as __BaseException } from "${head[2]}";
const __error = (name, fault, fields, retryable) => {
  const ErrorClass = { [name]: class extends __BaseException {
    static shapeId = ${JSON.stringify(`${namespace}#`)} + name;
    constructor(opts) {
      super({ name, $fault: fault, ...opts });
      this.name = name;
      this.$fault = fault;
      if (retryable) this.$retryable = retryable();
      Object.setPrototypeOf(this, ErrorClass.prototype);
      for (const field of fields) this[field] = opts[field];
    }
  } }[name];
  return ErrorClass;
};
${calls.join("\n")}
`;
}

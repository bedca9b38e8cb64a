/**
 * Signature checks compare in constant time. `Buffer.equals` or `===` would give the same answers
 * (so no behaviour test can tell), but they return at the first differing byte, which leaks how
 * much of a forged signature is right. This reads the code with the TypeScript compiler (types
 * included) and fails on any such comparison.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");

/** Every place that checks a signature or MAC, and the function that does the comparing. */
const SIGNATURE_CHECKS = [
  { file: "src/webhook/verify.ts", fn: "verifyWebhook" }, // Standard Webhooks v1 (our endpoint)
  { file: "src/providers/tencent-im/usersig.ts", fn: "verifyUserSig" }, // TLSSigAPIv2 (IM sandbox)
  { file: "src/sandbox/sls/verify.ts", fn: "sameSignature" }, // SLS v1 / v4 (SLS sandbox)
];

/**
 * Equality between two non-literal strings or buffers that a signature-checking function may do
 * because neither side is secret (exact source text).
 */
const ALLOWED_EQUALITIES = new Set(['doc["TLS.identifier"] !== expected.identifier']);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(root, dir, f));
}

let program: ts.Program;
let checker: ts.TypeChecker;
let ours: ts.SourceFile[];

beforeAll(() => {
  const rootNames = [...sourceFiles("src"), ...sourceFiles("handlers")];
  program = ts.createProgram(rootNames, {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ["node"],
  });
  checker = program.getTypeChecker();
  const wanted = new Set(rootNames);
  ours = program.getSourceFiles().filter((f) => wanted.has(f.fileName));
});

const where = (node: ts.Node) => {
  const file = node.getSourceFile();
  return `${relative(root, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/** True for Buffer, Uint8Array and other byte arrays (a union counts if any member is one). */
function isBytes(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some(isBytes);
  const name = type.getSymbol()?.getName() ?? "";
  return name === "Buffer" || name === "Uint8Array" || name === "ArrayBufferView";
}

function isStringOrBytes(node: ts.Expression): boolean {
  const type = checker.getTypeAtLocation(node);
  const nonNullable = checker.getNonNullableType(type);
  return (nonNullable.flags & ts.TypeFlags.String) !== 0 || isBytes(nonNullable);
}

const isLiteral = (node: ts.Expression) => ts.isStringLiteralLike(node) || ts.isNumericLiteral(node) || node.kind === ts.SyntaxKind.NullKeyword;

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function findFunction(file: ts.SourceFile, name: string): ts.FunctionDeclaration | undefined {
  let found: ts.FunctionDeclaration | undefined;
  walk(file, (n) => {
    if (ts.isFunctionDeclaration(n) && n.name?.text === name) found = n;
  });
  return found;
}

describe("signature comparisons are constant-time", () => {
  it("no code in src/ or handlers/ compares bytes with Buffer#equals or Buffer.compare", () => {
    const found: string[] = [];
    for (const file of ours) {
      walk(file, (n) => {
        if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return;
        const method = n.expression.name.text;
        const target = n.expression.expression;
        if ((method === "equals" || method === "compare") && isBytes(checker.getTypeAtLocation(target))) found.push(`${where(n)} ${n.getText()}`);
        if (method === "compare" && ts.isIdentifier(target) && target.text === "Buffer") found.push(`${where(n)} ${n.getText()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("the list of signature checks is complete: exactly these files call timingSafeEqual", () => {
    const callers = new Set<string>();
    for (const file of ours) {
      walk(file, (n) => {
        if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "timingSafeEqual") {
          callers.add(relative(root, file.fileName));
        }
      });
    }
    expect([...callers].sort()).toEqual(SIGNATURE_CHECKS.map((c) => c.file).sort());
  });

  it.each(SIGNATURE_CHECKS)("$fn ($file) compares with timingSafeEqual and never with == on strings or bytes", ({ file, fn }) => {
    const source = program.getSourceFile(join(root, file));
    expect(source, file).toBeDefined();
    const body = findFunction(source as ts.SourceFile, fn);
    expect(body, `${fn} in ${file}`).toBeDefined();

    let constantTime = 0;
    const plainEqualities: string[] = [];
    walk(body as ts.FunctionDeclaration, (n) => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "timingSafeEqual") {
        expect(n.arguments.map((a) => isBytes(checker.getTypeAtLocation(a))), n.getText()).toEqual([true, true]);
        constantTime++;
      }
      if (ts.isBinaryExpression(n) && EQUALITY.has(n.operatorToken.kind)) {
        if (isLiteral(n.left) || isLiteral(n.right)) return;
        if (!isStringOrBytes(n.left) || !isStringOrBytes(n.right)) return;
        if (!ALLOWED_EQUALITIES.has(n.getText())) plainEqualities.push(`${where(n)} ${n.getText()}`);
      }
    });
    expect(constantTime, `timingSafeEqual calls in ${fn}`).toBeGreaterThan(0);
    expect(plainEqualities).toEqual([]);
  });
});

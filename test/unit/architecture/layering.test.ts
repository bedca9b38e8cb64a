/**
 * The local stack (src/local) builds on the provider sandboxes (src/sandbox), never the reverse:
 * a sandbox is usable alone (tests start one without the rest of the stack), so it must not
 * import anything of the stack. Read from the source, every static and dynamic import.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every relative import of `file`, resolved against the repository root. */
function importsOf(file: string, source = readFileSync(file, "utf8")): string[] {
  return [...source.matchAll(IMPORT)].flatMap(([, spec]) => (spec!.startsWith(".") ? [path.normalize(path.join(path.dirname(file), spec!))] : []));
}

function wrongWay(files: readonly string[], read?: (file: string) => string): string[] {
  return files.flatMap((file) => importsOf(file, read?.(file)).filter((target) => target.startsWith(`src${path.sep}local${path.sep}`)).map((target) => `${file} -> ${target}`));
}

describe("src/local and src/sandbox", () => {
  it("src/sandbox imports nothing from src/local", () => {
    const files = sourceFiles("src/sandbox");
    expect(files.length).toBeGreaterThan(5);
    expect(wrongWay(files)).toEqual([]);
  });

  it("the check sees an import in the wrong direction, static or dynamic", () => {
    const file = path.join("src", "sandbox", "sls", "server.ts");
    for (const line of ['import { x } from "../../local/stack.ts";', 'export { x } from "../../local/sqs.ts";', 'await import("../../local/dynalite.ts");', 'import "../../local/stack.ts";']) {
      expect(wrongWay([file], () => line)).toHaveLength(1);
    }
    expect(wrongWay([file], () => 'import { x } from "../faults.ts";')).toEqual([]);
  });

  it("src/local does use src/sandbox (the direction that is allowed)", () => {
    const targets = sourceFiles("src/local").flatMap((file) => importsOf(file));
    expect(targets.some((t) => t.startsWith(`src${path.sep}sandbox${path.sep}`))).toBe(true);
  });
});

describe("the core (src/ without the local stack and the sandboxes)", () => {
  const core = sourceFiles("src").filter((file) => !file.startsWith(`src${path.sep}local${path.sep}`) && !file.startsWith(`src${path.sep}sandbox${path.sep}`));
  const LAMBDA_TYPES = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']aws-lambda["']/;

  it("knows nothing about Lambda events: no aws-lambda import and nothing from handlers/", () => {
    expect(core.length).toBeGreaterThan(40);
    expect(core.filter((file) => LAMBDA_TYPES.test(readFileSync(file, "utf8")))).toEqual([]);
    expect(core.flatMap((file) => importsOf(file).filter((target) => target.startsWith(`handlers${path.sep}`)).map((target) => `${file} -> ${target}`))).toEqual([]);
  });

  it("the check sees either kind of import", () => {
    expect(LAMBDA_TYPES.test('import type { SQSEvent } from "aws-lambda";')).toBe(true);
    const file = path.join("src", "outcomes", "store.ts");
    expect(importsOf(file, 'import { handler } from "../../handlers/signup.ts";')).toEqual([path.join("handlers", "signup.ts")]);
  });
});

/**
 * The AWS SDK error classes as bundled (scripts/bundle/compact-sdk-errors.ts through the
 * compactSdkErrors plugin) are the SDK's: for every modeled error of each client the service
 * bundles, the same class name, static shapeId, prototype chain, and an instance with the same own
 * properties in the same order and values (`$retryable` a fresh object per error, as the SDK's).
 * Each errors module is bundled twice, with and without the plugin, and the two are compared.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { compactSdkErrorClasses } from "../../../scripts/bundle/compact-sdk-errors.ts";
import { compactSdkErrors } from "../../../scripts/esbuild-options.ts";

type ErrorClass = (new (opts: Record<string, unknown>) => Error) & { shapeId?: string };

const dir = mkdtempSync(join(tmpdir(), "compact-sdk-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = createRequire(import.meta.url);

/** The client's errors module bundled on its own, with or without the plugin. */
async function errorsOf(client: string, compact: boolean): Promise<Record<string, ErrorClass>> {
  const file = join(process.cwd(), `node_modules/@aws-sdk/${client}/dist-es/models/errors.js`);
  const outfile = join(dir, `${client}-${compact ? "compact" : "sdk"}.cjs`);
  await esbuild.build({
    stdin: { contents: `export * from ${JSON.stringify(file)};`, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    mainFields: ["module", "main"],
    outfile,
    // Class names as written (esbuild would otherwise rename the SDK's to avoid clashes).
    keepNames: true,
    plugins: compact ? [compactSdkErrors] : [],
    logLevel: "silent",
  });
  return load(outfile) as Record<string, ErrorClass>;
}

/** What a caller can observe of an error: own properties in order, class, chain, message line. */
function observed(error: Error) {
  const chain: string[] = [];
  for (let p = Object.getPrototypeOf(error) as object | null; p; p = Object.getPrototypeOf(p) as object | null) chain.push(p.constructor.name);
  const own = Object.getOwnPropertyNames(error).filter((k) => k !== "stack");
  return {
    own,
    values: own.map((k) => (error as unknown as Record<string, unknown>)[k]),
    descriptors: own.map((k) => {
      const { value: _value, ...flags } = Object.getOwnPropertyDescriptor(error, k) ?? {};
      return flags;
    }),
    chain,
    firstStackLine: error.stack?.split("\n")[0],
    text: String(error),
  };
}

// The clients the bundles carry, and STS (its errors have `$retryable = { throttling: true }`).
const CLIENTS = ["client-dynamodb", "client-secrets-manager", "client-eventbridge", "client-sqs", "client-sts"];

describe("the bundled AWS SDK error classes", () => {
  it.each(CLIENTS)("%s: every modeled error is the SDK's class, field for field", async (client) => {
    const source = readFileSync(`node_modules/@aws-sdk/${client}/dist-es/models/errors.js`, "utf8");
    expect(compactSdkErrorClasses(source), "the file follows the generated pattern (else the plugin leaves it)").toBeDefined();
    const sdk = await errorsOf(client, false);
    const compact = await errorsOf(client, true);
    expect(Object.keys(compact).sort()).toEqual(Object.keys(sdk).sort());
    expect(Object.keys(sdk).length).toBeGreaterThan(5);
    for (const [name, Sdk] of Object.entries(sdk)) {
      const Compact = compact[name] as ErrorClass;
      expect([Compact.name, Compact.shapeId], name).toEqual([Sdk.name, Sdk.shapeId]);
      // Every option a generated constructor might read, plus the base exception's.
      const opts: Record<string, unknown> = { message: `${name} happened`, $metadata: { httpStatusCode: 400, requestId: "req-1" }, Item: { pk: { S: "a" } } };
      for (const field of ["Message", "CancellationReasons", "ThrottlingReasons", "throttlingReasons", "Reason", "Code"]) opts[field] = `${field}-value`;
      const fromSdk = new Sdk(opts);
      const fromCompact = new Compact(opts);
      expect(observed(fromCompact), name).toEqual(observed(fromSdk));
      expect(fromCompact).toBeInstanceOf(Compact);
      expect(fromCompact.constructor).toBe(Compact);
      const retryable = (e: Error) => (e as Error & { $retryable?: object }).$retryable;
      if (retryable(fromSdk) !== undefined) expect(retryable(new Compact(opts)), `${name}: a fresh $retryable`).not.toBe(retryable(fromCompact));
    }
  });

  it("leaves a file that does not follow the generated pattern as it is", () => {
    const source = readFileSync("node_modules/@aws-sdk/client-dynamodb/dist-es/models/errors.js", "utf8");
    expect(compactSdkErrorClasses(source.replace("this.Item = opts.Item;", "this.Item = opts.Item ?? null;"))).toBeUndefined();
    expect(compactSdkErrorClasses(source.replace('$fault = "client";\n    Item;', '$fault = "client";\n    Item = 1;'))).toBeUndefined();
    expect(compactSdkErrorClasses(`${source}export const extra = 1;\n`)).toBeUndefined();
  });
});

/**
 * Guards what goes into the handler bundles, from one in-memory esbuild run over every handler
 * with the deploy options (nothing is written):
 * - the cold-start budget: zod/mini, never zod classic (`import * as z from "zod"` adds ~65 KB and
 *   ~12 ms of cold init per handler, DESIGN.md);
 * - tests-only packages (every devDependency: the official SLS SDKs, tls-sig-api-v2, dynalite...)
 *   never reach a Lambda;
 * - the size budget (issue 11: at most 400 KB a bundle; BUDGET_BYTES; bytes are deterministic for
 *   a given lockfile, unlike cold-start time, which `npm run bench` measures and no test asserts);
 * - what the bundle plugins leave out stays out (each check below fails without its plugin).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { HANDLERS, bundleOptions } from "../../../scripts/esbuild-options.ts";

/** zod classic (v4) and the zod 3 compatibility build; zod/mini lives in node_modules/zod/v4/mini. */
const ZOD_CLASSIC = /node_modules\/zod\/(v4\/classic|v3)\//;
const ZOD_MINI = /node_modules\/zod\/v4\/mini\//;

/** The bundle inputs of each handler's output file. */
let inputsByHandler: Record<string, string[]>;
/** The inputs with code in the output (tree shaking drops what nothing calls). */
let codeByHandler: Record<string, string[]>;
/** The size of each handler's bundle, bytes. */
let bytesByHandler: Record<string, number>;
/** Each handler's bundle text. */
let textByHandler: Record<string, string>;

/**
 * Bytes a bundle may have, a little over each one's size on 2026-11-30 after the bundle plugins of
 * scripts/esbuild-options.ts (signup 392.2 KB, offboard 391.3, backfill 393.0, status 276.8,
 * webhook 417.4), so growth is a decision, not a drift. Issue 11's limit is 400 KB; the webhook is
 * over it by the SQS client of its hand-off to the signup queue (~22 KB: client, schemas, errors,
 * endpoint rules), and its budget keeps it from growing while that stands.
 */
const KB = 1024;
const BUDGET_BYTES: Record<string, number> = { webhook: 420 * KB, status: 285 * KB, signup: 400 * KB };
const DEFAULT_BUDGET_BYTES = 396 * KB;

beforeAll(async () => {
  const result = await esbuild.build({
    ...bundleOptions,
    entryPoints: Object.fromEntries(HANDLERS.map((name) => [name, `handlers/${name}.ts`])),
    outdir: "dist-metafile-check",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  inputsByHandler = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, output]) => [file, Object.keys(output.inputs)]));
  bytesByHandler = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, output]) => [file, output.bytes]));
  textByHandler = Object.fromEntries(result.outputFiles.map((file) => [path.relative(process.cwd(), file.path), file.text]));
  codeByHandler = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, output]) => [
      file,
      Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
    ]),
  );
}, 30_000);

describe("handler bundles", () => {
  it("contain zod/mini and no zod classic", () => {
    expect(Object.keys(inputsByHandler)).toHaveLength(HANDLERS.length);
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      expect(inputs.filter((p) => ZOD_CLASSIC.test(p)), `${file} bundles zod classic`).toEqual([]);
      expect(inputs.some((p) => ZOD_MINI.test(p)), `${file} should validate with zod/mini`).toBe(true);
    }
  });

  it("contain no devDependency (tests-only packages such as the official SLS SDKs)", () => {
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { devDependencies: Record<string, string> };
    const devOnly = Object.keys(manifest.devDependencies);
    expect(devOnly).toEqual(expect.arrayContaining(["@alicloud/log", "@alicloud/sls20201230", "tls-sig-api-v2"]));
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      // The same path match finds a dependency that is bundled, so a leak could not hide from it.
      expect(inputs.some((p) => p.includes("node_modules/@middy/core/")), `${file} inputs`).toBe(true);
      const leaked = inputs.filter((p) => devOnly.some((name) => p.includes(`node_modules/${name}/`)));
      expect(leaked, `${file} bundles tests-only packages`).toEqual([]);
    }
  });

  it("stay within the size budget", () => {
    expect(Object.keys(bytesByHandler)).toHaveLength(HANDLERS.length);
    for (const [file, bytes] of Object.entries(bytesByHandler)) {
      const name = HANDLERS.find((h) => file.endsWith(`/${h}.js`)) ?? file;
      const budget = BUDGET_BYTES[name] ?? DEFAULT_BUDGET_BYTES;
      expect(bytes, `${name}: ${(bytes / KB).toFixed(1)} KB, budget ${budget / KB} KB`).toBeLessThanOrEqual(budget);
    }
  });

  it("carry none of the AWS SDK's event-stream code (no client of ours has an event-stream operation)", () => {
    for (const [file, inputs] of Object.entries(codeByHandler)) {
      expect(inputs.filter((p) => p.includes("/@smithy/core/dist-es/submodules/event-streams/")), `${file} bundles SDK event streams`).toEqual([]);
      // The same path match finds the SDK code that is bundled.
      expect(inputs.some((p) => p.includes("/@smithy/core/dist-es/submodules/protocols/")), `${file} inputs`).toBe(true);
    }
  });

  it("carry none of the SDK's JavaScript SHA-256/MD5 fallbacks (node:crypto makes both on Lambda)", () => {
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      expect(inputs.filter((p) => /\/@smithy\/core\/dist-es\/submodules\/checksum\/(sha256\/Sha256Js|md5\/Md5Js)\.js$/.test(p)), `${file} bundles a JS hash fallback`).toEqual([]);
      // The same path match finds the native classes that choose between them.
      expect(inputs.some((p) => p.endsWith("/@smithy/core/dist-es/submodules/checksum/sha256/Sha256Node.js")), `${file} inputs`).toBe(true);
    }
    const webhook = Object.entries(inputsByHandler).find(([file]) => file.endsWith("webhook.js"))?.[1] ?? [];
    expect(webhook.some((p) => p.endsWith("/@smithy/core/dist-es/submodules/checksum/md5/Md5Node.js")), "webhook (SQS) inputs").toBe(true);
  });

  it("carry only the SQS schema structures of the operations sent (the webhook's SendMessage), not the whole service's", () => {
    const webhook = Object.entries(textByHandler).find(([file]) => file.endsWith("webhook.js"))?.[1] ?? "";
    // Structure names are schema strings in the bundle; the error structures stay (errors are typed by them).
    expect(webhook).toContain('"SendMessageRequest"');
    expect(webhook).toContain('"QueueDoesNotExist"');
    for (const unused of ["ReceiveMessageRequest", "AddPermissionRequest", "TagQueueRequest", "ChangeMessageVisibilityBatchRequest"]) {
      expect(webhook, `webhook bundles the SQS ${unused} structure`).not.toContain(`"${unused}"`);
    }
  });

  it("carry no lib-dynamodb module nothing uses (its paginators)", () => {
    for (const [file, inputs] of Object.entries(codeByHandler)) {
      expect(inputs.filter((p) => p.includes("/@aws-sdk/lib-dynamodb/dist-es/pagination/")), `${file} bundles lib-dynamodb paginators`).toEqual([]);
      // The same path match finds the document client that is used.
      expect(inputs.some((p) => p.endsWith("/@aws-sdk/lib-dynamodb/dist-es/DynamoDBDocumentClient.js")), `${file} inputs`).toBe(true);
    }
  });

  it("the status route reads the outcome store and carries no provider client, secret source or queue", () => {
    const status = Object.entries(codeByHandler).find(([file]) => file.endsWith("status.js"))?.[1] ?? [];
    expect(status.some((p) => p.endsWith("src/outcomes/store.ts")), "status bundles the outcome store").toBe(true);
    // The configuration's provider facts and rules are all it shares with them: the constants (IM
    // domains, limits), the SLS name rules (sls/names.ts) and the GroupId prefix rule (tencent-im/group-id.ts).
    const unneeded = status.filter((p) =>
      /src\/providers\/(?!(.*\/constants|sls\/names|tencent-im\/group-id)\.ts$)|src\/credentials\/|src\/queue\/|node_modules\/@aws-sdk\/client-(secrets-manager|sqs|eventbridge)\//.test(p),
    );
    expect(unneeded).toEqual([]);
    // The same check finds them where they belong.
    const webhook = Object.entries(codeByHandler).find(([file]) => file.endsWith("webhook.js"))?.[1] ?? [];
    expect(webhook.some((p) => p.includes("src/providers/"))).toBe(true);
  });
});

/**
 * Guards what goes into the handler bundles, from one in-memory esbuild run over every handler
 * with the deploy options (nothing is written):
 * - the cold-start budget: zod/mini, never zod classic (`import * as z from "zod"` adds ~65 KB and
 *   ~12 ms of cold init per handler, DESIGN.md);
 * - tests-only packages (every devDependency: the official SLS SDKs, tls-sig-api-v2, dynalite...)
 *   never reach a Lambda;
 * - the size budget (issue 11: at most 400 KB a bundle, with a margin; BUDGET_BYTES; bytes are deterministic for
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
 * Bytes a bundle may have, a little over each one's size on 2026-12-01 after the bundle plugins of
 * scripts/esbuild-options.ts and the webhook's own SQS SendMessage (src/queue/sqs-send-message.ts,
 * in place of `@aws-sdk/client-sqs`): signup 373.7 KB, offboard 372.8, backfill 374.4, status
 * 268.6, webhook 383.6. Issue 11's limit is 400 KB; growth is a decision, not a drift. With the
 * owed announcements (+4.9-6.2 KB each), outcome events through the service's own PutEvents
 * (src/events/put-events.ts, not `@aws-sdk/client-eventbridge`) and no adaptive retry mode:
 * signup 371.6, offboard 370.7, backfill 372.4, status 270.4, webhook 378.5 (2026-12-01). The SDK's
 * NodeHttpHandler left out (the clients send over src/http): about 7 KB less again. The
 * SLS_LOGSTORE_AUTO_CREATE settings, in the configuration every handler reads: +0.7 KB each
 * (status 271.9 -> 272.6). DynamoDB through the service's own client (src/aws/dynamodb, not
 * `@aws-sdk/client-dynamodb` and lib-dynamodb): signup 344.5, offboard 343.5, backfill 345.9,
 * status 171.8, webhook 351.5 KB; with the logstore growth merged beside it: signup 347.9,
 * offboard 347.0, backfill 349.3, status 172.5, webhook 355.0 KB. The transport's per-attempt
 * object and shared listeners (src/http/request.ts): +1.2 KB each. The webhook's 415 as a typed
 * error mapped by httpErrorResponses, and AWS calls given up at the deadline raising
 * AwsCallDeadlineError: webhook 358.0 KB. Aborts ending a backoff (src/http/abort.ts), the
 * backfill's IM limiter counters in its report, and every entry point keeping a step's retry wait
 * (`not-due`, the backfill's `notDue`, `--now`): backfill 351.97, webhook 358.7 KB (2026-12-01);
 * backfill's budget 356 KB, webhook's 362 KB, so the next small fix is not a budget decision.
 * The service's own logger and EMF metrics (src/observability) in place of Powertools for AWS
 * Lambda (~33 KB of each bundle, ~5 KB of our own in its place): signup 322.6, offboard 322.1,
 * backfill 324.5, status 144.8, webhook 331.7 KB (2026-12-01); budgets lowered to those plus
 * ~3-4 KB, the same room as before, so the 28 KB saved is not spent without a decision.
 * The text rules placing joiners, variation selectors, flag tags, bidi marks and combining marks
 * where text needs them, naming the offending code point, and building their expressions on the
 * first text that needs them rather than at load (src/validation/readable-text.ts; ~10M fewer
 * cold-init instructions each): +2.6 KB in each bundle but status, which judges no text (signup
 * 324.3 -> 326.9, offboard 323.7 -> 326.3, backfill 326.1 -> 328.7, webhook 333.3 -> 335.9 KB;
 * 2026-12-01): those budgets +2 KB, about the room they had. Stored tenant requests read by their
 * shape (src/provisioning/tenant.ts `storedTenantShape`) and offboarded from what identifies their
 * resources when even that fails (+1.7 KB), beside the SDK's UUIDs from node:crypto and the rare
 * paths' schemas built on first use (+0.5 KB): signup 329.6, offboard 329.1, backfill 331.4,
 * webhook 338.6, status 145.8 KB; budgets +3 KB, the room they had. Then the text rules placing
 * selectors, joiners and bidi marks by the characters around them, every issue naming its code
 * point and position (+1.8 KB), and stored snapshots that name another tenant or are not objects
 * read as unreadable, one spoiled tenant never stopping the backfill (+1.3 KB): signup 332.9,
 * offboard 332.3, backfill 334.8, webhook 341.9, status 146.0 KB; budgets +3 KB again.
 */
const KB = 1024;
const BUDGET_BYTES: Record<string, number> = { webhook: 345 * KB, backfill: 338 * KB, status: 148 * KB };
const DEFAULT_BUDGET_BYTES = 336 * KB;

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

/** The entries of the bundles that carry an AWS SDK client (the checks of what SDK code they leave out apply to these). */
function withSdkClient<T>(byHandler: Record<string, T>): [string, T][] {
  return Object.entries(byHandler).filter(([file]) => inputsByHandler[file]?.some((p) => /node_modules\/@aws-sdk\/client-/.test(p)));
}

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
    for (const [file, inputs] of withSdkClient(codeByHandler)) {
      expect(inputs.filter((p) => p.includes("/@smithy/core/dist-es/submodules/event-streams/")), `${file} bundles SDK event streams`).toEqual([]);
      // The same path match finds the SDK code that is bundled.
      expect(inputs.some((p) => p.includes("/@smithy/core/dist-es/submodules/protocols/")), `${file} inputs`).toBe(true);
    }
  });

  it("carry none of the SDK's JavaScript SHA-256/MD5 fallbacks (node:crypto makes both on Lambda)", () => {
    for (const [file, inputs] of withSdkClient(inputsByHandler)) {
      expect(inputs.filter((p) => /\/@smithy\/core\/dist-es\/submodules\/checksum\/(sha256\/Sha256Js|md5\/Md5Js)\.js$/.test(p)), `${file} bundles a JS hash fallback`).toEqual([]);
      // The same path match finds the native classes that choose between them.
      expect(inputs.some((p) => p.endsWith("/@smithy/core/dist-es/submodules/checksum/sha256/Sha256Node.js")), `${file} inputs`).toBe(true);
    }
  });

  it("carry no AWS SDK SQS client: the webhook's one SQS call is its own SendMessage (src/queue/sqs-send-message.ts)", () => {
    for (const [file, inputs] of Object.entries(codeByHandler)) {
      expect(inputs.filter((p) => /node_modules\/@aws-sdk\/(client-sqs|middleware-sdk-sqs)\//.test(p)), `${file} bundles the SDK's SQS client`).toEqual([]);
    }
    // The same path match finds the client that replaces it, where it belongs.
    const webhook = Object.entries(codeByHandler).find(([file]) => file.endsWith("webhook.js"))?.[1] ?? [];
    expect(webhook.some((p) => p.endsWith("src/queue/sqs-send-message.ts"))).toBe(true);
  });

  it("carry no AWS SDK EventBridge client: outcome events go out through the service's own PutEvents (src/events/put-events.ts)", () => {
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      expect(inputs.filter((p) => /node_modules\/@aws-sdk\/(client-eventbridge|signature-v4-multi-region)\//.test(p)), `${file} bundles the SDK's EventBridge client`).toEqual([]);
    }
    // The same path match finds the client that replaces it, in every handler that announces outcomes.
    const withPutEvents = Object.entries(codeByHandler).filter(([, inputs]) => inputs.some((p) => p.endsWith("src/events/put-events.ts")));
    expect(withPutEvents.map(([file]) => HANDLERS.find((h) => file.endsWith(`/${h}.js`))).sort()).toEqual(["backfill", "offboard", "signup", "webhook"]);
  });

  it("never read the global (Web Crypto) crypto: the SDK's UUIDs come from node:crypto's randomUUID (nodeCryptoUuid)", () => {
    for (const [file, text] of Object.entries(textByHandler)) {
      // The SDK's uuid module, bundled without the plugin: `typeof crypto<"u"&&typeof crypto.randomUUID=="function"`.
      expect(text, `${file} reads the global crypto`).not.toMatch(/typeof crypto\b/);
      expect(text, file).toContain(".randomUUID");
    }
  });

  it("carry none of the AWS SDK's adaptive retry mode (no client uses it; the template does not set AWS_RETRY_MODE)", () => {
    for (const [file, text] of withSdkClient(textByHandler)) {
      expect(text, `${file} bundles the adaptive mode's rate limiter`).not.toContain("lastThrottleTime");
      expect(text, `${file} is built with noAdaptiveRetry`).toContain("noAdaptiveRetry");
    }
    expect(readFileSync("serverless.yml", "utf8")).not.toContain("AWS_RETRY_MODE");
  });

  it("carry none of the SDK's NodeHttpHandler: every SDK client sends through the handler it is built with (src/aws/deadline-bound-http-handler.ts)", () => {
    for (const [file, inputs] of withSdkClient(inputsByHandler)) {
      expect(inputs.filter((p) => p.includes("node_modules/@smithy/node-http-handler/")), `${file} bundles the SDK's NodeHttpHandler`).toEqual([]);
      // The same path match finds the handler that replaces it, and the stand-in the clients' configs import.
      expect(inputs.some((p) => p.endsWith("src/aws/deadline-bound-http-handler.ts")), `${file} inputs`).toBe(true);
      expect(inputs.some((p) => p.endsWith("scripts/bundle/given-request-handler-only.js")), `${file} inputs`).toBe(true);
    }
  });

  it("read the AWS SDK's settings from the environment alone: no shared config file loader, no IMDS region lookup", () => {
    for (const [file, inputs] of withSdkClient(codeByHandler)) {
      expect(inputs.filter((p) => p.includes("/@smithy/core/dist-es/submodules/config/shared-ini-file-loader/")), `${file} bundles the INI file loader`).toEqual([]);
      // The same path match finds the settings chain that remains.
      expect(inputs.some((p) => p.endsWith("/@smithy/core/dist-es/submodules/config/node-config-provider/configLoader.js")), `${file} inputs`).toBe(true);
    }
    for (const [file, text] of withSdkClient(textByHandler)) {
      expect(text, file).toContain("noSharedConfigFilesOrImds");
      // The IMDS client's token and endpoint (the SDK's, bundled without the plugin).
      expect(text, `${file} bundles the IMDS region lookup`).not.toMatch(/latest\/api\/token|169\.254\.169\.254/);
    }
    // What the bundles leave out, the deployed functions must not rely on.
    const template = readFileSync("serverless.yml", "utf8");
    for (const variable of ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"]) expect(template).not.toContain(variable);
  });

  it("make the AWS SDK's modeled error classes with one factory (scripts/bundle/compact-sdk-errors.ts), not one class body each", () => {
    for (const [file, text] of withSdkClient(textByHandler)) {
      // Each class body names its full shape id; the factory joins the namespace and the name.
      expect(text, `${file} bundles the SDK's error class bodies`).not.toContain('"com.amazonaws.secretsmanager#ResourceNotFoundException"');
      expect(text, file).toContain('"ResourceNotFoundException"');
    }
  });

  it("carry no AWS SDK DynamoDB client or lib-dynamodb: the outcome table is read and written through the service's own client (src/aws/dynamodb)", () => {
    for (const [file, inputs] of Object.entries(inputsByHandler)) {
      expect(inputs.filter((p) => /node_modules\/@aws-sdk\/(client-dynamodb|lib-dynamodb)\//.test(p)), `${file} bundles the SDK's DynamoDB client`).toEqual([]);
      // The same path match finds the client that replaces it, and the marshalling it keeps.
      expect(inputs.some((p) => p.endsWith("src/aws/dynamodb/document-client.ts")), `${file} inputs`).toBe(true);
      expect(inputs.some((p) => /node_modules\/@aws-sdk\/util-dynamodb\//.test(p)), `${file} inputs`).toBe(true);
    }
    // The SDK clients left: Secrets Manager, where provider credentials are read; the status route has none.
    expect(withSdkClient(inputsByHandler).map(([file]) => HANDLERS.find((h) => file.endsWith(`/${h}.js`))).sort()).toEqual(["backfill", "offboard", "signup", "webhook"]);
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

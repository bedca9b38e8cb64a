/**
 * How many zod schemas each handler bundle builds while it loads, counted through zod's own
 * construction hook (`globalThis.__zod_globalConfig.postProcessor`, called once per schema or
 * check built) in a fresh Node process per bundle, the way the Lambda runtime loads it (require).
 *
 * Why a budget: on 2026-12-01 the schemas built at module scope were the largest share of the
 * signup bundle's cold init that the code controls (zod's code and ours compiled and run, ~21% of
 * the instructions of the init above an empty bundle; each schema ~21,000 instructions and ~2 KB
 * of young heap, and the heap they fill is what makes the three scavenges of an init). A schema
 * added at module scope costs every cold start of every handler that bundles its module, so the
 * count grows by decision, like the byte budget (zod-mini.test.ts), not by drift. Counts, unlike
 * times, are the same on every run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HANDLERS, bundleOptions } from "../../../scripts/esbuild-options.ts";

/**
 * Schemas a bundle may build at load: a little over each one's count on 2026-12-01 once the
 * outcome items, IM answers and the configuration share their leaf rules
 * (src/outcomes/item-parsing.ts, src/providers/tencent-im/wire.ts, src/config/config.ts): signup
 * and webhook 596 (706 before), offboard and backfill 574 (684), status 291 (377). Then the
 * schemas of paths no handler's typical invocation takes (IM group updates and raw create_group,
 * SLS consumer group updates, List and CreateLogStore, `logstores add`, failed-outcome events, owed
 * announcements, the queue's offboarding detail, and the rarer outcome store operations) built on
 * first use (`z.lazy`): signup and webhook 509, offboard and backfill 489, status 265. Then +20
 * for the stored-request shape (src/provisioning/tenant.ts `storedTenantShape`: a stored request
 * is read by its shape, not by the input rules, so it is a schema of its own, used by every
 * re-drive, update and offboarding; its leaves shared with the input schema are built once):
 * signup and webhook 529, offboard and backfill 509.
 */
const BUDGET: Record<(typeof HANDLERS)[number], number> = { signup: 535, webhook: 535, offboard: 515, backfill: 515, status: 270 };

/** The environment the configuration needs (dummy values, as in bench/lib.ts LAMBDA_ENV). */
const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIAZODSCHEMACOUNT00",
  AWS_SECRET_ACCESS_KEY: "zod-schema-count-secret",
  AWS_LAMBDA_FUNCTION_NAME: "tenant-provisioner-test",
  SLS_ENDPOINT: "cn-shanghai.log.aliyuncs.com",
  SLS_PROJECT: "test-project",
  SLS_LOGSTORE: "test-logstore",
  IM_DOMAIN: "console.tim.qq.com",
  SLS_SECRET_ID: "test/sls",
  IM_SECRET_ID: "test/im",
  WEBHOOK_SECRET_ID: "test/webhook",
  OUTCOME_TABLE_NAME: "test-outcomes",
  SIGNUP_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/test-signup",
};

/** Loads the bundle given as its argument and prints the schemas zod built meanwhile. */
const COUNTER = `"use strict";
let built = 0;
globalThis.__zod_globalConfig = { postProcessor: () => { built++; } };
const mod = require(process.argv[2]);
if (typeof mod.handler !== "function") throw new Error("no handler exported");
process.stdout.write(String(built));
`;

let dir: string;
const builtAtLoad: Record<string, number> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "zod-schemas-at-load-"));
  await esbuild.build({
    ...bundleOptions,
    entryPoints: Object.fromEntries(HANDLERS.map((name) => [name, `handlers/${name}.ts`])),
    outdir: dir,
    outExtension: { ".js": ".cjs" },
    logLevel: "silent",
  });
  const counter = path.join(dir, "count.cjs");
  writeFileSync(counter, COUNTER);
  for (const name of HANDLERS) {
    const run = spawnSync(process.execPath, [counter, path.join(dir, `${name}.cjs`)], { env: ENV, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`${name} failed to load: ${run.stderr}`);
    builtAtLoad[name] = Number(run.stdout);
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("zod schemas built while a handler bundle loads", () => {
  it("are counted through zod's construction hook (the configuration alone builds a hundred)", () => {
    for (const name of HANDLERS) expect(builtAtLoad[name], name).toBeGreaterThan(100);
  });

  it("stay within each handler's budget", () => {
    for (const name of HANDLERS) {
      expect.soft(builtAtLoad[name], `${name}: ${builtAtLoad[name]} schemas built at load, budget ${BUDGET[name]}`).toBeLessThanOrEqual(BUDGET[name]);
    }
  });
});

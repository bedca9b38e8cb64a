/**
 * The nodeCryptoUuid bundle plugin (scripts/esbuild-options.ts): the AWS SDK's UUID v4
 * (`@smithy/core/serde` `v4` and `generateIdempotencyToken`) bundled with it makes every id with
 * `node:crypto`'s `randomUUID`, where the SDK's own module uses the global (Web Crypto)
 * `crypto.randomUUID` on this Node, and loading it no longer makes Node load its Web Crypto
 * module. Bundled twice, with and without the plugin; each bundle runs in a fresh Node process,
 * since which built-in modules a process has loaded is the point.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { nodeCryptoUuid } from "../../../scripts/esbuild-options.ts";

const dir = mkdtempSync(join(tmpdir(), "node-crypto-uuid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function uuidBundle(withPlugin: boolean): Promise<{ file: string; text: string }> {
  const file = join(dir, `uuid-${withPlugin ? "plugin" : "sdk"}.cjs`);
  await esbuild.build({
    stdin: { contents: 'export { v4, generateIdempotencyToken } from "@smithy/core/serde";', resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    outfile: file,
    plugins: withPlugin ? [nodeCryptoUuid] : [],
    logLevel: "silent",
  });
  return { file, text: readFileSync(file, "utf8") };
}

/**
 * Loads a bundle in a fresh process and reports: whether loading it loaded Web Crypto, 200 ids of
 * each function, and what each returns when the global `crypto.randomUUID` and then `node:crypto`'s
 * `randomUUID` are replaced by markers (which of the two the bundle calls).
 */
const PROBE = `"use strict";
const nodeCrypto = require("node:crypto");
const m = require(process.argv[2]);
const webCryptoAtLoad = process.moduleLoadList.includes("NativeModule internal/crypto/webcrypto");
const ids = [];
for (let i = 0; i < 200; i++) ids.push(m.v4(), m.generateIdempotencyToken());
const realGlobal = globalThis.crypto.randomUUID;
const realNode = nodeCrypto.randomUUID;
globalThis.crypto.randomUUID = () => "global";
nodeCrypto.randomUUID = () => "node:crypto";
const calls = [m.v4(), m.generateIdempotencyToken()];
globalThis.crypto.randomUUID = realGlobal;
nodeCrypto.randomUUID = realNode;
process.stdout.write(JSON.stringify({ webCryptoAtLoad, ids, calls }));
`;

function probe(file: string): { webCryptoAtLoad: boolean; ids: string[]; calls: string[] } {
  const probeFile = join(dir, "probe.cjs");
  writeFileSync(probeFile, PROBE);
  const run = spawnSync(process.execPath, [probeFile, file], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/** An RFC 9562 version 4 UUID, lower-case as both functions write it. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("nodeCryptoUuid", () => {
  it("makes the SDK's ids with node:crypto's randomUUID, where the SDK takes the global crypto.randomUUID, without loading Web Crypto", async () => {
    const sdk = probe((await uuidBundle(false)).file);
    const bundled = await uuidBundle(true);
    const ours = probe(bundled.file);
    // On this Node the SDK's module takes the global's randomUUID (not its getRandomValues fallback),
    // and reading the global loads Web Crypto as the module loads.
    expect(sdk.calls).toEqual(["global", "global"]);
    expect(sdk.webCryptoAtLoad).toBe(true);
    // Ours: node:crypto's randomUUID, the function the global's method calls, and Web Crypto stays unloaded.
    expect(ours.calls).toEqual(["node:crypto", "node:crypto"]);
    expect(ours.webCryptoAtLoad).toBe(false);
    for (const { ids } of [sdk, ours]) {
      expect(ids.filter((id) => !UUID_V4.test(id))).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    }
    // The fallback's hex table is not bundled.
    expect(bundled.text).not.toContain("padStart(2");
  });
});

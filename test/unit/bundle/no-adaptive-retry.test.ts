/**
 * The noAdaptiveRetry bundle plugin (scripts/esbuild-options.ts): the AWS SDK's retry
 * configuration bundled with it picks the same standard strategy as the SDK's for the standard
 * mode (and by default), carries none of the adaptive mode's rate limiter, and fails loudly,
 * naming the setting, if adaptive mode were chosen. Bundled twice, with and without the plugin.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { noAdaptiveRetry } from "../../../scripts/esbuild-options.ts";

type RetryConfig = { retryStrategy: () => Promise<{ mode: string; constructor: { name: string } }> };
type RetryModule = { resolveRetryConfig: (input: { retryMode?: string; maxAttempts?: number }) => RetryConfig };

const dir = mkdtempSync(join(tmpdir(), "no-adaptive-retry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = createRequire(import.meta.url);

async function retryModule(withPlugin: boolean): Promise<{ module: RetryModule; text: string }> {
  const outfile = join(dir, `retry-${withPlugin ? "plugin" : "sdk"}.cjs`);
  await esbuild.build({
    stdin: { contents: 'export { resolveRetryConfig } from "@smithy/core/retry";', resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    mainFields: ["module", "main"],
    outfile,
    keepNames: true,
    plugins: withPlugin ? [noAdaptiveRetry] : [],
    logLevel: "silent",
  });
  return { module: load(outfile) as RetryModule, text: readFileSync(outfile, "utf8") };
}

describe("noAdaptiveRetry", () => {
  it("keeps the standard strategy the SDK picks, drops the adaptive mode's rate limiter, and refuses adaptive mode by name", async () => {
    const sdk = await retryModule(false);
    const bundled = await retryModule(true);
    for (const input of [{}, { retryMode: "standard" }, { retryMode: "standard", maxAttempts: 5 }]) {
      const [a, b] = await Promise.all([sdk.module.resolveRetryConfig({ ...input }).retryStrategy(), bundled.module.resolveRetryConfig({ ...input }).retryStrategy()]);
      expect([b.constructor.name, b.mode]).toEqual([a.constructor.name, a.mode]);
      expect(b.mode).toBe("standard");
    }
    // The SDK's own bundle has adaptive mode and its limiter; ours has neither.
    expect((await sdk.module.resolveRetryConfig({ retryMode: "adaptive" }).retryStrategy()).mode).toBe("adaptive");
    expect(sdk.text).toContain("lastThrottleTime");
    expect(bundled.text).not.toContain("lastThrottleTime");
    await expect(bundled.module.resolveRetryConfig({ retryMode: "adaptive" }).retryStrategy()).rejects.toThrow(/AWS_RETRY_MODE=adaptive.*not bundled/);
  });
});

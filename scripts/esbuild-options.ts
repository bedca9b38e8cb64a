import type { BuildOptions } from "esbuild";

/** The Lambda entry points, one bundle each (handlers/<name>.ts). */
export const HANDLERS = ["signup", "webhook", "status", "backfill"] as const;

/**
 * One set of bundle options for `npm run build`, the benchmarks and serverless.yml.
 * - CJS output: measured here, an ESM `import` of node:http also loads the built-in fetch stack
 *   on cold start where `require` does not.
 * - The AWS SDK is bundled (using the runtime's copy made cold init 13-49 ms slower here).
 * - `module` first in mainFields: the default picked CJS builds that cost +140 KB and +24 ms.
 */
export const bundleOptions: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  minify: true,
  sourcemap: false,
  mainFields: ["module", "main"],
  legalComments: "none",
  logLevel: "warning",
};

/**
 * serverless-esbuild's configuration for `npm run package` / `osls deploy`: the shared bundle
 * options of scripts/esbuild-options.ts (so the deployed bundles are the ones `npm run build`,
 * the benchmarks and the tests measure), plus the plugin's own settings.
 *
 * serverless.yml names this file as `custom.esbuild.config`; serverless-esbuild `require()`s it
 * and calls the result, so the function is exported as `module.exports` (Node 24 returns that
 * export from `require()` of an ES module; `npm run` puts the project's Node 24 first on PATH).
 */
import { bundleOptions } from "./esbuild-options.ts";

/** serverless-esbuild's settings on top of esbuild's own options. */
export interface ServerlessEsbuildOptions {
  /** Packages left out of the bundle and installed into the zip; none here (the SDK is bundled). */
  external: string[];
  /** Its default is `["aws-sdk"]`; empty so no `npm install` runs while packaging. */
  exclude: string[];
}

/**
 * The options serverless-esbuild bundles each function with.
 *
 * @example
 * ```ts
 * const options = serverlessEsbuildOptions();
 * ```
 */
export function serverlessEsbuildOptions(): typeof bundleOptions & ServerlessEsbuildOptions {
  return { ...bundleOptions, external: bundleOptions.external ?? [], exclude: [] };
}

export { serverlessEsbuildOptions as "module.exports" };

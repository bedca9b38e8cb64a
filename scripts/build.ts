/**
 * Bundles each Lambda handler with esbuild, the way serverless-esbuild does for deploys
 * (the options live in one place: scripts/esbuild-options.ts), into dist/<name>/index.cjs.
 *
 *   npm run build            # all handlers
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import * as esbuild from "esbuild";
import { HANDLERS, bundleOptions } from "./esbuild-options.ts";

export async function buildHandlers(outDir = "dist"): Promise<{ name: string; bytes: number; gzipBytes: number; file: string }[]> {
  await rm(outDir, { recursive: true, force: true });
  const results = [];
  for (const name of HANDLERS) {
    const file = `${outDir}/${name}/index.cjs`;
    await mkdir(`${outDir}/${name}`, { recursive: true });
    await esbuild.build({ ...bundleOptions, entryPoints: [`handlers/${name}.ts`], outfile: file });
    const bytes = (await stat(file)).size;
    results.push({ name, bytes, gzipBytes: gzipSync(readFileSync(file)).length, file });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await buildHandlers()) {
    console.log(`${r.name.padEnd(10)} ${String(r.bytes).padStart(9)} B  ${String(r.gzipBytes).padStart(8)} B gzip  ${r.file}`);
  }
}

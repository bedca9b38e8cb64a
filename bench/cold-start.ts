/**
 * Median cold init of handler bundles: fresh Node processes loading each bundle the way the
 * Lambda runtime does (bench/cold-child.cjs), round-robin so machine load hits all alike.
 * A quick before/after check of one change; `npm run bench` has the full table.
 *
 *   npm run build && node bench/cold-start.ts [runs=30] [bundle names…]
 *   COLD_START_DIST=/tmp/dist-before node bench/cold-start.ts 30 status   # another build
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HANDLERS } from "../scripts/esbuild-options.ts";
import { LAMBDA_ENV, median, quantile, round } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 30);
const names = process.argv.length > 3 ? process.argv.slice(3) : [...HANDLERS];
const dist = process.env.COLD_START_DIST ?? "dist";
const samples = new Map(names.map((name) => [name, { sinceStart: [] as number[], require: [] as number[] }]));

for (let round_ = 0; round_ <= runs; round_++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round_) % names.length]!;
    const r = spawnSync(process.execPath, [path.join(here, "cold-child.cjs"), path.resolve(dist, name, "index.cjs")], { env: LAMBDA_ENV, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cold init of ${name} failed: ${r.stderr}`);
    // The first round warms the disk cache and is discarded.
    if (round_ > 0) {
      const t = JSON.parse(r.stdout) as { sinceStart: number; require: number };
      samples.get(name)!.sinceStart.push(t.sinceStart);
      samples.get(name)!.require.push(t.require);
    }
  }
}
const show = (values: number[]) => `median ${round(median(values), 1)} ms, p90 ${round(quantile(values, 0.9), 1)} ms`;
for (const [name, s] of samples) {
  console.log(`${name.padEnd(14)} process start→loaded: ${show(s.sinceStart)}; require() alone: ${show(s.require)} (${s.sinceStart.length} runs)`);
}

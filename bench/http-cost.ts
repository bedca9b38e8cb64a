/**
 * Per-request cost of one HTTP client (bench/http-clients.ts) against the bench's trivial server
 * (its own, untraced process), warm.
 *
 *   node bench/http-cost.ts <client> [requests]                # CPU ms per request (user, system)
 *   node bench/http-cost.ts --instructions <client> [a] [b]    # instructions per request
 *
 * Wall-clock CPU is noisy on a shared machine; instructions are not: `--instructions` runs the
 * client under callgrind twice, with `a` and with `b` requests after the same warm-up, and
 * (total_b - total_a) / (b - a) is one request's count, start-up and warm-up cancelled out.
 * One such pair still varies by ±5% (the same code measured 229k and 239k: when GC and V8's
 * background compiles fall, how reads coalesce), so BENCH_INSTRUCTION_RUNS [3] pairs are run and
 * the median reported, with every pair's figure beside it.
 * BENCH_HTTP_WARMUP [2000] requests first (V8 compiles the hot path during them);
 * BENCH_TRANSPORT_MODULE: load `createHttpTransport` from another build (e.g. an older commit's
 * src/http/request.ts, from `git archive`) to compare.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeHttpClient, type HttpClientName } from "./http-clients.ts";
import { callgrindInstructions, cpuMsSince, startChild } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP ?? 2000);
const INSTRUCTION_RUNS = Number(process.env.BENCH_INSTRUCTION_RUNS ?? 3);

async function run(client: HttpClientName, requests: number): Promise<void> {
  const server = await startChild(path.join(here, "http-server.ts"));
  try {
    // A limit far above any answer time: under callgrind a request runs ~50x slower.
    const send = await makeHttpClient(client, server.ready.url as string, { timeoutMs: 600_000, transportModule: process.env.BENCH_TRANSPORT_MODULE });
    for (let i = 0; i < WARMUP; i++) await send();
    const c = process.cpuUsage();
    for (let i = 0; i < requests; i++) await send();
    const d = process.cpuUsage(c);
    const per = (us: number) => (requests > 0 ? us / 1000 / requests : 0);
    process.stdout.write(`${JSON.stringify({ client, requests, cpuMsPerRequest: per(cpuMsSince(c) * 1000), userMsPerRequest: per(d.user), systemMsPerRequest: per(d.system) })}\n`);
  } finally {
    await server.stop();
  }
}

/** Instructions of a whole run of `client` with `requests` measured requests (callgrind's total). */
function instructions(client: HttpClientName, requests: number): number {
  return callgrindInstructions(fileURLToPath(import.meta.url), [client, String(requests)], path.join(here, ".out"), `${client}.${requests}`);
}

const args = process.argv.slice(2);
if (args[0] === "--instructions") {
  const client = (args[1] ?? "transport") as HttpClientName;
  const a = Number(args[2] ?? 1000);
  const b = Number(args[3] ?? 3000);
  const perRequest: number[] = [];
  for (let run = 0; run < INSTRUCTION_RUNS; run++) perRequest.push(Math.round((instructions(client, b) - instructions(client, a)) / (b - a)));
  const sorted = [...perRequest].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  process.stdout.write(`${JSON.stringify({ client, warmup: WARMUP, requests: [a, b], instructionsPerRequest: median, runs: perRequest })}\n`);
} else {
  await run((args[0] ?? "transport") as HttpClientName, Number(args[1] ?? 5000));
}

/**
 * `node bench/fleet-model.ts`: the fleet limiter alone, in virtual time (test/support/fleet-sim.ts)
 * on a real dynalite: load-independent counts of what the bench's fleet scenario measures in real
 * time. Each tenant takes an account_import slot, 20 ms, a create_group slot, 20 ms; the store
 * answers in 6 ms of virtual time. Scenarios: the bench's mixed 8 (signup 5 callers, webhook 4,
 * backfill 32) saturating IM; the same 8 with signup and webhook processes slowed by work
 * between tenants (as in full provisioning); a lone backfill; a lone slow process (one caller,
 * 220 ms of work between tenants: ~7.6 calls/s); a lone process of 2 callers; processes joining
 * and leaving. Both commands are leased together, as the IM limiter does (MODEL_LIMITER
 * '{"groups":[]}' leases them apart, as before).
 * `node bench/fleet-model.ts mixed` runs the scenarios whose name contains "mixed";
 * MODEL_SECONDS [12], MODEL_STORE_MS [6] (the store's round trip, virtual ms),
 * MODEL_LATE_MS [0] (each limiter sleep ends up to this much late: a loaded event loop), MODEL_VERBOSE=1 (each process's limiter counters), MODEL_LIMITER (JSON of
 * FleetRateLimiterOptions to try, e.g. '{"horizonMs":1000}').
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "../src/aws/dynamodb/document-client.ts";
import { startDynalite } from "../src/local/dynalite.ts";
import { ensureOutcomeTable } from "../src/local/dynamodb-table.ts";
import { type SimProcess, simulateFleet } from "../test/support/fleet-sim.ts";

const MIXED: SimProcess[] = [5, 4, 32, 5, 4, 32, 5, 4].map((callers) => ({ callers }));
const SCENARIOS: Record<string, SimProcess[]> = {
  "mixed 8 (IM only)": MIXED,
  "mixed 8, signup/webhook 300 ms between tenants": MIXED.map((p) => (p.callers === 32 ? p : { ...p, thinkMs: 300 })),
  "lone backfill": [{ callers: 32 }],
  "lone slow process (1 caller, 220 ms between tenants)": [{ callers: 1, thinkMs: 220 }],
  "lone 2-caller process": [{ callers: 2 }],
  "8 joining one by one, 4 leaving": MIXED.map((p, i) => ({ ...p, startMs: i * 1000, ...(i % 2 === 0 ? { stopMs: 8000 + i * 500 } : {}) })),
};
const only = process.argv[2];
const seconds = Number(process.env.MODEL_SECONDS ?? 12);
const dynalite = await startDynalite();
const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
const docClient = new DynamoDBDocumentClient({ endpoint: dynalite.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
let n = 0;
const runs = Number(process.env.MODEL_RUNS ?? 3);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
try {
  for (const [name, processes] of Object.entries(SCENARIOS)) {
    if (only && !name.includes(only)) continue;
    const rows: Array<{ share: number; callsPerSecond: number; perCall: number; maxWindow: number; lapsedShare: number; failed: number }> = [];
    for (let seed = 1; seed <= runs; seed++) {
      const tableName = `model-${++n}`;
      await ensureOutcomeTable(client, tableName);
      const r = await simulateFleet({ docClient, tableName, processes, seconds, seed, storeRoundTripMs: Number(process.env.MODEL_STORE_MS ?? 6), wakeLateMs: Number(process.env.MODEL_LATE_MS ?? 0), limiter: JSON.parse(process.env.MODEL_LIMITER ?? "{}") });
      const lapsed = r.perProcess.reduce((a, s) => a + s.slotsLapsed, 0);
      const leased = r.perProcess.reduce((a, s) => a + s.slotsLeased, 0);
      rows.push({ share: (r.ratePerSecond.create_group ?? 0) / 200, callsPerSecond: Object.values(r.ratePerSecond).reduce((a, b) => a + b, 0), perCall: r.requestsPerGrant, maxWindow: Math.max(...Object.values(r.maxInWindow)), lapsedShare: lapsed / leased, failed: r.failedConditions / r.storeRequests });
      if (process.env.MODEL_VERBOSE) for (const s of r.perProcess) console.log("  ", JSON.stringify(s));
    }
    const f = (k: keyof (typeof rows)[number], d = 3) => `${mean(rows.map((r) => r[k])).toFixed(d)} [${rows.map((r) => r[k].toFixed(d)).join(" ")}]`;
    console.log(`${name} (${runs} seeds, mean [each]): share of 200/s ${f("share")}; calls/s (all commands) ${f("callsPerSecond", 1)}; DynamoDB requests per call ${f("perCall")}; failed conditions ${f("failed", 2)}; lapsed ${f("lapsedShare", 2)}; max in any 1 s window ${Math.max(...rows.map((r) => r.maxWindow))}`);
  }
} finally {
  client.destroy();
  await dynalite.close();
}

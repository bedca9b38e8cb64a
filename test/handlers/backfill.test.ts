import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "../../src/aws/dynamodb/index.ts";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { BackfillReport } from "../../src/backfill/backfill.ts";
import { createHttpTransport } from "../../src/http/request.ts";
import { ensureOutcomeTable } from "../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../src/local/stack.ts";
import { LogstoreRegistry } from "../../src/logstores/index.ts";
import type { HttpTransport } from "../../src/http/types.ts";
import { parseTenantOnboarding, type TenantOnboarding } from "../../src/provisioning/tenant.ts";
import type { Service } from "../../src/service.ts";
import { sampleTenant, useLocalStack } from "../support/local-stack.ts";
import { invoke, lambdaContext, scheduledEvent } from "../support/lambda.ts";
import { captureOutput, loadHandlers, type CapturedOutput, type Handlers } from "./harness.ts";

// Its own stack: the scheduled walk covers every unfinished step in the table. The SLS sandbox,
// like SLS, holds at most 30 consumer groups per logstore: this file stays under that.
const fx = useLocalStack();
const DUE = 24;
let handlers: Handlers;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  handlers = await loadHandlers();
});
afterAll(() => output.restore());
afterEach(() => vi.useRealTimers());

const creates = () => ({ sls: fx.stack.sls.state().createsApplied, im: fx.stack.im.state().counters.createGroupApplied });
const slsDown = { rules: [{ operation: "CreateConsumerGroup", kind: "error" as const, error: { status: 500, code: "InternalServerError" } }] };

/**
 * A transport on which every SLS answer takes `ms` of the (faked) Date: with Date frozen, time
 * moves only when SLS is called, so how much a run gets done depends on the code, not on how
 * busy the machine is.
 */
function slsCallsTake(ms: number): HttpTransport {
  const base = createHttpTransport();
  return {
    async send(request, limits) {
      try {
        return await base.send(request, limits);
      } finally {
        if (request.url.startsWith(fx.stack.sls.url)) vi.setSystemTime(Date.now() + ms);
      }
    },
    close: () => base.close(),
  };
}

/** Provisions tenants while SLS is down, so each ends with its SLS step FAILED_RETRYABLE. */
async function seedFailing(service: Service, count: number): Promise<TenantOnboarding[]> {
  const tenants = Array.from({ length: count }, () => parseTenantOnboarding(sampleTenant()));
  fx.stack.sls.faults.configure(slsDown);
  try {
    await Promise.all(tenants.map((t) => service.provision(t, { deadline: Date.now() + 10_000, workerId: `seed/${t.tenantId}` })));
  } finally {
    fx.stack.sls.faults.configure({});
  }
  for (const t of tenants) {
    const sls = (await service.store.getTenant(t.tenantId)).steps.find((s) => s.step === "sls-consumer-group");
    expect(sls?.status).toBe("FAILED_RETRYABLE");
  }
  return tenants;
}

describe("backfill handler", () => {
  it("a scheduled run that cannot finish saves its place; later runs continue and complete; nothing is created twice", async () => {
    // Date (every clock the handler, the core and the sandboxes read) stands still unless moved;
    // timers, sockets and sleeps stay real.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    // The failures happened 2 minutes ago, so their backoff (30 s) has passed: due now. (Seeding
    // skips the in-call waits by moving its own clock instead: a sleep that returned at once with
    // Date stopped left a rate limiter waiting for a second that never came, spinning forever.)
    const due = await seedFailing(fx.service({ clock: skippingClock(-120_000) }), DUE);
    // One more failed just now: not due yet, the walk leaves it alone.
    const [notDue] = await seedFailing(fx.service({ clock: skippingClock(0) }), 1);
    const before = creates();

    // Every SLS call takes 100 ms; a run may start tenants for its first 800 ms (a budget of 1.2 s,
    // less the 400 ms per tenant): about 9 of the 24 per run. The budget is the handler's cap, on
    // the faked Date; Lambda's remaining time only caps a hang: middy's early timeout is a real
    // timer, and at load 20 a 3.2 s one fired before a run had used its 1.2 s of Date (AbortError).
    const service = fx.service({ transport: slsCallsTake(100) }, { PROVISION_SAFETY_MARGIN_MS: "100" });
    const backfill = handlers.createBackfillHandler(service, { concurrency: 2, pageSize: 4, perTenantBudgetMs: 400, maxBudgetMs: 1_200 });
    const reports: BackfillReport[] = [];
    try {
      const run = () => invoke(backfill, scheduledEvent(), lambdaContext({ budgetMs: 60_000 }));
      reports.push(await run());
      expect(reports[0]?.complete).toBe(false);
      expect(reports[0]?.tenants).toBeGreaterThan(0);
      expect(reports[0]?.tenants).toBeLessThan(DUE);
      const saved = await service.positions.load();
      expect(saved?.cursor).toEqual(expect.any(String));
      while (reports.at(-1)?.complete !== true && reports.length < 15) reports.push(await run());
    } finally {
      vi.useRealTimers();
    }

    expect(reports.at(-1)?.complete).toBe(true);
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(await service.positions.load()).toBeUndefined();
    // The not-due tenant's generation is unsettled, so its tenant item is in the index and a run
    // may look at it (counted retryable); its step is left alone (checked below).
    for (const r of reports) expect(r).toMatchObject({ permanent: 0, invalid: 0 });
    expect(reports.reduce((n, r) => n + r.retryable, 0)).toBeLessThanOrEqual(reports.length);
    expect(reports.reduce((n, r) => n + r.succeeded, 0)).toBeGreaterThanOrEqual(DUE);

    for (const t of due) {
      const { steps } = await service.store.getTenant(t.tenantId);
      expect(steps.map((s) => [s.step, s.status, s.attempts]).sort()).toEqual([
        ["im-group", "SUCCEEDED", 1],
        ["sls-consumer-group", "SUCCEEDED", 2],
      ]);
    }
    // Exactly one consumer group per due tenant; the IM groups (done at seeding) untouched.
    expect(creates()).toEqual({ sls: before.sls + DUE, im: before.im });
    const groups = Object.values(fx.stack.sls.state().groups).flatMap((byLogstore) => Object.values(byLogstore).flat());
    for (const t of due) expect(groups.filter((g) => g.name === `tenant-${t.tenantId}`)).toHaveLength(1);
    // Not due yet: still waiting for its backoff.
    const notDueSls = (await service.store.getTenant(notDue?.tenantId ?? "")).steps.find((s) => s.step === "sls-consumer-group");
    expect(notDueSls).toMatchObject({ status: "FAILED_RETRYABLE", attempts: 1 });

    // A run with nothing due completes at once without a provider call (it only reads the
    // unsettled not-due tenant).
    const calls = fx.stack.sls.state().calls;
    // The budget is a cap, not an expectation: at load 20 a 10 s budget ran out before the page was
    // read (complete: false, tenants: 0); an idle run returns as soon as it has read the page.
    // (Date runs again here, so not the 1.2 s cap either.)
    const uncapped = handlers.createBackfillHandler(service, { concurrency: 2, pageSize: 4, perTenantBudgetMs: 400 });
    const idle = await invoke(uncapped, scheduledEvent(), lambdaContext({ budgetMs: 120_000 }));
    expect(idle).toMatchObject({ tenants: 1, succeeded: 0, retryable: 0, notDue: 1, complete: true });
    expect(fx.stack.sls.state().calls).toEqual(calls);
  });

  it("an explicit { tenants: [...] } invocation counts an invalid entry and never sends it to a provider", async () => {
    const service = fx.service();
    const backfill = handlers.createBackfillHandler(service, { concurrency: 4, perTenantBudgetMs: 5_000 });
    const valid = [sampleTenant({ source: "import" }), sampleTenant({ source: "import" })];
    const invalid = sampleTenant({ tenantId: "not a valid id!", source: "import" });
    const calls = () => JSON.stringify([fx.stack.sls.state().calls, fx.stack.im.state().counters.calls]);
    const createsBefore = creates();
    const imCalls = () => Object.values(fx.stack.im.state().counters.calls).reduce((n, c) => n + c, 0);
    const imCallsBefore = imCalls();

    const report = await invoke(backfill, { tenants: [valid[0], invalid, valid[1]] }, lambdaContext({ budgetMs: 30_000 }));

    expect(report).toMatchObject({ tenants: 2, succeeded: 2, retryable: 0, permanent: 0, invalid: 1, complete: true, notStarted: 0 });
    expect(creates()).toEqual({ sls: createsBefore.sls + 2, im: createsBefore.im + 2 });
    // The report says what the IM limiter did in this run: one grant per IM call sent.
    expect(report.imLimiter.grants).toBe(imCalls() - imCallsBefore);
    expect(report.imLimiter.grants).toBeGreaterThan(0);
    for (const t of valid) expect((await service.store.getTenant(t.tenantId)).tenant?.source).toBe("import");
    const groups = Object.values(fx.stack.sls.state().groups).flatMap((byLogstore) => Object.values(byLogstore).flat());
    expect(groups.some((g) => g.name.includes("not a valid"))).toBe(false);
    expect(fx.stack.im.state().groups.some((g) => g.groupId.includes("not a valid"))).toBe(false);

    // Again: already provisioned, so no provider call at all.
    const before = calls();
    const again = await invoke(backfill, { tenants: valid }, lambdaContext({ budgetMs: 30_000 }));
    expect(again).toMatchObject({ tenants: 2, succeeded: 2, invalid: 0 });
    expect(calls()).toBe(before);
    // Counted per run, not since the process started.
    expect(again.imLimiter).toMatchObject({ grants: 0, slotsLapsedLate: 0 });
  });

  // Entries in the request shape the webhook takes (no `source`: the entry point sets it) were all
  // counted invalid for lacking `source`.
  it("an explicit { tenants: [...] } entry without `source` is provisioned as an import", async () => {
    const service = fx.service();
    const backfill = handlers.createBackfillHandler(service, { concurrency: 1, perTenantBudgetMs: 5_000 });
    const { source: _, ...request } = sampleTenant();
    expect(await invoke(backfill, { tenants: [request] }, lambdaContext({ budgetMs: 30_000 }))).toMatchObject({ succeeded: 1, invalid: 0 });
    expect((await service.store.getTenant(request.tenantId)).tenant?.source).toBe("import");
  });

  // `{ "tenants": "x" }` ran a whole scheduled backfill instead (found probing the stack).
  it("an explicit invocation whose tenants is not a list is refused naming the field (no scheduled run in its place)", async () => {
    const service = fx.service();
    const backfill = handlers.createBackfillHandler(service, { concurrency: 1, perTenantBudgetMs: 5_000 });
    for (const tenants of ["x", { tenantId: "t" }, null]) {
      const error = await invoke(backfill, { tenants } as never, lambdaContext({ budgetMs: 30_000 })).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "ValidationError", issues: [{ field: "tenants", rule: "must be an array of tenant requests" }] });
    }
  });

  it("an explicit list naming a tenant twice, run at once: one consumer group, one IM group, one outcome event each", async () => {
    // Both runs of a tenant had the worker id `${awsRequestId}/${tenantId}`: the second saw the
    // first's creation lease as its own, skipped the registry's ledger and made a second consumer
    // group in another logstore; both published the outcome (found by review, 3 of 3 tenants).
    // A table of its own: the scheduled run below walks every unfinished tenant of its table, and
    // must not walk (and count the creations of) what another test of this file left unfinished.
    const service = await serviceOnOwnTable();
    const backfill = handlers.createBackfillHandler(service, { concurrency: 6, perTenantBudgetMs: 10_000 });
    const listed = [sampleTenant({ source: "import" }), sampleTenant({ source: "import" }), sampleTenant({ source: "import" })];
    const createsBefore = creates();
    const quiet = captureOutput();
    try {
      await invoke(backfill, { tenants: [...listed, ...listed] }, lambdaContext({ budgetMs: 30_000 }));
      // What a run left in progress elsewhere (the other entry held the tenant) a later run settles.
      await invoke(backfill, scheduledEvent(), lambdaContext({ budgetMs: 30_000 }));
    } finally {
      quiet.restore();
    }
    expect(creates()).toEqual({ sls: createsBefore.sls + 3, im: createsBefore.im + 3 });
    const groups = Object.values(fx.stack.sls.state().groups).flatMap((byLogstore) => Object.values(byLogstore).flat());
    for (const t of listed) {
      expect(groups.filter((g) => g.name === `tenant-${t.tenantId}`)).toHaveLength(1);
      expect(fx.stack.events.events.filter((e) => e.detail["tenantId"] === t.tenantId)).toHaveLength(1);
    }
  });

  it("an explicit { tenants: [...] } entry that changes an immutable field or is dated ahead is counted invalid; the others still run", async () => {
    const service = fx.service();
    const backfill = handlers.createBackfillHandler(service, { concurrency: 1, perTenantBudgetMs: 5_000 });
    const first = sampleTenant({ source: "import" });
    expect(await invoke(backfill, { tenants: [first] }, lambdaContext({ budgetMs: 30_000 }))).toMatchObject({ succeeded: 1 });

    const ownerChanged = { ...first, admin: { userId: "someone-else", name: "Other" }, requestedAt: new Date().toISOString() };
    const ahead = sampleTenant({ source: "import", requestedAt: new Date(Date.now() + 3_600_000).toISOString() });
    const fine = sampleTenant({ source: "import" });
    const report = await invoke(backfill, { tenants: [ownerChanged, ahead, fine] }, lambdaContext({ budgetMs: 30_000 }));

    expect(report).toMatchObject({ succeeded: 1, invalid: 2, complete: true, notStarted: 0 });
    expect((await service.store.getTenant(fine.tenantId)).tenant).toBeDefined();
    expect((await service.store.getTenant(ahead.tenantId)).tenant).toBeUndefined();
  });

  it("logs name the outcome counts and no secret value", () => {
    const text = output.text();
    expect(text).toContain('"backfill finished"');
    for (const secret of [fx.stack.credentials.sls.accessKeySecret, fx.stack.credentials.im.secretKey, fx.stack.credentials.webhookSecret.slice(6)]) {
      expect(text).not.toContain(secret);
    }
  });
});

/** A service on a new table with the stack's logstores registered, as `startLocalStack` sets up its own. */
async function serviceOnOwnTable(): Promise<Service> {
  const tableName = `backfill-${randomUUID().slice(0, 8)}`;
  const ddb = new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    await ensureOutcomeTable(ddb, tableName);
    const logstores = Array.from({ length: 8 }, (_, i) => ({ name: `${LOCAL.slsLogstorePrefix}${i}` }));
    await new LogstoreRegistry({ client: new DynamoDBDocumentClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } }), tableName }).add(logstores);
  } finally {
    ddb.destroy();
  }
  return fx.service({}, { OUTCOME_TABLE_NAME: tableName });
}

/**
 * A clock `offsetMs` from the (stopped) Date whose sleeps return at once and move it on by
 * what was asked, so waits end without real time passing.
 */
function skippingClock(offsetMs: number) {
  let skipped = 0;
  return {
    now: () => Date.now() + offsetMs + skipped,
    sleep: async (ms: number) => {
      skipped += ms;
    },
  };
}

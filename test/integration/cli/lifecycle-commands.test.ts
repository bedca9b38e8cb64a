/**
 * The operator's lifecycle commands, run as the real CLI process (`node scripts/cli.ts … --aws`)
 * against the local stack: `failures` lists a finished failure from the sparse index, `retry`
 * re-drives it once the cause is fixed (exactly one create), `offboard` removes the resources.
 */
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack();
const run = promisify(execFile);

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["scripts/cli.ts", ...args, "--aws"], {
    env: { ...process.env, ...fx.stack.env },
    timeout: 60_000,
  });
  return stdout;
}

describe("npm run cli -- failures | retry | offboard", () => {
  it("lists a permanent failure, and after the cause is fixed `retry` makes it SUCCEEDED with exactly one create", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { code: 10016, message: "rejected by callback" }, resource: `tenant-${tenant.tenantId}` }] });
    try {
      const first = await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
      expect(first.steps.find((s) => s.step === "im-group")?.status).toBe("FAILED_PERMANENT");
    } finally {
      fx.stack.im.faults.configure({});
    }
    const listed = (await cli("failures")).split("\n").filter((line) => line.startsWith(`${tenant.tenantId}\t`));
    expect(listed).toHaveLength(1);
    expect(listed[0]?.split("\t").slice(0, 5)).toEqual([tenant.tenantId, "im-group", "FAILED_PERMANENT", "tencent-im", "10016"]);
    expect(listed[0]?.split("\t")[5]).toMatch(/^\d+$/); // the call's `random`, IM's request id

    const creates = fx.stack.im.state().counters.createGroupApplied;
    const retried = JSON.parse(await cli("retry", tenant.tenantId, "--step", "im-group")) as { generation: number; steps: { step: string; status: string }[] };
    expect(retried.generation).toBe(2);
    expect(retried.steps.map((s) => [s.step, s.status])).toEqual([
      ["sls-consumer-group", "SUCCEEDED"],
      ["im-group", "SUCCEEDED"],
    ]);
    expect(fx.stack.im.state().counters.createGroupApplied - creates).toBe(1);
    expect((await cli("failures")).includes(`${tenant.tenantId}\t`)).toBe(false);
  });

  // `retry` and `offboard` exited 0 whatever the run left behind: a script could not tell a
  // re-drive that did not take from one that did.
  it("`retry` while the cause is not fixed, and an `offboard` whose removal fails, exit 1 naming the step; stdout keeps the result", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    const refuse = (operation: string) =>
      fx.stack.im.faults.configure({ rules: [{ operation, kind: "error", error: { code: 10016, message: "rejected by callback" }, resource: `tenant-${tenant.tenantId}` }] });
    refuse("create_group");
    try {
      await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
      const retried = await cli("retry", tenant.tenantId).then(
        (stdout) => ({ code: 0, stdout, stderr: "" }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(retried.code).toBe(1);
      expect((JSON.parse(retried.stdout) as { steps: { step: string; status: string }[] }).steps.map((s) => [s.step, s.status])).toEqual([
        ["sls-consumer-group", "SUCCEEDED"],
        ["im-group", "FAILED_PERMANENT"],
      ]);
      expect(retried.stderr).toBe(`retry: tenant ${tenant.tenantId} is not SUCCEEDED at generation 2: im-group FAILED_PERMANENT (10016)\n`);
    } finally {
      fx.stack.im.faults.configure({});
    }
    // Fixed: the same command exits 0.
    expect(JSON.parse(await cli("retry", tenant.tenantId))).toMatchObject({ generation: 3 });

    refuse("destroy_group");
    try {
      const off = await cli("offboard", tenant.tenantId).then(
        (stdout) => ({ code: 0, stdout, stderr: "" }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(off.code).toBe(1);
      expect(JSON.parse(off.stdout)).toMatchObject({ desired: "ABSENT", steps: [{ step: "sls-consumer-group", status: "DELETED" }, { step: "im-group", error: "10016" }] });
      expect(off.stderr).toMatch(new RegExp(`^offboard: tenant ${tenant.tenantId} is not DELETED at generation 4: im-group [A-Z_]+ \\(10016\\)\n$`));
    } finally {
      fx.stack.im.faults.configure({});
    }
  });

  it("`retry` and `offboard` of a tenant the table does not hold exit 1 saying so, as `status` does (they printed the usage, exit 2)", async () => {
    for (const command of ["retry", "offboard"]) {
      const out = await cli(command, "never-recorded-1").then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(out.code, command).toBe(1);
      expect(out.stderr, command).toBe(`error: ${command}: tenant never-recorded-1 is not recorded\n`);
    }
  });

  it("lists an outcome event EventBridge refused for good, and `retry` publishes it once the bus is fixed", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1, "AccessDeniedException", "not authorized to put events on this bus");
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    const listed = (await cli("failures")).split("\n").filter((line) => line.startsWith(`${tenant.tenantId}\t`));
    expect(listed.map((line) => line.split("\t").slice(0, 6))).toEqual([
      [tenant.tenantId, "announcement", "GAVE_UP", "eventbridge", "AccessDeniedException", "generation 1, 1 attempt(s)"],
    ]);
    const status = JSON.parse(await cli("status", tenant.tenantId)) as { announcement: { state: string; lastError: { code: string } } };
    expect(status.announcement).toMatchObject({ state: "gave-up", lastError: { code: "AccessDeniedException" } });

    const retried = JSON.parse(await cli("retry", tenant.tenantId)) as { change: string; announcementRedriven: boolean; generation: number };
    expect(retried).toMatchObject({ change: "unchanged", announcementRedriven: true, generation: 1 });
    const events = fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenant.tenantId);
    expect(events.map((e) => e.detail["eventId"])).toEqual([`${tenant.tenantId}:1:TenantProvisioned`]);
    expect((await cli("failures")).includes(`${tenant.tenantId}\t`)).toBe(false);
  });

  it("`status` shows an older generation still owed its outcome event after `offboard` declared a newer one", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.events.failEntries(1, "ThrottlingException", "Rate exceeded");
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    const off = JSON.parse(await cli("offboard", tenant.tenantId)) as { generation: number; desired: string };
    expect([off.generation, off.desired]).toEqual([2, "ABSENT"]);
    const status = JSON.parse(await cli("status", tenant.tenantId)) as { announcement: Record<string, unknown> };
    expect(status.announcement).toMatchObject({ generation: 1, outcome: "TenantProvisioned", state: "retrying", attempts: 1, owed: [{ generation: 1, outcome: "TenantProvisioned" }] });
    // Generation 2 waits behind the owed generation 1: nothing went out yet.
    expect(fx.stack.events.events.filter((e) => e.detail["tenantId"] === tenant.tenantId)).toEqual([]);
  });

  it("`retry --step` with an unknown step exits 2 naming the field; `offboard` removes both resources", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    await expect(cli("retry", tenant.tenantId, "--step", "dns")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: retry: invalid input: step: must be one of "sls-consumer-group", "im-group"\n/),
    });

    const off = JSON.parse(await cli("offboard", tenant.tenantId)) as { desired: string; steps: { status: string }[] };
    expect(off.desired).toBe("ABSENT");
    expect(off.steps.map((s) => s.status)).toEqual(["DELETED", "DELETED"]);
    expect(fx.stack.im.state().groups.some((g) => g.groupId === `tenant-${tenant.tenantId}`)).toBe(false);
  });

  it("a --budget-ms the run cannot use exits 2 before anything is written (it once declared the offboarding, then failed)", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    const before = await service.store.getTenant(tenant.tenantId);
    for (const command of ["offboard", "retry"]) {
      await expect(cli(command, tenant.tenantId, "--budget-ms", "200000000")).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^error: --budget-ms: /),
      });
    }
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(fx.stack.im.state().groups.some((g) => g.groupId === `tenant-${tenant.tenantId}`)).toBe(true);
  });

  it("`backfill` takes the same 15-minute cap as the Lambda (it had its own budget handling and none)", async () => {
    const service = fx.service();
    // A tenant the backfill would pick up: its SLS step failed retryably.
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" }, resource: `tenant-${tenant.tenantId}` }] });
    try {
      await service.provision(tenant, { deadline: Date.now() + 8_000, workerId: "w1" });
    } finally {
      fx.stack.sls.faults.configure({});
    }
    const before = await service.store.getTenant(tenant.tenantId);
    await expect(cli("backfill", "--budget-ms", "900001")).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: --budget-ms: at most 900000 /) });
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(before);
    expect(await cli("backfill", "--help")).toContain("at most 900000");
  });

  // It printed `"complete": false` and exited 0: a script saw a finished run with work left.
  it("a backfill that stops at its budget with work left exits 1 and says so on stderr", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.store.registerTenant(tenant.tenantId, tenant, "signup", ["sls-consumer-group", "im-group"]);
    const out = await cli("backfill", "--budget-ms", "1").then(
      (stdout) => ({ code: 0, stdout, stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ complete: false });
    expect(out.stderr).toContain("stopped at the run's budget with work left");
    // Nothing was tried in that run: the tenant is still waiting.
    expect((await service.store.getTenant(tenant.tenantId)).steps.map((s) => s.status)).toEqual(["PENDING", "PENDING"]);
  });

  // `backfill --tenants` refused every entry in the request shape README and the webhook use (no
  // `source`: "set by the entry point") and printed only `"invalid": 1`, exit 0: an import that
  // did nothing looked done.
  it("`backfill --tenants` imports requests without `source` (refuses one that names another), names each refused entry (index, field, rule) on stderr and exits 1", async () => {
    const { source: _, ...request } = sampleTenant();
    const dir = await mkdtemp(join(tmpdir(), "cli-import-"));
    const file = join(dir, "tenants.json");
    // The third entry names its own source: the audit field is the entry point's to set.
    await writeFile(file, JSON.stringify([request, { ...sampleTenant(), source: undefined, tenantId: "../x" }, { ...request, tenantId: "forged-1", source: "webhook" }]));
    const failed = await cli("backfill", "--tenants", file).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ tenants: 1, succeeded: 1, invalid: 2 });
    expect(failed.stderr).toContain('"index":1');
    expect(failed.stderr).toContain('"field":"tenantId"');
    expect(failed.stderr).toContain('"index":2');
    expect(failed.stderr).toContain('"field":"source"');
    expect((await fx.service().store.getTenant("forged-1")).tenant).toBeUndefined();
    expect(failed.stderr).not.toContain("../x");
    const recorded = await fx.service().store.getTenant(request.tenantId);
    expect(recorded.tenant?.source).toBe("import");
    expect(recorded.steps.map((s) => s.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });

  // Every entry of an import ran under one lease owner: two entries of one tenant, run at once,
  // were both the creation lease's holder, and the report said both succeeded while the tenant
  // was left at a generation no step had reached (status: succeeded false) until the backfill.
  it("`backfill --tenants` with two entries of one tenant: the report counts as succeeded only what is done", async () => {
    const { source: _, ...request } = sampleTenant();
    const dir = await mkdtemp(join(tmpdir(), "cli-import-"));
    const file = join(dir, "tenants.json");
    await writeFile(file, JSON.stringify([request, { ...request, displayName: "Renamed" }]));
    const report = JSON.parse(await cli("backfill", "--tenants", file)) as { tenants: number; succeeded: number; retryable: number };
    expect(report.tenants).toBe(2);
    const recorded = await fx.service().store.getTenant(request.tenantId);
    const settled = recorded.steps.every((s) => s.status === "SUCCEEDED" && s.observedGeneration === recorded.tenant?.generation);
    // Whichever entry ran first, one that was still running when the other declared a newer
    // generation is not counted as done unless that generation was reached.
    if (!settled) expect(report.retryable).toBeGreaterThan(0);
    expect(report.succeeded + report.retryable).toBe(2);
  });

  it("`send-webhook` exits 1 when the delivery is refused (it exited 0 on any answer)", async () => {
    const refused = await cli("send-webhook", "--tenant", "cli-refused", "--url", `${fx.stack.env.SLS_CONNECT_TO}/not-a-webhook`).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/-> 4\d\d/);
  });
});

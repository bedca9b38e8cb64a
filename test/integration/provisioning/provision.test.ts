
import { DynamoDBDocumentClient } from "../../../src/aws/dynamodb/index.ts";
import { describe, expect, it, vi } from "vitest";
import type { StepCallOptions, StepRegistry } from "../../../src/provisioning/step-module.ts";
import { ShiftedClock } from "../../handlers/harness.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { makeStepDue, sampleTenant, useLocalStack } from "../../support/local-stack.ts";
import { HANG_CAP } from "../../support/hang-cap.ts";

const fx = useLocalStack();
const soon = (ms = 8_000) => Date.now() + ms;
const groupsOf = (name: string) =>
  Object.values(fx.stack.sls.state().groups)
    .flatMap((byLogstore) => Object.values(byLogstore).flat())
    .filter((g) => g.name === name);
const imGroup = (id: string) => fx.stack.im.state().groups.filter((g) => g.groupId === id);

describe("provision (end to end over dynalite, the secrets stand-in and both sandboxes)", () => {
  it("provisions a tenant and records both steps as SUCCEEDED", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant({ members: [{ userId: "member-a" }] }));
    const result = await service.provision(tenant, { deadline: soon(), workerId: "worker-1" });

    expect(result.succeeded).toBe(true);
    expect(result.steps.map((s) => [s.step, s.status, s.providerOutcome])).toEqual([
      ["sls-consumer-group", "SUCCEEDED", "created"],
      ["im-group", "SUCCEEDED", "created"],
    ]);
    const { tenant: item, steps } = await service.store.getTenant(tenant.tenantId);
    expect(item?.snapshot).toMatchObject({ tenantId: tenant.tenantId, displayName: tenant.displayName });
    expect(steps.map((s) => [s.step, s.status, s.attempts])).toEqual(
      expect.arrayContaining([
        ["sls-consumer-group", "SUCCEEDED", 1],
        ["im-group", "SUCCEEDED", 1],
      ]),
    );
    expect(groupsOf(`tenant-${tenant.tenantId}`)).toEqual([{ name: `tenant-${tenant.tenantId}`, timeout: 60, order: false }]);
    const [group] = imGroup(`tenant-${tenant.tenantId}`);
    expect(group?.owner).toBe(tenant.admin.userId);
    expect(group?.members.sort()).toEqual([tenant.admin.userId, "member-a"].sort());
  });

  it("running it again changes nothing and calls no provider", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    const before = { sls: fx.stack.sls.state().calls, im: fx.stack.im.state().counters.calls };
    const again = await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(again.steps.every((s) => s.status === "SUCCEEDED" && s.action === "already-finished")).toBe(true);
    expect(fx.stack.sls.state().calls).toEqual(before.sls);
    expect(fx.stack.im.state().counters.calls).toEqual(before.im);
  });

  it("a first run costs no read of the tenant; a repeated run one refused conditional Put and one read, and changes nothing; a backfill re-drive of a known state costs nothing", async () => {
    const commands: string[] = [];
    const inner = new DynamoDBDocumentClient();
    const counting = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== "send") return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string }; input?: { Key?: { pk?: unknown } } }) => {
          // The IM rate limiter's leases (src/limits) share the client; they are counted by the bench.
          if (!String(command.input?.Key?.pk ?? "").startsWith("LIMIT#")) commands.push(command.constructor.name);
          return (target.send as (c: unknown) => Promise<unknown>)(command);
        };
      },
    });
    const service = fx.service({ documentClient: counting });
    const tenant = parseTenantOnboarding(sampleTenant());
    await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    // First run: the tenant item with this run's creation lease (a conditional Put, no read
    // before it), a logstore slot for the consumer group (src/logstores: its list is read once
    // per process, then cached: the one Query), each step's item written once with its outcome
    // (no claim: the lease covers it), then the announcement recorded and the lease ended in one
    // write (no claim: while the lease holds no other run may announce).
    expect([...commands].sort()).toEqual(["PutCommand", "PutCommand", "PutCommand", "QueryCommand", "UpdateCommand", "UpdateCommand"]);
    const stored = await service.store.getTenant(tenant.tenantId);

    commands.length = 0;
    await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    // The Put is refused (the tenant exists), then one read decides: nothing changed.
    expect(commands).toEqual(["PutCommand", "QueryCommand"]);
    expect(await service.store.getTenant(tenant.tenantId)).toEqual(stored);

    commands.length = 0;
    const state = await service.store.getTenant(tenant.tenantId);
    commands.length = 0;
    await service.reconcile(state, { deadline: soon(), workerId: "w3" });
    expect(commands).toEqual([]);
  });

  it("10 concurrent runs of one tenant create each resource exactly once and leave one consistent record per step", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    const createsBefore = { sls: fx.stack.sls.state().createsApplied, im: fx.stack.im.state().counters.createGroupApplied };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => service.provision(tenant, { deadline: soon(), workerId: `worker-${i}` })));

    expect(fx.stack.sls.state().createsApplied - createsBefore.sls).toBe(1);
    expect(fx.stack.im.state().counters.createGroupApplied - createsBefore.im).toBe(1);
    expect(groupsOf(`tenant-${tenant.tenantId}`)).toHaveLength(1);
    expect(imGroup(`tenant-${tenant.tenantId}`)).toHaveLength(1);
    // Exactly one run did each step; the others saw it finished or in progress.
    for (const step of ["sls-consumer-group", "im-group"]) {
      expect(results.filter((r) => r.steps.find((s) => s.step === step)?.action === "ran")).toHaveLength(1);
    }
    const { steps } = await service.store.getTenant(tenant.tenantId);
    expect(steps).toHaveLength(2);
    for (const s of steps) {
      expect(s.status).toBe("SUCCEEDED");
      expect(s.attempts).toBe(1);
      expect(s.leaseOwner).toBeUndefined();
    }
  });

  it("a transient failure at one provider leaves the other SUCCEEDED and itself FAILED_RETRYABLE; a later run, once it is due, finishes it", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "error", error: { status: 500, code: "InternalServerError" } }] });
    try {
      const first = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
      const byStep = Object.fromEntries(first.steps.map((s) => [s.step, s]));
      expect(byStep["im-group"]?.status).toBe("SUCCEEDED");
      expect(byStep["sls-consumer-group"]?.status).toBe("FAILED_RETRYABLE");
      expect(byStep["sls-consumer-group"]?.error).toMatchObject({ provider: "sls", code: "InternalServerError", httpStatus: 500, errorClass: "transient" });
      expect(byStep["sls-consumer-group"]?.error?.requestId).toMatch(/.+/);
      expect(first.retryable).toBe(true);
      // The client retried in-process before giving up, and said so (metrics and logs hang off this hook).
      const retries = fx.logger.lines.filter((l) => l.includes('"provider call retried"') && l.includes('"InternalServerError"'));
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries[0]).toContain('"operation":"CreateConsumerGroup"');
    } finally {
      fx.stack.sls.faults.configure({});
    }
    // Once its backoff has passed (a request before then leaves it waiting: reconcile-rules).
    await makeStepDue(service, tenant.tenantId, "sls-consumer-group");
    const second = await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(second.succeeded).toBe(true);
    const sls = second.steps.find((s) => s.step === "sls-consumer-group");
    expect(sls?.action).toBe("ran");
    expect(sls?.attempts).toBe(2);
    expect(second.steps.find((s) => s.step === "im-group")?.action).toBe("already-finished");
  });

  it("recognises an ambiguous success (created, but the answer was an error or a reset) as provisioned", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    const id = `tenant-${tenant.tenantId}`;
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error-after-effect", error: { code: 10002 }, times: 1 }] });
    fx.stack.sls.faults.configure({ rules: [{ operation: "CreateConsumerGroup", kind: "reset-after-effect", times: 1 }] });
    try {
      const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
      expect(result.succeeded).toBe(true);
      expect(result.steps.find((s) => s.step === "im-group")?.providerOutcome).toBe("already-existed");
      expect(imGroup(id)).toHaveLength(1);
      expect(groupsOf(id)).toHaveLength(1);
    } finally {
      fx.stack.im.faults.configure({});
      fx.stack.sls.faults.configure({});
    }
  });

  it("a foreign IM group with the same id is a CONFLICT and is left untouched", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    const id = `tenant-${tenant.tenantId}`;
    fx.stack.im.addForeignGroup({ groupId: id, type: "Private", ownerAccount: "mallory", name: "Not yours" });
    const before = JSON.stringify(imGroup(id));

    const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
    const im = result.steps.find((s) => s.step === "im-group");
    expect(im?.status).toBe("CONFLICT");
    expect(im?.error).toMatchObject({ provider: "tencent-im", errorClass: "conflict" });
    expect(result.steps.find((s) => s.step === "sls-consumer-group")?.status).toBe("SUCCEEDED");
    expect(JSON.stringify(imGroup(id))).toBe(before);
    expect(result.retryable).toBe(false);
    // A CONFLICT is final: a later run does not touch the provider again.
    const calls = fx.stack.im.state().counters.calls["create_group"];
    await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(fx.stack.im.state().counters.calls["create_group"]).toBe(calls);
  });

  it("records a permanent error with its provider code and does not retry it", async () => {
    const service = fx.service();
    const tenant = parseTenantOnboarding(sampleTenant());
    const createCalls = () => fx.stack.im.state().counters.calls["create_group"] ?? 0;
    const before = createCalls();
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { code: 10016, message: "rejected by callback" } }] });
    try {
      const result = await service.provision(tenant, { deadline: soon(), workerId: "w1" });
      const im = result.steps.find((s) => s.step === "im-group");
      expect(im?.status).toBe("FAILED_PERMANENT");
      expect(im?.error).toMatchObject({ provider: "tencent-im", code: "10016", errorClass: "permanent" });
      expect(createCalls() - before).toBe(1);
      const { steps } = await service.store.getTenant(tenant.tenantId);
      expect(steps.find((s) => s.step === "im-group")?.lastError?.code).toBe("10016");
    } finally {
      fx.stack.im.faults.configure({});
    }
  });

  it("never writes a secret value into a log line or a recorded error", async () => {
    const service = fx.service();
    fx.stack.im.faults.configure({ rules: [{ operation: "create_group", kind: "error", error: { code: 70001 } }] });
    try {
      await service.provision(parseTenantOnboarding(sampleTenant()), { deadline: soon(3_000), workerId: "w1" });
    } finally {
      fx.stack.im.faults.configure({});
    }
    const secrets = [
      fx.stack.credentials.sls.accessKeySecret,
      fx.stack.credentials.im.secretKey,
      fx.stack.credentials.webhookSecret.slice(6),
    ];
    const logged = fx.logger.lines.join("\n");
    expect(fx.logger.lines.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(logged).not.toContain(secret);
    // Nor in what the store keeps.
    const items = await Promise.all(
      fx.logger.lines
        .map((l) => (JSON.parse(l) as { tenantId?: string }).tenantId)
        .filter((t): t is string => typeof t === "string")
        .slice(0, 20)
        .map((t) => service.store.getTenant(t)),
    );
    const stored = JSON.stringify(items);
    for (const secret of secrets) expect(stored).not.toContain(secret);
  });
});

describe("the creation lease (the run that records a tenant writes its first steps without claims)", () => {
  it("two runs: another delivery during the lease calls no provider and writes no step; after it lapses, one run takes over and the late creator's outcome is refused", async () => {
    const clock = new ShiftedClock();
    const announcer = { seen: [] as string[], async announce(a: { tenantId: string; generation: number; outcome: string }) { this.seen.push(`${a.generation}:${a.outcome}`); } };
    // The creator's IM step stops before its provider call until the test lets it go on.
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let paused = false;
    const gated = (builtIn: StepRegistry): StepRegistry =>
      builtIn.map((m) =>
        m.name !== "im-group"
          ? m
          : {
              ...m,
              ensure: async (plan: unknown, options: StepCallOptions) => {
                if (!paused) {
                  paused = true;
                  await gate;
                }
                return m.ensure(plan, options);
              },
            },
      );
    const service = fx.service({ clock, announcer, steps: gated });
    const tenant = parseTenantOnboarding(sampleTenant());
    const creator = service.provision(tenant, { deadline: clock.now() + 8_000, workerId: "creator" });
    await vi.waitUntil(async () => paused && (await service.store.getTenant(tenant.tenantId)).steps.some((s) => s.step === "sls-consumer-group"), HANG_CAP);
    const imCalls = () => fx.stack.im.state().counters.calls;
    const before = imCalls();

    const second = await service.provision(tenant, { deadline: clock.now() + 8_000, workerId: "second" });
    expect(second.steps.find((s) => s.step === "im-group")).toMatchObject({ status: "IN_PROGRESS", action: "in-progress-elsewhere" });
    expect(imCalls()).toEqual(before);
    expect((await service.store.getTenant(tenant.tenantId)).steps.map((s) => s.step)).toEqual(["sls-consumer-group"]);
    expect(announcer.seen).toEqual([]);

    clock.advance(120_000); // past the creator's lease (its deadline + 30 s)
    const third = await service.provision(tenant, { deadline: clock.now() + 8_000, workerId: "third" });
    expect(third.succeeded).toBe(true);
    expect(third.steps.find((s) => s.step === "im-group")).toMatchObject({ status: "SUCCEEDED", action: "ran", attempts: 1 });
    const taken = (await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "im-group");

    release?.();
    const late = await creator;
    expect(late.steps.find((s) => s.step === "im-group")).toMatchObject({ action: "in-progress-elsewhere" });
    // The third run's record stands; one IM group; one event.
    expect((await service.store.getTenant(tenant.tenantId)).steps.find((s) => s.step === "im-group")).toEqual(taken);
    expect(imGroup(`tenant-${tenant.tenantId}`)).toHaveLength(1);
    expect(announcer.seen).toEqual(["1:TenantProvisioned"]);
  });

  it("a run that records the tenant and then dies leaves it to the backfill once the lease lapses: no PENDING items needed", async () => {
    const clock = new ShiftedClock();
    const service = fx.service({ clock });
    const tenant = parseTenantOnboarding(sampleTenant());
    // Recorded with a lease, then nothing more (the process died before its first step).
    await service.store.putNewTenant(tenant.tenantId, { ...tenant }, tenant.source, { desiredAt: tenant.requestedAt, lease: { owner: "dead", expiresAt: new Date(clock.now() + 10_000).toISOString() } });
    const page = await service.store.listUnfinished({ limit: 10, dueBefore: new Date(clock.now() + 1).toISOString() });
    expect(page.tenants).toContain(tenant.tenantId);
    const early = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: clock.now() + 8_000, workerId: "backfill" });
    expect(early.steps.map((s) => s.action)).toEqual(["in-progress-elsewhere", "in-progress-elsewhere"]);
    clock.advance(11_000);
    const late = await service.reconcile(await service.store.getTenant(tenant.tenantId), { deadline: clock.now() + 8_000, workerId: "backfill" });
    expect(late.succeeded).toBe(true);
    expect((await service.store.getTenant(tenant.tenantId)).tenant).toMatchObject({ announcedGeneration: 1 });
  });
});

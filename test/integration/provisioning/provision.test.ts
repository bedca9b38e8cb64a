import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { sampleTenant, useLocalStack } from "../../support/local-stack.ts";

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

  it("a repeated run costs one DynamoDB read and no write; a backfill re-drive of a known state costs nothing", async () => {
    const commands: string[] = [];
    const inner = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
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
    // First run: read, tenant item, two step items, then claim and record each step, take a
    // logstore slot for the consumer group (src/logstores), then claim the generation's
    // announcement and settle it (two writes, so a crash between announces again).
    expect(commands.filter((c) => c === "PutCommand")).toHaveLength(3);
    expect(commands.filter((c) => c === "UpdateCommand")).toHaveLength(7);

    commands.length = 0;
    await service.provision(tenant, { deadline: soon(), workerId: "w2" });
    expect(commands).toEqual(["QueryCommand"]);

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

  it("a transient failure at one provider leaves the other SUCCEEDED and itself FAILED_RETRYABLE; a later run finishes it", async () => {
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

/**
 * The invariants a chaos run must end with, checked on a snapshot of the outcome table, both
 * sandboxes, the queues and the captured output. Pure functions: the runner gathers the
 * snapshot, these only judge it.
 */
import type { StepRecord, TenantOutcomes } from "../../src/outcomes/types.ts";
import type { SandboxConsumerGroup } from "../../src/sandbox/sls/types.ts";
import type { ImSandboxGroup } from "../../src/sandbox/tencent-im/types.ts";
import type { SecretLeak } from "./capture.ts";
import type { ChaosTenant } from "./events.ts";
import type { PermanentFault } from "./faults.ts";

/** One invariant's verdict; `failures` names the first offenders. */
export interface InvariantResult {
  name: string;
  ok: boolean;
  detail: string;
  failures: string[];
}

/** What a tenant should end as: the last request the run sent for it. */
export interface DesiredTenant {
  desired: "PRESENT" | "ABSENT";
  /** The spec of its last signup or update (for ABSENT, the one it was offboarded with). */
  spec: ChaosTenant;
}

/** An outcome event as the EventBridge stand-in recorded it. */
export interface SnapshotEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

/** Everything the invariants look at, taken after the run has settled. */
export interface ChaosSnapshot {
  tenants: readonly ChaosTenant[];
  permanent: readonly PermanentFault[];
  /** Per tenant id: what it should end as. */
  desired: ReadonlyMap<string, DesiredTenant>;
  /** Every outcome event published, in order. */
  events: readonly SnapshotEvent[];
  /** Consumer groups and IM groups the providers removed (offboarding). */
  slsDeleted: readonly string[];
  imDestroyed: readonly string[];
  /** Per tenant id, from one consistent Query each. */
  outcomes: ReadonlyMap<string, TenantOutcomes>;
  /** Items the unfinished index still lists (any due time). */
  unfinishedInIndex: number;
  consumerGroupPrefix: string;
  imGroupIdPrefix: string;
  imGroupType: string;
  consumerGroupTimeout: number;
  consumerGroupOrder: boolean;
  /** Every consumer group of the run's project, with the logstore holding it. */
  slsGroups: readonly (SandboxConsumerGroup & { logstore: string })[];
  /** The logstore registry's items: capacity, count and the tenants holding a slot. */
  logstores: readonly { name: string; capacity: number; assigned: number; tenants: readonly string[] }[];
  slsCreatesApplied: number;
  imGroups: readonly ImSandboxGroup[];
  imCreatesApplied: number;
  queues: { signup: { visible: number; inFlight: number; delayed: number }; dlq: { visible: number; inFlight: number; delayed: number } };
  /** Webhook reply status codes, and signup-handler invocations that threw. */
  webhookStatuses: Readonly<Record<string, number>>;
  signupHandlerErrors: number;
  secretScan: { linesScanned: number; secretsChecked: number; leaks: readonly SecretLeak[] };
}

const MAX_LISTED = 10;

function verdict(name: string, failures: string[], okDetail: string): InvariantResult {
  return {
    name,
    ok: failures.length === 0,
    detail: failures.length === 0 ? okDetail : `${failures.length} violation(s)`,
    failures: failures.slice(0, MAX_LISTED),
  };
}

function stepOf(outcomes: TenantOutcomes | undefined, step: StepRecord["step"]): StepRecord | undefined {
  return outcomes?.steps.find((s) => s.step === step);
}

/** Every tenant ends SUCCEEDED, or exactly with the permanent error injected for it. */
export function checkFinalStatuses(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const expected = new Map(s.permanent.map((p) => [`${p.tenantId}/${p.step}`, p]));
  let succeeded = 0;
  let permanentAsInjected = 0;
  for (const tenant of s.tenants) {
    const outcomes = s.outcomes.get(tenant.tenantId);
    for (const step of ["sls-consumer-group", "im-group"] as const) {
      const record = stepOf(outcomes, step);
      const fault = expected.get(`${tenant.tenantId}/${step}`);
      if (!record) {
        failures.push(`${tenant.tenantId}/${step}: no record`);
      } else if (fault) {
        const e = record.lastError;
        if (record.status === "FAILED_PERMANENT" && e?.provider === fault.provider && e.code === fault.code && e.errorClass === "permanent") permanentAsInjected++;
        else failures.push(`${tenant.tenantId}/${step}: want FAILED_PERMANENT ${fault.provider} ${fault.code}, got ${record.status} ${e?.provider ?? ""} ${e?.code ?? ""}`);
      } else if (record.status === (s.desired.get(tenant.tenantId)?.desired === "ABSENT" ? "DELETED" : "SUCCEEDED")) {
        succeeded++;
      } else {
        failures.push(`${tenant.tenantId}/${step}: ${record.status} (${record.lastError?.code ?? "no error"})`);
      }
    }
  }
  return verdict(
    "every tenant ends SUCCEEDED (DELETED when offboarded) or with exactly its injected permanent error",
    failures,
    `${succeeded} steps SUCCEEDED or DELETED as desired, ${permanentAsInjected}/${s.permanent.length} injected permanent errors recorded exactly`,
  );
}

/** Each resource exists once, and no create ever took effect twice (sandbox create counters). */
export function checkNoDuplicates(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const count = (names: readonly string[]) => {
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    return [...seen].filter(([, c]) => c > 1);
  };
  // No tenant re-signs up in the run: each name is created at most once, alive or removed since.
  for (const [name, c] of count([...s.slsGroups.map((g) => g.name), ...s.slsDeleted])) failures.push(`consumer group ${name} created ${c} times`);
  for (const [id, c] of count([...s.imGroups.map((g) => g.groupId), ...s.imDestroyed])) failures.push(`IM group ${id} created ${c} times`);
  const slsMade = s.slsGroups.length + s.slsDeleted.length;
  const imMade = s.imGroups.length + s.imDestroyed.length;
  if (s.slsCreatesApplied !== slsMade) failures.push(`SLS creates applied ${s.slsCreatesApplied} != consumer groups alive + removed ${slsMade}`);
  if (s.imCreatesApplied !== imMade) failures.push(`IM creates applied ${s.imCreatesApplied} != groups alive + removed ${imMade}`);
  return verdict(
    "zero duplicate resources",
    failures,
    `${slsMade} consumer groups (${s.slsDeleted.length} removed since) from ${s.slsCreatesApplied} applied creates; ${imMade} IM groups (${s.imDestroyed.length} removed) from ${s.imCreatesApplied} applied creates`,
  );
}

/** Every SUCCEEDED record names a matching sandbox resource, and every sandbox resource has one. */
export function checkRecordsMatchSandbox(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const slsByName = new Map(s.slsGroups.map((g) => [g.name, g]));
  const imById = new Map(s.imGroups.map((g) => [g.groupId, g]));
  const tenantsById = new Map(s.tenants.map((t) => [t.tenantId, t]));
  for (const tenant of s.tenants) {
    const outcomes = s.outcomes.get(tenant.tenantId);
    const sls = stepOf(outcomes, "sls-consumer-group");
    const name = `${s.consumerGroupPrefix}${tenant.tenantId}`;
    if (sls?.status === "SUCCEEDED") {
      const group = slsByName.get(name);
      if (sls.resource["consumerGroup"] !== name) failures.push(`${tenant.tenantId}: SLS record names ${sls.resource["consumerGroup"] ?? "nothing"}`);
      if (!group) failures.push(`${tenant.tenantId}: SUCCEEDED but consumer group ${name} is missing`);
      else {
        const wanted = s.desired.get(tenant.tenantId)?.spec.consumerGroup;
        const timeout = wanted?.timeout ?? s.consumerGroupTimeout;
        const order = wanted?.order ?? s.consumerGroupOrder;
        if (group.timeout !== timeout || group.order !== order) failures.push(`${name}: timeout/order ${group.timeout}/${group.order}, want ${timeout}/${order}`);
        if (group.logstore !== sls.resource["logstore"]) failures.push(`${name}: in logstore ${group.logstore}, its record names ${sls.resource["logstore"] ?? "nothing"}`);
      }
    }
    const im = stepOf(outcomes, "im-group");
    const groupId = `${s.imGroupIdPrefix}${tenant.tenantId}`;
    if (im?.status === "SUCCEEDED") {
      const group = imById.get(groupId);
      if (im.resource["groupId"] !== groupId) failures.push(`${tenant.tenantId}: IM record names ${im.resource["groupId"] ?? "nothing"}`);
      if (!group) failures.push(`${tenant.tenantId}: SUCCEEDED but IM group ${groupId} is missing`);
      else {
        if (group.owner !== tenant.admin.userId) failures.push(`${groupId}: owner ${group.owner ?? "none"}`);
        if (group.type !== s.imGroupType) failures.push(`${groupId}: type ${group.type}`);
        if (!group.introduction.includes(`[tp:${tenant.tenantId}]`)) failures.push(`${groupId}: no provisioning marker`);
        const spec = s.desired.get(tenant.tenantId)?.spec ?? tenant;
        if (group.name !== spec.displayName) failures.push(`${groupId}: name ${group.name}, want ${spec.displayName}`);
        for (const m of spec.members ?? []) if (!group.members.includes(m.userId)) failures.push(`${groupId}: member ${m.userId} missing`);
      }
    }
  }
  const succeededStep = (tenantId: string, step: StepRecord["step"]) => stepOf(s.outcomes.get(tenantId), step)?.status === "SUCCEEDED";
  for (const g of s.slsGroups) {
    const tenantId = g.name.startsWith(s.consumerGroupPrefix) ? g.name.slice(s.consumerGroupPrefix.length) : "";
    if (!tenantsById.has(tenantId) || !succeededStep(tenantId, "sls-consumer-group")) failures.push(`consumer group ${g.name} has no SUCCEEDED record`);
  }
  for (const g of s.imGroups) {
    const tenantId = g.groupId.startsWith(s.imGroupIdPrefix) ? g.groupId.slice(s.imGroupIdPrefix.length) : "";
    if (!tenantsById.has(tenantId) || !succeededStep(tenantId, "im-group")) failures.push(`IM group ${g.groupId} has no SUCCEEDED record`);
  }
  return verdict(
    "every SUCCEEDED record matches a sandbox resource and every sandbox resource has a SUCCEEDED record",
    failures,
    `${s.slsGroups.length + s.imGroups.length} resources ↔ SUCCEEDED records, one to one`,
  );
}

/** Nothing lost, nothing left mid-way: one tenant item and two finished steps per tenant, empty queues. */
export function checkNothingLost(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  let records = 0;
  for (const tenant of s.tenants) {
    const outcomes = s.outcomes.get(tenant.tenantId);
    if (!outcomes?.tenant) failures.push(`${tenant.tenantId}: tenant item missing`);
    const steps = outcomes?.steps ?? [];
    records += steps.length + (outcomes?.tenant ? 1 : 0);
    if (steps.length !== 2) failures.push(`${tenant.tenantId}: ${steps.length} step records`);
    for (const step of steps) {
      if (step.status === "IN_PROGRESS" || step.status === "PENDING" || step.status === "FAILED_RETRYABLE") failures.push(`${tenant.tenantId}/${step.step}: left ${step.status}`);
      if (step.leaseOwner !== undefined) failures.push(`${tenant.tenantId}/${step.step}: still leased by ${step.leaseOwner}`);
    }
  }
  if (s.unfinishedInIndex !== 0) failures.push(`unfinished index still lists ${s.unfinishedInIndex} step(s)`);
  const depth = (d: { visible: number; inFlight: number; delayed: number }) => d.visible + d.inFlight + d.delayed;
  if (depth(s.queues.signup) !== 0) failures.push(`signup queue still holds ${depth(s.queues.signup)} message(s)`);
  if (depth(s.queues.dlq) !== 0) failures.push(`DLQ still holds ${depth(s.queues.dlq)} message(s)`);
  return verdict(
    "no record lost or left IN_PROGRESS; queues and DLQ empty",
    failures,
    `${records} records for ${s.tenants.length} tenants (tenant item + 2 steps each), unfinished index empty, queues empty`,
  );
}

/** No delivery got a 5xx and no signup invocation crashed. */
export function checkNoServerErrors(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  for (const [status, n] of Object.entries(s.webhookStatuses)) if (Number(status) >= 500) failures.push(`${n} webhook replies with ${status}`);
  if (s.signupHandlerErrors > 0) failures.push(`${s.signupHandlerErrors} signup invocations threw`);
  const replies = Object.entries(s.webhookStatuses)
    .sort()
    .map(([k, v]) => `${k}×${v}`)
    .join(" ");
  return verdict("no 5xx reply and no crashed invocation", failures, `webhook replies ${replies}; signup invocations never threw`);
}

/** No secret value appears in any captured line. */
export function checkNoSecrets(s: ChaosSnapshot): InvariantResult {
  const failures = s.secretScan.leaks.map((l) => `${l.secret} in ${l.where}: ${l.excerpt}`);
  return verdict(
    "no secret in any log line",
    failures,
    `${s.secretScan.linesScanned} lines/records scanned for ${s.secretScan.secretsChecked} secret values (SLS AccessKeySecret, IM SecretKey, webhook secret, UserSigs)`,
  );
}

/**
 * The sandboxes hold exactly each tenant's desired state at its latest generation: an offboarded
 * tenant has no resource left, every other its resources with the last spec's settings; the
 * tenant item records that generation's desire and spec. Only offboarded tenants lost resources.
 */
export function checkDesiredState(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const slsNames = new Set(s.slsGroups.map((g) => g.name));
  const imIds = new Map(s.imGroups.map((g) => [g.groupId, g]));
  const permanentIds = new Set(s.permanent.map((p) => p.tenantId));
  let present = 0;
  let absent = 0;
  for (const tenant of s.tenants) {
    const want = s.desired.get(tenant.tenantId);
    const item = s.outcomes.get(tenant.tenantId)?.tenant;
    if (!want || !item) {
      failures.push(`${tenant.tenantId}: no desired state or tenant item`);
      continue;
    }
    if (item.desired !== want.desired) failures.push(`${tenant.tenantId}: recorded ${item.desired}, want ${want.desired}`);
    if (item.snapshot["displayName"] !== want.spec.displayName) failures.push(`${tenant.tenantId}: recorded spec is not the last one sent`);
    const name = `${s.consumerGroupPrefix}${tenant.tenantId}`;
    const groupId = `${s.imGroupIdPrefix}${tenant.tenantId}`;
    if (want.desired === "ABSENT") {
      absent++;
      if (slsNames.has(name)) failures.push(`${tenant.tenantId}: offboarded but consumer group ${name} remains`);
      if (imIds.has(groupId)) failures.push(`${tenant.tenantId}: offboarded but IM group ${groupId} remains`);
    } else if (!permanentIds.has(tenant.tenantId)) {
      present++;
      if (!slsNames.has(name)) failures.push(`${tenant.tenantId}: consumer group ${name} missing`);
      const group = imIds.get(groupId);
      if (!group) failures.push(`${tenant.tenantId}: IM group ${groupId} missing`);
      else if (want.spec.imGroup?.notification !== undefined && group.notification !== want.spec.imGroup.notification) {
        failures.push(`${groupId}: notification not updated`);
      }
    }
  }
  const offboarded = new Set([...s.desired].filter(([, d]) => d.desired === "ABSENT").map(([id]) => id));
  for (const n of s.slsDeleted) if (!offboarded.has(n.slice(s.consumerGroupPrefix.length))) failures.push(`stray delete of consumer group ${n}`);
  for (const id of s.imDestroyed) if (!offboarded.has(id.slice(s.imGroupIdPrefix.length))) failures.push(`stray destroy of IM group ${id}`);
  return verdict(
    "sandbox state equals each tenant's desired state at its latest generation; no stray delete",
    failures,
    `${present} tenants PRESENT with their last spec, ${absent} offboarded with nothing left; ${s.slsDeleted.length + s.imDestroyed.length} removals, all of offboarded tenants`,
  );
}

/**
 * Exactly one outcome event per (tenant, generation, outcome), and none missing: each tenant's
 * latest generation is announced once, with the outcome its records show.
 */
export function checkOutcomeEvents(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const seen = new Map<string, number>();
  const byTenant = new Map<string, SnapshotEvent[]>();
  for (const e of s.events) {
    const id = String(e.detail["eventId"]);
    seen.set(id, (seen.get(id) ?? 0) + 1);
    const tenantId = String(e.detail["tenantId"]);
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), e]);
  }
  for (const [id, n] of seen) if (n > 1) failures.push(`event ${id} published ${n} times`);
  for (const tenant of s.tenants) {
    const outcomes = s.outcomes.get(tenant.tenantId);
    const generation = outcomes?.tenant?.generation ?? 0;
    const statuses = (outcomes?.steps ?? []).map((st) => st.status);
    const want = statuses.some((st) => st === "FAILED_PERMANENT" || st === "CONFLICT")
      ? "TenantProvisioningFailed"
      : outcomes?.tenant?.desired === "ABSENT"
        ? "TenantDeprovisioned"
        : "TenantProvisioned";
    const events = byTenant.get(tenant.tenantId) ?? [];
    const latest = events.filter((e) => e.detail["generation"] === generation);
    if (latest.length !== 1 || latest[0]?.detailType !== want) {
      failures.push(`${tenant.tenantId}: generation ${generation} announced as [${latest.map((e) => e.detailType).join(", ")}], want ${want}`);
    }
    for (const e of events) {
      if (Number(e.detail["generation"]) > generation) failures.push(`${tenant.tenantId}: event for generation ${String(e.detail["generation"])} beyond ${generation}`);
      if (e.detail["eventId"] !== `${tenant.tenantId}:${String(e.detail["generation"])}:${e.detailType}`) failures.push(`${tenant.tenantId}: event id ${String(e.detail["eventId"])}`);
    }
  }
  return verdict(
    "exactly one outcome event per (tenant, generation, outcome), none missing",
    failures,
    `${s.events.length} events for ${s.tenants.length} tenants, each latest generation announced once`,
  );
}

/** All invariants, in report order. */
/**
 * The logstore registry agrees with SLS: no logstore over its capacity, each count is its ledger
 * of tenants, every consumer group is in its logstore's ledger, and a tenant in a ledger without
 * its group there is one whose SLS step did not succeed (a slot held for its retry).
 */
export function checkLogstoreRegistry(s: ChaosSnapshot): InvariantResult {
  const failures: string[] = [];
  const groupsIn = new Map<string, Set<string>>();
  for (const g of s.slsGroups) groupsIn.set(g.logstore, (groupsIn.get(g.logstore) ?? new Set()).add(g.name));
  let held = 0;
  for (const l of s.logstores) {
    const groups = groupsIn.get(l.name) ?? new Set<string>();
    if (l.assigned > l.capacity) failures.push(`${l.name}: ${l.assigned} assigned, capacity ${l.capacity}`);
    if (l.assigned !== l.tenants.length) failures.push(`${l.name}: count ${l.assigned}, ledger ${l.tenants.length}`);
    for (const name of groups) if (!l.tenants.includes(name.slice(s.consumerGroupPrefix.length))) failures.push(`${name}: in ${l.name} but not in its ledger`);
    for (const tenantId of l.tenants) {
      held++;
      if (!groups.has(`${s.consumerGroupPrefix}${tenantId}`) && stepOf(s.outcomes.get(tenantId), "sls-consumer-group")?.status === "SUCCEEDED") {
        failures.push(`${tenantId}: holds a slot in ${l.name} without its group there`);
      }
    }
  }
  return verdict("logstore registry = SLS", failures, `${s.logstores.length} logstores, ${held} slots held for ${s.slsGroups.length} consumer groups, none over capacity`);
}

export function checkInvariants(s: ChaosSnapshot): InvariantResult[] {
  return [
    checkLogstoreRegistry(s),
    checkFinalStatuses(s),
    checkNoDuplicates(s),
    checkRecordsMatchSandbox(s),
    checkDesiredState(s),
    checkOutcomeEvents(s),
    checkNothingLost(s),
    checkNoServerErrors(s),
    checkNoSecrets(s),
  ];
}

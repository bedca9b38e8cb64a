/** The end state of a chaos run, read back from the table, the sandboxes, the queues and the output, for the invariants. */
import { ScanCommand } from "../../src/aws/dynamodb/index.ts";
import type { ServiceConfig } from "../../src/config/config.ts";
import { forEachWithin } from "../../src/concurrency/for-each-within.ts";
import type { SqsStandIn } from "../../src/local/sqs.ts";
import { LOCAL, type LocalStack } from "../../src/local/stack.ts";
import { LOGSTORE_PK } from "../../src/outcomes/table-map.ts";
import type { StepStatus, TenantOutcomes } from "../../src/outcomes/types.ts";
import type { Service } from "../../src/service.ts";
import { findSecrets, type TeeLogger } from "./capture.ts";
import type { DeliveryStats } from "./deliveries.ts";
import type { ChaosSnapshot } from "./invariants.ts";
import type { Scenario } from "./scenario.ts";

export interface SnapshotInput {
  scenario: Scenario;
  service: Service;
  config: ServiceConfig;
  stack: LocalStack;
  sqs: SqsStandIn;
  queues: { signup: string; dlq: string };
  deliveries: DeliveryStats;
  signupHandlerErrors: number;
  unfinishedInIndex: number;
  /** What the process printed during the run, and what the core logged. */
  output: { lines: string[]; logger: TeeLogger };
  webhookSecret: string;
  userSigs: ReadonlySet<string>;
}

/** The snapshot the invariants judge, and the counts the report shows. */
export interface TakenSnapshot {
  snapshot: ChaosSnapshot;
  counts: {
    outcomeEvents: Record<string, number>;
    steps: Partial<Record<StepStatus, number>>;
    stepAttempts: { total: number; max: number };
    slsGroups: number;
    imGroups: number;
    tableItems: Record<string, number>;
  };
}

/**
 * Reads every tenant's outcomes, scans the table, the output and the replies for secrets, and
 * counts what the report shows.
 *
 * @example
 * ```ts
 * const { snapshot, counts } = await takeSnapshot(input);
 * const verdicts = checkInvariants(snapshot);
 * ```
 */
export async function takeSnapshot(input: SnapshotInput): Promise<TakenSnapshot> {
  const { scenario, service, config, stack } = input;
  const outcomes = new Map<string, TenantOutcomes>();
  await forEachWithin(scenario.tenants, 16, () => true, async (t) => {
    outcomes.set(t.tenantId, await service.store.getTenant(t.tenantId));
  });
  const tableItems = await scanTable(service, config.outcomeTableName);

  const slsState = stack.sls.state();
  const imState = stack.im.state();
  const slsGroups = Object.entries(slsState.groups[LOCAL.slsProject] ?? {}).flatMap(([logstore, groups]) => groups.map((g) => ({ ...g, logstore })));
  const secrets = [
    { name: "SLS AccessKeySecret", value: stack.credentials.sls.accessKeySecret },
    { name: "IM SecretKey", value: stack.credentials.im.secretKey },
    { name: "webhook secret", value: input.webhookSecret },
    { name: "webhook secret (key part)", value: input.webhookSecret.replace(/^whsec_/, "") },
    ...[...input.userSigs].map((value, i) => ({ name: `UserSig #${i + 1}`, value })),
  ];
  const scan = findSecrets(
    {
      "stdout/stderr": input.output.lines,
      "core logger": input.output.logger.lines,
      "webhook reply": input.deliveries.replyBodies,
      "outcome table": tableItems.map((item) => JSON.stringify(item)),
    },
    secrets,
  );

  const steps: Partial<Record<StepStatus, number>> = {};
  let attemptsTotal = 0;
  let attemptsMax = 0;
  for (const o of outcomes.values()) {
    for (const s of o.steps) {
      steps[s.status] = (steps[s.status] ?? 0) + 1;
      attemptsTotal += s.attempts;
      attemptsMax = Math.max(attemptsMax, s.attempts);
    }
  }
  const outcomeEvents: Record<string, number> = {};
  for (const e of stack.events.events) outcomeEvents[e.detailType] = (outcomeEvents[e.detailType] ?? 0) + 1;
  const snapshot: ChaosSnapshot = {
    tenants: scenario.tenants,
    permanent: scenario.permanent,
    desired: scenario.desired,
    outcomes,
    events: stack.events.events.map((e) => ({ detailType: e.detailType, detail: e.detail })),
    slsDeleted: slsState.deletedGroups,
    imDestroyed: imState.destroyedGroups,
    unfinishedInIndex: input.unfinishedInIndex,
    consumerGroupPrefix: config.sls.consumerGroupPrefix,
    imGroupIdPrefix: config.im.groupIdPrefix,
    imGroupType: config.im.groupType,
    consumerGroupTimeout: config.sls.consumerGroupTimeout,
    consumerGroupOrder: config.sls.consumerGroupOrder,
    slsGroups,
    logstores: tableItems
      .filter((item) => item["pk"] === LOGSTORE_PK)
      .map((item) => ({
        name: String(item["name"]),
        capacity: Number(item["capacity"]),
        assigned: Number(item["assigned"]),
        tenants: item["tenants"] instanceof Set ? [...(item["tenants"] as Set<string>)] : [],
      })),
    slsCreatesApplied: slsState.createsApplied,
    imGroups: imState.groups,
    imCreatesApplied: imState.counters.createGroupApplied,
    queues: { signup: input.sqs.depth(input.queues.signup), dlq: input.sqs.depth(input.queues.dlq) },
    webhookStatuses: input.deliveries.webhookStatuses,
    signupHandlerErrors: input.signupHandlerErrors,
    secretScan: { linesScanned: scan.scanned, secretsChecked: secrets.length, leaks: scan.leaks },
  };
  return {
    snapshot,
    counts: {
      outcomeEvents,
      steps,
      stepAttempts: { total: attemptsTotal, max: attemptsMax },
      slsGroups: slsGroups.length,
      imGroups: imState.groups.length,
      tableItems: itemKinds(tableItems),
    },
  };
}

async function scanTable(service: Service, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await service.documentClient.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Items by kind: tenant, step, or the key prefix of anything else (webhook ids, rejections, positions). */
function itemKinds(items: readonly Record<string, unknown>[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const item of items) {
    const pk = typeof item["pk"] === "string" ? item["pk"] : "";
    const sk = typeof item["sk"] === "string" ? item["sk"] : "";
    const kind = pk.startsWith("TENANT#") ? (sk === "TENANT" ? "tenant" : "step") : (pk.split("#")[0] ?? pk).toLowerCase();
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

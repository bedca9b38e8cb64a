/** The sandbox's consumer groups, per project and logstore, with SLS's rules and error codes. */
import { CONSUMER_GROUP_NAME_PATTERN, MAX_CONSUMER_GROUPS_PER_LOGSTORE } from "../../providers/sls/constants.ts";
import { SlsRejection } from "./rejection.ts";
import type { SandboxConsumerGroup } from "./types.ts";

type Settings = Omit<SandboxConsumerGroup, "name">;

/**
 * Consumer groups of the sandbox's projects and logstores.
 *
 * @example
 * ```ts
 * const store = new ConsumerGroupStore({ "my-project": ["my-logstore"] });
 * store.create("my-project", "my-logstore", '{"consumerGroup":"g","timeout":60,"order":false}');
 * ```
 */
export class ConsumerGroupStore {
  readonly #logstores = new Map<string, Map<string, Map<string, Settings>>>();

  constructor(projects: Record<string, string[]>) {
    for (const [project, logstores] of Object.entries(projects)) {
      this.#logstores.set(project, new Map(logstores.map((l) => [l, new Map<string, Settings>()])));
    }
  }

  /** The groups of one logstore, or ProjectNotExist / LogStoreNotExist. */
  groupsOf(project: string, logstore: string): Map<string, Settings> {
    const logstores = this.#logstores.get(project);
    if (logstores === undefined) throw new SlsRejection(404, "ProjectNotExist", `The Project does not exist : ${project}`);
    const groups = logstores.get(logstore);
    if (groups === undefined) throw new SlsRejection(404, "LogStoreNotExist", `logstore ${logstore} does not exist`);
    return groups;
  }

  /** CreateConsumerGroup with the request body as received. */
  create(project: string, logstore: string, body: string): SandboxConsumerGroup {
    const groups = this.groupsOf(project, logstore);
    const input = parseObject(body);
    const name = input["consumerGroup"];
    const timeout = input["timeout"];
    const order = input["order"];
    if (typeof name !== "string" || !CONSUMER_GROUP_NAME_PATTERN.test(name) || !isTimeout(timeout) || typeof order !== "boolean") {
      throw new SlsRejection(400, "JsonInfoInvalid", "consumerGroup or timeout is of error format");
    }
    if (groups.has(name)) throw new SlsRejection(400, "ConsumerGroupAlreadyExist", "consumer group already exist");
    if (groups.size >= MAX_CONSUMER_GROUPS_PER_LOGSTORE) {
      throw new SlsRejection(400, "ConsumerGroupQuotaExceed", `a logstore holds at most ${MAX_CONSUMER_GROUPS_PER_LOGSTORE} consumer groups`);
    }
    groups.set(name, { timeout, order });
    return { name, timeout, order };
  }

  /** ListConsumerGroup: every group of the logstore. */
  list(project: string, logstore: string): SandboxConsumerGroup[] {
    return [...this.groupsOf(project, logstore)].map(([name, s]) => ({ name, ...s }));
  }

  /** UpdateConsumerGroup: changes the fields present in the body. */
  update(project: string, logstore: string, name: string, body: string): SandboxConsumerGroup {
    const groups = this.groupsOf(project, logstore);
    const input = parseObject(body);
    const timeout = input["timeout"];
    const order = input["order"];
    if ((timeout !== undefined && !isTimeout(timeout)) || (order !== undefined && typeof order !== "boolean")) {
      throw new SlsRejection(400, "JsonInfoInvalid", "order or timeout is of error format");
    }
    const current = groups.get(name);
    if (current === undefined) throw new SlsRejection(404, "ConsumerGroupNotExist", `consumer group ${name} does not exist`);
    const next = { timeout: timeout ?? current.timeout, order: order ?? current.order };
    groups.set(name, next);
    return { name, ...next };
  }

  /** DeleteConsumerGroup: succeeds whether or not the group exists; true when it removed one. */
  delete(project: string, logstore: string, name: string): boolean {
    return this.groupsOf(project, logstore).delete(name);
  }

  /** Every group, per project and logstore. */
  snapshot(): Record<string, Record<string, SandboxConsumerGroup[]>> {
    const out: Record<string, Record<string, SandboxConsumerGroup[]>> = {};
    for (const [project, logstores] of this.#logstores) {
      const perLogstore: Record<string, SandboxConsumerGroup[]> = {};
      for (const logstore of logstores.keys()) perLogstore[logstore] = this.list(project, logstore);
      out[project] = perLogstore;
    }
    return out;
  }

  /** Drops every group; projects and logstores stay. */
  clear(): void {
    for (const logstores of this.#logstores.values()) for (const groups of logstores.values()) groups.clear();
  }
}

function isTimeout(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function parseObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SlsRejection(400, "JsonInfoInvalid", "the body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SlsRejection(400, "JsonInfoInvalid", "the body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

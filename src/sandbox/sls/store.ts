/** The sandbox's logstores and consumer groups, per project, with SLS's rules and error codes. */
import { CONSUMER_GROUP_NAME_PATTERN, MAX_CONSUMER_GROUPS_PER_LOGSTORE, MAX_LOGSTORES_PER_PROJECT } from "../../providers/sls/constants.ts";
import { parseCreateLogStoreBody, type SandboxLogStore } from "./logstore-body.ts";
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
  readonly #initial: Record<string, string[]>;
  readonly #logstoreQuota: number;
  /** Logstores made by CreateLogStore, per project, in creation order. */
  #created = new Map<string, SandboxLogStore[]>();

  /** `logstoreQuota`: logstores a project may hold, those it starts with included (SLS: 200). */
  constructor(projects: Record<string, string[]>, options: { logstoreQuota?: number | undefined } = {}) {
    this.#initial = projects;
    this.#logstoreQuota = options.logstoreQuota ?? MAX_LOGSTORES_PER_PROJECT;
    this.#fill();
  }

  #fill(): void {
    this.#logstores.clear();
    this.#created = new Map();
    for (const [project, logstores] of Object.entries(this.#initial)) {
      this.#logstores.set(project, new Map(logstores.map((l) => [l, new Map<string, Settings>()])));
    }
  }

  /** The logstores of one project, or ProjectNotExist. */
  #project(project: string): Map<string, Map<string, Settings>> {
    const logstores = this.#logstores.get(project);
    if (logstores === undefined) throw new SlsRejection(404, "ProjectNotExist", `The Project does not exist : ${project}`);
    return logstores;
  }

  /** Throws ProjectNotExist for a project the sandbox does not have. */
  checkProject(project: string): void {
    this.#project(project);
  }

  /**
   * CreateLogStore with the request body as received: LogStoreInfoInvalid for a body that breaks
   * a documented rule, LogStoreAlreadyExist for a taken name, ProjectQuotaExceed when the project
   * holds its quota of logstores. The new logstore takes consumer groups at once.
   */
  createLogstore(project: string, body: string): SandboxLogStore {
    const logstores = this.#project(project);
    const logstore = parseCreateLogStoreBody(body);
    if (logstores.has(logstore.name)) throw new SlsRejection(400, "LogStoreAlreadyExist", `logstore ${logstore.name} already exists`);
    if (logstores.size >= this.#logstoreQuota) throw new SlsRejection(400, "ProjectQuotaExceed", "Project Quota Exceed");
    logstores.set(logstore.name, new Map());
    this.#created.set(project, [...(this.#created.get(project) ?? []), logstore]);
    return logstore;
  }

  /** The logstores CreateLogStore made, per project, with the settings they were made with. */
  createdLogstores(): Record<string, SandboxLogStore[]> {
    return Object.fromEntries(this.#created);
  }

  /** The groups of one logstore, or ProjectNotExist / LogStoreNotExist. */
  groupsOf(project: string, logstore: string): Map<string, Settings> {
    const logstores = this.#project(project);
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

  /** Drops every group and every logstore CreateLogStore made; the projects and logstores it started with stay. */
  clear(): void {
    this.#fill();
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

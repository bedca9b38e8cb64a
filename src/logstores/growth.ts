/**
 * Growing the registry when every logstore is full (SLS_LOGSTORE_AUTO_CREATE): the next logstore
 * is created through SLS CreateLogStore under a deterministic name, registered, and the tenant
 * placed there. Safe with any number of processes at once: they all derive the same name from
 * the registry, so one need creates one logstore (a racing process's LogStoreAlreadyExist is its
 * success too) and the registration is a write conditional on the item being absent. Existing
 * assignments are never touched: only a tenant without a slot is placed, as `assign` does.
 */
import { SlsError, type CreateLogStoreResult, type LogStoreSpec, type SlsCallOptions } from "../providers/sls/index.ts";
import { LogstoreQuotaReachedError, LogstoresExhaustedError } from "./errors.ts";
import type { LogstoreRegistry } from "./registry.ts";
import type { LogstoreToAdd } from "./types.ts";

/**
 * Where a step's tenants are placed: the registry's `assign` (which may also take the call's
 * deadline, for a CreateLogStore it makes), `release` and `holderOf`. The registry is one; a
 * {@link growingRegistry} is another.
 */
export interface LogstorePlacement {
  assign(tenantId: string, options?: { prefer?: string | undefined; exclude?: Iterable<string>; deadline?: number | undefined }): Promise<string>;
  release: LogstoreRegistry["release"];
  holderOf: LogstoreRegistry["holderOf"];
}

/**
 * Logstores one `assign` may create before it gives up with LogstoresExhausted (retryable): each
 * round is a new logstore that other processes filled before this one got a slot in it.
 */
const MAX_GROWTH_ROUNDS = 3;

/** How a registry grows. */
export interface LogstoreGrowthOptions {
  /** The registry grown; `assign` is tried first, as without growth. */
  registry: Pick<LogstoreRegistry, "assign" | "release" | "holderOf" | "list" | "add">;
  /** The SLS project, for the quota's message. */
  project: string;
  /** Names are `{prefix}{n}`, n one more than the highest registered (1 when none). */
  prefix: string;
  /** Settings of the logstores created (name aside). */
  settings: Omit<LogStoreSpec, "name">;
  /** SLS CreateLogStore in the project. */
  createLogStore(logstore: LogStoreSpec, options: SlsCallOptions): Promise<CreateLogStoreResult>;
  /**
   * How a logstore that existed already at SLS is registered (its consumer groups counted, the
   * tenants' among them holding their slots): `logstoresAtSls` for one name.
   */
  existing(name: string): Promise<LogstoreToAdd>;
  /** Told about each logstore this process created or registered. */
  onGrown?: ((event: { logstore: string; created: boolean }) => void) | undefined;
}

/**
 * The name of the next logstore: `{prefix}{n}`, n one more than the highest number among the
 * registered names of that form, 1 when there is none. Every process reading the same registry
 * derives the same name.
 *
 * @example
 * ```ts
 * nextLogstoreName("tenant-events-", ["tenant-events-0", "tenant-events-7", "other"]); // "tenant-events-8"
 * ```
 */
export function nextLogstoreName(prefix: string, registered: readonly string[]): string {
  let highest = 0;
  for (const name of registered) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^\d+$/.test(rest)) highest = Math.max(highest, Number(rest));
  }
  return `${prefix}${highest + 1}`;
}

/**
 * The registry's `assign`, `release` and `holderOf`, where `assign` creates the next logstore
 * when every registered one is full (see the module comment). Within one process, tenants that
 * find every logstore full at once wait for one creation. The project's logstore quota stops it
 * with a permanent {@link LogstoreQuotaReachedError}.
 *
 * @example
 * ```ts
 * const logstores = growingRegistry({ registry, project: "acme", prefix: "tenant-events-", settings: { ttl: 30, shardCount: 2 },
 *   createLogStore: (l) => sls.createLogStore(l), existing: async (n) => (await logstoresAtSls([n], "tenant-", clientFor))[0]! });
 * await logstores.assign("acme-1"); // "tenant-events-8" when tenant-events-0..7 are full
 * ```
 */
export function growingRegistry(options: LogstoreGrowthOptions): LogstorePlacement {
  const { registry } = options;
  let growing: Promise<string> | undefined;

  /** Creates (or finds) and registers the next logstore; returns its name. */
  async function grow(deadline: number | undefined): Promise<string> {
    // `assign` read the list afresh before it gave up: this is that list.
    const registered = await registry.list();
    const name = nextLogstoreName(options.prefix, registered.map((e) => e.name));
    let created = true;
    try {
      await options.createLogStore({ name, ...options.settings }, { deadline });
    } catch (error) {
      if (!(error instanceof SlsError)) throw error;
      if (error.code === "ProjectQuotaExceed" && error.errorClass === "permanent") {
        throw new LogstoreQuotaReachedError(options.project, registered.length, { httpStatus: error.httpStatus, requestId: error.requestId, cause: error });
      }
      // Another process created it for the same need (or one that crashed before registering it).
      if (error.errorClass !== "exists") throw error;
      created = false;
    }
    // Registered only if absent: a racing process's registration stands, with its counts.
    await registry.add([created ? { name } : await options.existing(name)]);
    options.onGrown?.({ logstore: name, created });
    return name;
  }

  return {
    release: (logstore, tenantId, releaseOptions) => registry.release(logstore, tenantId, releaseOptions),
    holderOf: (tenantId) => registry.holderOf(tenantId),
    async assign(tenantId, assignOptions = {}) {
      let prefer = assignOptions.prefer;
      for (let round = 0; ; round++) {
        try {
          return await registry.assign(tenantId, { prefer, ...(assignOptions.exclude ? { exclude: assignOptions.exclude } : {}) });
        } catch (error) {
          if (!(error instanceof LogstoresExhaustedError) || round === MAX_GROWTH_ROUNDS) throw error;
        }
        growing ??= grow(assignOptions.deadline).finally(() => {
          growing = undefined;
        });
        prefer = await growing;
      }
    },
  };
}

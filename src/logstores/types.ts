/** Types of the logstore registry: the SLS logstores tenants' consumer groups are placed in. */
import type { DocumentClient } from "../aws/dynamodb/index.ts";
import type { Clock } from "../http/types.ts";

/** One registered logstore, as the registry lists it. */
export interface LogstoreEntry {
  name: string;
  /** Consumer groups it may hold (SLS: 30). */
  capacity: number;
  /** Consumer groups counted in it: every slot taken by a tenant, plus groups found at registration. */
  assigned: number;
  /** SLS answered ConsumerGroupQuotaExceed although the count had room (groups made by hand). */
  full: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A logstore to register. */
export interface LogstoreToAdd {
  name: string;
  /** Default 30 (SLS's limit). */
  capacity?: number | undefined;
  /**
   * Tenants whose consumer groups already live in it (a migration from the `SLS_LOGSTORE` list):
   * they hold their slots from the start.
   */
  tenants?: readonly string[] | undefined;
  /** Consumer groups already in it, ours or not (default: `tenants.length`). */
  existingGroups?: number | undefined;
}

/** Where a tenant's slot is. */
export type TakeOutcome = "taken" | "held" | "no-room";

/** Options of `LogstoreRegistry`. */
export interface LogstoreRegistryOptions {
  client: DocumentClient;
  tableName: string;
  clock?: Clock;
  /** How long a process reuses the list it read (default 10 s); assignments keep it current. */
  cacheMs?: number;
  /** Picks among the logstores with room (tests pass a seeded one); default Math.random. */
  random?: () => number;
  /**
   * Fills an empty registry once per process (a deployment that still has `SLS_LOGSTORE`):
   * returns the logstores to register; each is written only if absent.
   */
  seed?: (() => Promise<LogstoreToAdd[]>) | undefined;
}

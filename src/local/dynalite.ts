/** dynalite (an in-memory DynamoDB on npm) in this process, for tests and the local stack. */
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { closeServer, listenOnLoopback } from "../sandbox/loopback.ts";

/** The subset of dynalite's options used here (it ships no types). */
interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  /** A LevelDB directory; absent means in memory. */
  path?: string;
}

/** A running dynalite. */
export interface RunningDynalite {
  /** `http://127.0.0.1:<port>`: give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  port: number;
  /** Stops listening, drops idle connections, closes the store. */
  close(): Promise<void>;
}

/** Options of {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keep data in this LevelDB directory instead of in memory. */
  path?: string;
}

// dynalite is CommonJS without types; load it through require and give it the shape we use.
const requireCjs = createRequire(import.meta.url);
const createDynalite = requireCjs("dynalite") as (options: DynaliteOptions) => Server;

/**
 * Starts dynalite in this process on 127.0.0.1, tables ACTIVE at once (no CREATING delay).
 *
 * @example
 * ```ts
 * const dynalite = await startDynalite();
 * const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: "us-east-1",
 *   credentials: { accessKeyId: "local", secretAccessKey: "local" } });
 * // ...
 * await dynalite.close();
 * ```
 */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<RunningDynalite> {
  const server = createDynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    // Keep-alive sockets of SDK clients would otherwise hold the close open.
    close: () => closeServer(server, "idle"),
  };
}

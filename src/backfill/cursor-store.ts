import { GetCommand, PutCommand, type DocumentClient } from "../aws/dynamodb/index.ts";
import { BACKFILL_POSITION_KEY } from "../outcomes/table-map.ts";

/** Where an interrupted backfill walk stands: the walk's fixed due bound and its page cursor. */
export interface BackfillPosition {
  /** ISO time the walk lists work due before; fixed for one whole walk. */
  dueBefore: string;
  /** The store's page cursor to continue from; absent at the walk's start. */
  cursor?: string | undefined;
}

const KEY = BACKFILL_POSITION_KEY;

/**
 * Persists the backfill's place in the outcome table (one item), so a run that runs out of time
 * hands its place to the next run instead of starting over or skipping work.
 *
 * @example
 * ```ts
 * const positions = new BackfillPositionStore(docClient, "tenant-outcomes");
 * await positions.save({ dueBefore: "2026-11-23T10:00:00.000Z", cursor });
 * ```
 */
export class BackfillPositionStore {
  readonly #client: DocumentClient;
  readonly #tableName: string;

  constructor(client: DocumentClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /** The saved position, or undefined when the last walk finished. */
  async load(): Promise<BackfillPosition | undefined> {
    const out = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: KEY, ConsistentRead: true }));
    const item = out.Item;
    if (!item || typeof item["dueBefore"] !== "string") return undefined;
    const cursor = item["cursor"];
    return { dueBefore: item["dueBefore"], cursor: typeof cursor === "string" ? cursor : undefined };
  }

  /** Saves where to continue; `undefined` marks the walk finished. */
  async save(position: BackfillPosition | undefined): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { ...KEY, ...(position ?? {}), savedAt: new Date().toISOString() },
      }),
    );
  }
}

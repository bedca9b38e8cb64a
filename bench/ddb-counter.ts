/**
 * DynamoDB requests as the dynalite of this process receives them, by operation (X-Amz-Target),
 * counted in the stand-in's process so the measured process carries no counter of its own. With
 * BENCH_DDB_DETAIL=1 each request is also counted by what it does (`detail`: operation, item
 * kind, index, the update's first words), from a copy of its body: a diagnosis, it costs CPU.
 */
import { Server, type IncomingMessage } from "node:http";

/** Counts of the requests seen so far; the same objects keep growing. */
export interface DynamoRequestCounts {
  calls: Record<string, number>;
  detail: Record<string, number>;
}

/**
 * Starts counting every DynamoDB request any HTTP server of this process receives.
 *
 * @example
 * ```ts
 * const counts = countDynamoRequests();
 * counts.calls["UpdateItem"]; // 7062
 * ```
 */
export function countDynamoRequests(): DynamoRequestCounts {
  const counts: DynamoRequestCounts = { calls: {}, detail: {} };
  const detailed = process.env["BENCH_DDB_DETAIL"] === "1";
  const serverEmit = Server.prototype.emit;
  Server.prototype.emit = function (this: Server, event: string | symbol, ...rest: unknown[]) {
    if (event === "request") {
      const request = rest[0] as IncomingMessage;
      const target = request.headers["x-amz-target"];
      if (typeof target === "string" && target.startsWith("DynamoDB_")) {
        const op = target.slice(target.indexOf(".") + 1);
        counts.calls[op] = (counts.calls[op] ?? 0) + 1;
        if (detailed) {
          const chunks: Buffer[] = [];
          request.on("data", (chunk: Buffer) => chunks.push(chunk));
          request.on("end", () => {
            const kind = ddbRequestKind(op, Buffer.concat(chunks).toString("utf8"));
            counts.detail[kind] = (counts.detail[kind] ?? 0) + 1;
          });
        }
      }
    }
    return Reflect.apply(serverEmit, this, [event, ...rest]) as boolean;
  } as typeof Server.prototype.emit;
  return counts;
}

/** What a DynamoDB request does, in a few words: `UpdateItem STEP# SET #status…`. */
function ddbRequestKind(op: string, body: string): string {
  try {
    const input = JSON.parse(body) as { Key?: Record<string, { S?: string }>; IndexName?: string; KeyConditionExpression?: string; UpdateExpression?: string; ConditionExpression?: string; Item?: Record<string, { S?: string }> };
    const key = input.Key ?? input.Item;
    const sk = key?.["sk"]?.S ?? "";
    const pk = key?.["pk"]?.S ?? "";
    const what = sk.startsWith("STEP#") ? "STEP#" : sk !== "" ? `${pk.split("#")[0]}/${sk.split("#")[0]}` : "";
    const expression = (input.UpdateExpression ?? input.ConditionExpression ?? input.KeyConditionExpression ?? "").slice(0, 48);
    return [op, what, input.IndexName ?? "", expression].filter((part) => part !== "").join(" | ");
  } catch {
    return `${op} (unreadable)`;
  }
}


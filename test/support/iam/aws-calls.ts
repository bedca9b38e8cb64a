/**
 * What IAM authorises for one AWS SDK call: the IAM action(s) and the resource(s) each targets,
 * read from the operation's input the way the service reads it. Pure, so it is unit-tested on
 * its own; the recorder (record-aws-calls.ts) applies it to every call a handler makes.
 *
 * A call this module does not know is not guessed at: it becomes an `unsupported` target that
 * fails the audit with the rule to add here.
 */

/** The kinds of resource the service's roles grant on. */
export type ResourceKind = "dynamodb-table" | "secret" | "sqs-queue" | "event-bus";

/** One (action, resource) pair IAM evaluates for a call. */
export interface CallTarget {
  /** IAM action, `service:Action`. */
  action: string;
  kind: ResourceKind;
  /** The identifier as the caller passed it: table name, SecretId, QueueUrl, bus name or ARN. */
  id: string;
  /** DynamoDB index the call reads (Query/Scan), which IAM authorises as `table/<t>/index/<i>`. */
  index?: string;
  /** DynamoDB item key of a single-item read, update or delete (its string attributes), for `dynamodb:LeadingKeys`. */
  key?: Record<string, string>;
}

/** A call the audit cannot evaluate yet, with why. */
export interface UnsupportedCall {
  action: string;
  unsupported: string;
}

type Input = Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Batch SQS operations are authorised as their single-message action (SQS API reference). */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};

/** TransactWriteItems / TransactGetItems: IAM checks each item's own action on its table. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem", Get: "GetItem" };

/** The string (`S`) attributes of a marshalled DynamoDB key, if any. */
function stringAttributes(key: unknown): Record<string, string> | undefined {
  if (!key || typeof key !== "object") return undefined;
  const out = Object.fromEntries(
    Object.entries(key as Record<string, { S?: unknown }>).flatMap(([name, value]) => (typeof value?.S === "string" ? [[name, value.S]] : [])),
  );
  return Object.keys(out).length ? out : undefined;
}

/**
 * The IAM (action, resource) pairs of one call.
 *
 * @example
 * ```ts
 * targetsOf("dynamodb", "Query", { TableName: "t", IndexName: "unfinished" });
 * // [{ action: "dynamodb:Query", kind: "dynamodb-table", id: "t", index: "unfinished" }]
 * ```
 */
export function targetsOf(service: string, operation: string, input: Input): (CallTarget | UnsupportedCall)[] {
  const action = `${service}:${operation}`;
  const unsupported = (why: string): UnsupportedCall[] => [{ action, unsupported: why }];
  switch (service) {
    case "dynamodb": {
      if (/^(ExecuteStatement|BatchExecuteStatement|ExecuteTransaction)$/.test(operation)) {
        return unsupported("PartiQL is authorised as dynamodb:PartiQL* per statement kind; add that rule to aws-calls.ts");
      }
      if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
        const tables = Object.keys((input.RequestItems as Input | undefined) ?? {});
        return tables.length ? tables.map((id) => ({ action, kind: "dynamodb-table", id })) : unsupported("no RequestItems");
      }
      if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
        const items = (input.TransactItems as Input[] | undefined) ?? [];
        return items.flatMap((item) =>
          Object.entries(item).map(([kind, body]) => {
            const table = text((body as Input | undefined)?.TableName);
            const itemAction = TRANSACT_ITEM_ACTIONS[kind];
            if (!table || !itemAction) return { action, unsupported: `transaction item ${kind} without a table` };
            return { action: `dynamodb:${itemAction}`, kind: "dynamodb-table" as const, id: table };
          }),
        );
      }
      const table = text(input.TableName) ?? text(input.TableArn) ?? text(input.ResourceArn);
      if (!table) return unsupported("no TableName in the input");
      const index = text(input.IndexName);
      const key = stringAttributes(input.Key);
      return [{ action, kind: "dynamodb-table", id: table, ...(index ? { index } : {}), ...(key ? { key } : {}) }];
    }
    case "secretsmanager": {
      const id = text(input.SecretId);
      return id ? [{ action, kind: "secret", id }] : unsupported("no SecretId in the input");
    }
    case "sqs": {
      const id = text(input.QueueUrl);
      const single = SQS_BATCH_ACTIONS[operation];
      return id ? [{ action: single ? `sqs:${single}` : action, kind: "sqs-queue", id }] : unsupported("no QueueUrl in the input");
    }
    case "events": {
      if (operation === "PutEvents") {
        const entries = (input.Entries as Input[] | undefined) ?? [];
        // An entry without EventBusName goes to the account's default bus.
        const buses = [...new Set(entries.map((e) => text(e.EventBusName) ?? "default"))];
        return buses.length ? buses.map((id) => ({ action, kind: "event-bus", id })) : unsupported("no Entries");
      }
      const id = text(input.EventBusName) ?? text(input.Name);
      return id ? [{ action, kind: "event-bus", id }] : unsupported("no event bus in the input");
    }
    default:
      return unsupported(`no resource rule for service "${service}"; add one to test/support/iam/aws-calls.ts`);
  }
}

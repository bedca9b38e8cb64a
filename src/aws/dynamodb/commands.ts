/**
 * The DynamoDB document commands the service sends (GetItem, PutItem, UpdateItem, DeleteItem,
 * Query, Scan), with `@aws-sdk/lib-dynamodb`'s input and output shapes: items, keys and
 * expression values as plain JavaScript values, marshalled per attribute by
 * `@aws-sdk/util-dynamodb` (the library lib-dynamodb itself uses) with the options the service's
 * document client always had (`removeUndefinedValues`; numbers read back as numbers, sets as
 * `Set`). Each command lists its operation's request members in the order of the SDK's model, so
 * the body is byte for byte the SDK's (test/integration/aws/dynamodb-wire.test.ts).
 */
import { convertToAttr, convertToNative, type NativeAttributeValue } from "@aws-sdk/util-dynamodb";
import type { AwsResponseMetadata } from "../json-rpc.ts";

export type { NativeAttributeValue };

/** One attribute value on the wire (`{ S: "a" }`, `{ M: {...} }`). */
type AttributeValue = Record<string, unknown>;

/** An item, key or set of expression values in JavaScript values. */
export type NativeItem = Record<string, NativeAttributeValue>;

type ReturnConsumedCapacity = "INDEXES" | "TOTAL" | "NONE";
type ReturnItemCollectionMetrics = "SIZE" | "NONE";
type ReturnValuesOnConditionCheckFailure = "ALL_OLD" | "NONE";

/** Members every expression-taking request may carry. */
interface ExpressionInput {
  TableName: string;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: NativeItem | undefined;
  ReturnConsumedCapacity?: ReturnConsumedCapacity | undefined;
}

/** What a single-item write may ask back. */
interface WriteInput extends ExpressionInput {
  ConditionExpression?: string | undefined;
  ReturnItemCollectionMetrics?: ReturnItemCollectionMetrics | undefined;
  /** On ConditionalCheckFailedException: `ALL_OLD` puts the item as it was on the error's `Item`. */
  ReturnValuesOnConditionCheckFailure?: ReturnValuesOnConditionCheckFailure | undefined;
}

/** What every answer carries: the SDK's `$metadata`, and capacity when asked for. */
interface CommonOutput {
  $metadata: AwsResponseMetadata;
  ConsumedCapacity?: Record<string, unknown> | undefined;
}

/** What a single-item write answers. */
interface WriteOutput extends CommonOutput {
  Attributes?: NativeItem | undefined;
  ItemCollectionMetrics?: { ItemCollectionKey?: NativeItem | undefined; SizeEstimateRangeGB?: number[] | undefined } | undefined;
}

export interface GetCommandInput {
  TableName: string;
  Key: NativeItem;
  ConsistentRead?: boolean | undefined;
  ProjectionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ReturnConsumedCapacity?: ReturnConsumedCapacity | undefined;
}
export interface GetCommandOutput extends CommonOutput {
  Item?: NativeItem | undefined;
}

export interface PutCommandInput extends WriteInput {
  Item: NativeItem;
  ReturnValues?: "NONE" | "ALL_OLD" | undefined;
}
export type PutCommandOutput = WriteOutput;

export interface UpdateCommandInput extends WriteInput {
  Key: NativeItem;
  UpdateExpression?: string | undefined;
  ReturnValues?: "NONE" | "ALL_OLD" | "UPDATED_OLD" | "ALL_NEW" | "UPDATED_NEW" | undefined;
}
export type UpdateCommandOutput = WriteOutput;

export interface DeleteCommandInput extends WriteInput {
  Key: NativeItem;
  ReturnValues?: "NONE" | "ALL_OLD" | undefined;
}
export type DeleteCommandOutput = WriteOutput;

/** What Query and Scan share. */
interface ReadManyInput extends ExpressionInput {
  IndexName?: string | undefined;
  Select?: "ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "SPECIFIC_ATTRIBUTES" | "COUNT" | undefined;
  Limit?: number | undefined;
  ConsistentRead?: boolean | undefined;
  ExclusiveStartKey?: NativeItem | undefined;
  ProjectionExpression?: string | undefined;
  FilterExpression?: string | undefined;
}
interface ReadManyOutput extends CommonOutput {
  Items?: NativeItem[] | undefined;
  Count?: number | undefined;
  ScannedCount?: number | undefined;
  LastEvaluatedKey?: NativeItem | undefined;
}

export interface QueryCommandInput extends ReadManyInput {
  KeyConditionExpression?: string | undefined;
  ScanIndexForward?: boolean | undefined;
}
export type QueryCommandOutput = ReadManyOutput;

export interface ScanCommandInput extends ReadManyInput {
  Segment?: number | undefined;
  TotalSegments?: number | undefined;
}
export type ScanCommandOutput = ReadManyOutput;

/** How one operation's request is written and its answer read. */
interface OperationShape {
  /** `DynamoDB_20120810.<operation>`. */
  readonly operation: "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" | "Scan";
  /** The request's members in the SDK model's order (the SDK's serializer writes them so, and drops others). */
  readonly members: readonly string[];
}

/** Request members whose value is a map of attribute values (lib-dynamodb's `inputKeyNodes`). */
const ATTRIBUTE_MAP_MEMBERS: ReadonlySet<string> = new Set(["Key", "Item", "ExpressionAttributeValues", "ExclusiveStartKey"]);

/** As lib-dynamodb marshals: `removeUndefinedValues`, each attribute on its own (an undefined or function attribute is left out). */
const MARSHALL_OPTIONS = { removeUndefinedValues: true } as const;

/**
 * One document command: an operation and its input. Sent by {@link DocumentClient.send}; the
 * output type rides on the class so `send` returns what the command answers.
 */
export abstract class DocumentCommand<Input extends object, Output> {
  /** Never set: carries the output type for `send`. */
  declare readonly __output: Output;
  abstract readonly shape: OperationShape;
  readonly input: Input;
  constructor(input: Input) {
    this.input = input;
  }
}

/** Any command, whatever it answers. */
export type AnyDocumentCommand = DocumentCommand<object, unknown>;

/**
 * A GetItem by key.
 *
 * @example
 * ```ts
 * const { Item } = await client.send(new GetCommand({ TableName, Key: { pk: "TENANT#t-1", sk: "STATE" } }));
 * ```
 */
export class GetCommand extends DocumentCommand<GetCommandInput, GetCommandOutput> {
  readonly shape = GET_ITEM;
}
const GET_ITEM: OperationShape = { operation: "GetItem", members: ["TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity", "ProjectionExpression", "ExpressionAttributeNames"] };

/**
 * A PutItem, conditional or not.
 *
 * @example
 * ```ts
 * await client.send(new PutCommand({ TableName, Item: { pk, sk, n: 1 }, ConditionExpression: "attribute_not_exists(pk)" }));
 * ```
 */
export class PutCommand extends DocumentCommand<PutCommandInput, PutCommandOutput> {
  readonly shape = PUT_ITEM;
}
const WRITE_TAIL = ["ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"] as const;
const EXPRESSION_TAIL = ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure"] as const;
const PUT_ITEM: OperationShape = { operation: "PutItem", members: ["TableName", "Item", ...WRITE_TAIL, ...EXPRESSION_TAIL] };

/**
 * An UpdateItem.
 *
 * @example
 * ```ts
 * await client.send(new UpdateCommand({ TableName, Key, UpdateExpression: "SET #n = :n", ExpressionAttributeNames: { "#n": "n" }, ExpressionAttributeValues: { ":n": 2 } }));
 * ```
 */
export class UpdateCommand extends DocumentCommand<UpdateCommandInput, UpdateCommandOutput> {
  readonly shape = UPDATE_ITEM;
}
const UPDATE_ITEM: OperationShape = { operation: "UpdateItem", members: ["TableName", "Key", ...WRITE_TAIL, "UpdateExpression", ...EXPRESSION_TAIL] };

/**
 * A DeleteItem (tests and tools; the functions never delete).
 *
 * @example
 * ```ts
 * await client.send(new DeleteCommand({ TableName, Key }));
 * ```
 */
export class DeleteCommand extends DocumentCommand<DeleteCommandInput, DeleteCommandOutput> {
  readonly shape = DELETE_ITEM;
}
const DELETE_ITEM: OperationShape = { operation: "DeleteItem", members: ["TableName", "Key", ...WRITE_TAIL, ...EXPRESSION_TAIL] };

/**
 * One page of a Query (see queryItems for every page).
 *
 * @example
 * ```ts
 * const { Items } = await client.send(new QueryCommand({ TableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "TENANT#t-1" } }));
 * ```
 */
export class QueryCommand extends DocumentCommand<QueryCommandInput, QueryCommandOutput> {
  readonly shape = QUERY;
}
const QUERY: OperationShape = {
  operation: "Query",
  members: [
    "TableName", "IndexName", "Select", "Limit", "ConsistentRead", "ScanIndexForward", "ExclusiveStartKey", "ReturnConsumedCapacity",
    "ProjectionExpression", "FilterExpression", "KeyConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
  ],
};

/**
 * One page of a Scan.
 *
 * @example
 * ```ts
 * const { Items, LastEvaluatedKey } = await client.send(new ScanCommand({ TableName, Limit: 100 }));
 * ```
 */
export class ScanCommand extends DocumentCommand<ScanCommandInput, ScanCommandOutput> {
  readonly shape = SCAN;
}
const SCAN: OperationShape = {
  operation: "Scan",
  members: [
    "TableName", "IndexName", "Limit", "Select", "ExclusiveStartKey", "ReturnConsumedCapacity", "TotalSegments", "Segment",
    "ProjectionExpression", "FilterExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "ConsistentRead",
  ],
};

/**
 * The request body's object for `command`, as the SDK writes it: the model's members in its
 * order (undefined ones and unknown ones left out), attribute maps marshalled.
 *
 * @example
 * ```ts
 * wireInput(new GetCommand({ TableName: "t", Key: { pk: "a" } })); // { TableName: "t", Key: { pk: { S: "a" } } }
 * ```
 */
export function wireInput(command: AnyDocumentCommand): Record<string, unknown> {
  const input = command.input as Record<string, unknown>;
  const wire: Record<string, unknown> = {};
  for (const member of command.shape.members) {
    const value = input[member];
    if (value === undefined) continue;
    wire[member] = ATTRIBUTE_MAP_MEMBERS.has(member) ? marshallMap(value as Record<string, unknown>) : value;
  }
  return wire;
}

/** A map of attribute values, each marshalled on its own as lib-dynamodb does. */
function marshallMap(map: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined || typeof value === "function") continue;
    out[key] = binaryAsBase64(convertToAttr(value as NativeAttributeValue, MARSHALL_OPTIONS) as unknown as AttributeValue);
  }
  return out;
}

/** Binary values (`B`, `BS`, also inside `M` and `L`) as base64 text, as the SDK's JSON serializer writes blobs. */
function binaryAsBase64(value: AttributeValue): AttributeValue {
  if (value["B"] !== undefined) return { B: Buffer.from(value["B"] as Uint8Array).toString("base64") };
  if (value["BS"] !== undefined) return { BS: (value["BS"] as Uint8Array[]).map((b) => Buffer.from(b).toString("base64")) };
  if (value["M"] !== undefined) {
    const map = value["M"] as Record<string, AttributeValue>;
    for (const key of Object.keys(map)) map[key] = binaryAsBase64(map[key] as AttributeValue);
  } else if (value["L"] !== undefined) {
    const list = value["L"] as AttributeValue[];
    for (let i = 0; i < list.length; i++) list[i] = binaryAsBase64(list[i] as AttributeValue);
  }
  return value;
}

/** Binary values sent as base64 text back to bytes (a Uint8Array, as the SDK's JSON deserializer reads blobs). */
function binaryFromBase64(value: AttributeValue): AttributeValue {
  if (typeof value["B"] === "string") return { B: fromBase64(value["B"]) };
  if (value["BS"] !== undefined) return { BS: (value["BS"] as string[]).map(fromBase64) };
  if (value["M"] !== undefined) {
    const map = value["M"] as Record<string, AttributeValue>;
    const out: Record<string, AttributeValue> = {};
    for (const key of Object.keys(map)) out[key] = binaryFromBase64(map[key] as AttributeValue);
    return { M: out };
  }
  if (value["L"] !== undefined) return { L: (value["L"] as AttributeValue[]).map(binaryFromBase64) };
  return value;
}

function fromBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A map of attribute values read back (numbers as numbers, beyond 2^53 as BigInt, sets as `Set`). */
function unmarshallMap(map: unknown): NativeItem | undefined {
  if (map === undefined || map === null) return undefined;
  const out: NativeItem = {};
  for (const [key, value] of Object.entries(map as Record<string, AttributeValue>)) out[key] = convertToNative(binaryFromBase64(value) as unknown as Parameters<typeof convertToNative>[0]);
  return out;
}

/**
 * An answer read as lib-dynamodb reads it: `Item`, `Attributes`, `Items`, `LastEvaluatedKey`
 * and `ItemCollectionMetrics.ItemCollectionKey` unmarshalled (in `wire` itself), the rest as sent.
 *
 * @example
 * ```ts
 * documentOutput({ Item: { pk: { S: "a" } } }); // { Item: { pk: "a" } }
 * ```
 */
export function documentOutput(wire: Record<string, unknown>): Record<string, unknown> {
  // In place: the answer was parsed for this call alone.
  const out = wire;
  if (wire["Item"] !== undefined) out["Item"] = unmarshallMap(wire["Item"]);
  if (wire["Attributes"] !== undefined) out["Attributes"] = unmarshallMap(wire["Attributes"]);
  if (wire["LastEvaluatedKey"] !== undefined) out["LastEvaluatedKey"] = unmarshallMap(wire["LastEvaluatedKey"]);
  if (Array.isArray(wire["Items"])) out["Items"] = (wire["Items"] as unknown[]).map(unmarshallMap);
  const metrics = wire["ItemCollectionMetrics"] as Record<string, unknown> | undefined;
  if (metrics?.["ItemCollectionKey"] !== undefined) out["ItemCollectionMetrics"] = { ...metrics, ItemCollectionKey: unmarshallMap(metrics["ItemCollectionKey"]) };
  return out;
}

/**
 * DynamoDB's document client without the AWS SDK's DynamoDB client: the commands of
 * ./commands.ts sent in the AWS JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`)
 * by the service's own AWS JSON client (src/aws/json-rpc.ts: the SDK's SigV4 signer, our
 * transport, the invocation deadline), with DynamoDB's retries as the SDK sets them. Written
 * because the SDK client and lib-dynamodb were the largest owners of the backfill's CPU per
 * tenant (their middleware stack, schema serde and per-call config resolution) and of the cold
 * start (constructing the clients); the requests are checked against the SDK's byte for byte in
 * test/integration/aws/dynamodb-wire.test.ts.
 *
 * Not supported: account-id endpoints (the SDK uses them only with credentials that carry an
 * account id, which Lambda's do not), the `local` region shortcut, transactions and batches.
 */
import { partition } from "@aws-sdk/core/client";
import { ConfigurationError } from "../../errors.ts";
import { configuredEndpoint, endpointFlag, resolvedOnce, type Environment } from "../endpoint.ts";
import { AwsJsonRpcClient, AwsServiceError, type AwsJsonRpcClientOptions, type AwsServiceErrorInit } from "../json-rpc.ts";
import { documentOutput, wireInput, type AnyDocumentCommand, type DocumentCommand } from "./commands.ts";

/** DynamoDB's retries in the SDK's standard mode (`Retry.v2026`): 4 attempts, 25 ms base, 1 s after throttling, 20 s cap. */
export const DYNAMODB_RETRY = { maxAttempts: 4, baseDelayMs: 25, maxDelayMs: 20_000, throttledBaseDelayMs: 1_000 } as const;

/**
 * A conditional write whose condition did not hold. `Item` is the item as it was, in DynamoDB's
 * attribute values (`{ S: "..." }`, as the SDK's error carries it), when the write asked for it
 * with `ReturnValuesOnConditionCheckFailure: "ALL_OLD"`.
 *
 * @example
 * ```ts
 * if (error instanceof ConditionalCheckFailedException) console.log(error.Item?.["state"]);
 * ```
 */
export class ConditionalCheckFailedException extends AwsServiceError {
  readonly Item: Record<string, Record<string, unknown>> | undefined;
  constructor(init: AwsServiceErrorInit) {
    super(init);
    const item = init.body["Item"];
    this.Item = item && typeof item === "object" ? (item as Record<string, Record<string, unknown>>) : undefined;
  }
}
/** Throughput over the table's (or the account's) limit; retried as throttling. */
export class ProvisionedThroughputExceededException extends AwsServiceError {}
/** The table (or index) does not exist, or is not ACTIVE. */
export class ResourceNotFoundException extends AwsServiceError {}
/** An item collection (one partition key with local indexes) is over 10 GB. */
export class ItemCollectionSizeLimitExceededException extends AwsServiceError {}
/** DynamoDB failed inside (500); retried. */
export class InternalServerError extends AwsServiceError {}

const DYNAMODB_ERRORS = {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ItemCollectionSizeLimitExceededException,
  InternalServerError,
} as const;

/** What the stores need of a document client: `send`. Tests wrap it to count or fail requests. */
export interface DocumentClient {
  send<Output>(command: DocumentCommand<object, Output>, options?: SendOptions): Promise<Output>;
}

/** Per call, as the SDK's `send` takes them. */
export interface SendOptions {
  /** Ends the call (no retry) with the signal's reason, e.g. `AbortSignal.timeout(ms)`'s TimeoutError. */
  abortSignal?: AbortSignal | undefined;
}

/** Options of {@link DynamoDBDocumentClient}. */
export type DynamoDBDocumentClientOptions = Omit<AwsJsonRpcClientOptions, "signingName" | "targetPrefix" | "jsonVersion" | "queryCompatible" | "errors" | "retry" | "credentials"> & {
  /** Fixed credentials or a provider; default the SDK's default chain (in a Lambda bundle: the environment's). */
  credentials?: AwsJsonRpcClientOptions["credentials"] | Awaited<ReturnType<NonNullable<AwsJsonRpcClientOptions["credentials"]>>>;
  /** Where requests go (an origin); default `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then the region's endpoint. */
  endpoint?: string | undefined;
  /** Attempts in all (default 4, as the SDK's DynamoDB client). */
  maxAttempts?: number | undefined;
};

/**
 * DynamoDB's document client: `send(new GetCommand(...))` and the like, answers and errors as
 * lib-dynamodb's `DynamoDBDocumentClient` gives them (`$metadata`, errors by name with `$fault`
 * and `$metadata`, ConditionalCheckFailedException's `Item`). Every attempt is bounded as the
 * SDK clients are (client-options.ts: 2 s to connect, 5 s per attempt) and cut off at the
 * invocation's deadline (AwsCallDeadlineError).
 *
 * @example
 * ```ts
 * const client = new DynamoDBDocumentClient();
 * const { Item } = await client.send(new GetCommand({ TableName: "outcomes", Key: { pk: "TENANT#t-1", sk: "STATE" } }));
 * ```
 */
export class DynamoDBDocumentClient implements DocumentClient {
  readonly #rpc: AwsJsonRpcClient;
  readonly #endpoint: () => string;

  constructor(options: DynamoDBDocumentClientOptions = {}) {
    const { endpoint, maxAttempts, credentials, ...rest } = options;
    this.#endpoint = resolvedOnce(endpoint, options.region, dynamoDbEndpoint);
    this.#rpc = new AwsJsonRpcClient({
      ...rest,
      credentials: typeof credentials === "object" ? async () => credentials : credentials,
      signingName: "dynamodb",
      targetPrefix: "DynamoDB_20120810",
      jsonVersion: "1.0",
      errors: DYNAMODB_ERRORS,
      retry: maxAttempts === undefined ? DYNAMODB_RETRY : { ...DYNAMODB_RETRY, maxAttempts },
    });
  }

  /**
   * Sends `command`; resolves with its output (attribute maps unmarshalled, `$metadata`), rejects
   * with an AwsServiceError (a class above for DynamoDB's modeled errors), a TransportError after
   * the retries, an AwsCallDeadlineError, or a ConfigurationError (no region or endpoint).
   *
   * @example
   * ```ts
   * await client.send(new PutCommand({ TableName, Item, ConditionExpression: "attribute_not_exists(pk)" }));
   * ```
   */
  async send<Output>(command: DocumentCommand<object, Output>, options: SendOptions = {}): Promise<Output> {
    const { output, $metadata } = await this.#rpc.callWithMetadata(this.#endpoint(), command.shape.operation, wireInput(command as AnyDocumentCommand), {
      signal: options.abortSignal,
    });
    const read = documentOutput(output);
    read["$metadata"] = $metadata;
    return read as Output;
  }

  /**
   * Closes the idle keep-alive connections (as the SDK client's `destroy`); the client stays usable.
   *
   * @example
   * ```ts
   * client.destroy();
   * ```
   */
  destroy(): void {
    this.#rpc.close();
  }
}

/**
 * The endpoint the SDK's DynamoDB client picks without an account id: `AWS_ENDPOINT_URL_DYNAMODB`,
 * then `AWS_ENDPOINT_URL`; else by its endpoint rules from the region's partition (the SDK's own
 * partition table) and `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`. Throws a
 * ConfigurationError where the SDK's rules fail.
 *
 * @example
 * ```ts
 * dynamoDbEndpoint("eu-west-1", {}); // "https://dynamodb.eu-west-1.amazonaws.com"
 * ```
 */
export function dynamoDbEndpoint(region: string | undefined, env: Environment): string {
  const fips = endpointFlag(env, "AWS_USE_FIPS_ENDPOINT", "DynamoDB");
  const dualStack = endpointFlag(env, "AWS_USE_DUALSTACK_ENDPOINT", "DynamoDB");
  const custom = configuredEndpoint("DynamoDB", env);
  const fail = (field: string, rule: string) => new ConfigurationError("DynamoDB endpoint", [{ field, rule }]);
  if (custom) {
    if (fips) throw fail("AWS_USE_FIPS_ENDPOINT", "FIPS and a custom endpoint are not supported together");
    if (dualStack) throw fail("AWS_USE_DUALSTACK_ENDPOINT", "dual-stack and a custom endpoint are not supported together");
    return custom;
  }
  if (!region) throw fail("AWS_REGION", "is required (the region DynamoDB is called in)");
  if (region === "local") throw fail("AWS_REGION", 'the "local" region is not supported: set AWS_ENDPOINT_URL_DYNAMODB');
  const p = partition(region);
  if (fips && dualStack) {
    if (!p.supportsFIPS || !p.supportsDualStack) throw fail("AWS_USE_FIPS_ENDPOINT", `FIPS and dual-stack are not both supported in partition ${p.name}`);
    return `https://dynamodb-fips.${region}.${p.dualStackDnsSuffix}`;
  }
  if (fips) {
    if (!p.supportsFIPS) throw fail("AWS_USE_FIPS_ENDPOINT", `FIPS is not supported in partition ${p.name}`);
    // DynamoDB's FIPS endpoints in GovCloud are its ordinary ones.
    if (p.name === "aws-us-gov") return `https://dynamodb.${region}.${p.dnsSuffix}`;
    return `https://dynamodb-fips.${region}.${p.dnsSuffix}`;
  }
  if (dualStack) {
    if (!p.supportsDualStack) throw fail("AWS_USE_DUALSTACK_ENDPOINT", `dual-stack is not supported in partition ${p.name}`);
    return `https://dynamodb.${region}.${p.dualStackDnsSuffix}`;
  }
  return `https://dynamodb.${region}.${p.dnsSuffix}`;
}

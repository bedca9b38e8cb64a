/**
 * What a test sees of the DynamoDB commands a document client sends: each command's SDK name
 * (`UpdateItemCommand`) and its input as the store built it (before marshalling), in the order
 * sent; `onCommand` may throw to fail that call without sending it (an injected refusal). The
 * client is the real one (src/aws/dynamodb) talking to dynalite; only its `send` is
 * wrapped on this instance, and the returned function unwraps it.
 */
import type { AnyDocumentCommand, DocumentClient } from "../../src/aws/dynamodb/index.ts";
import type { AwsServiceError, AwsServiceErrorInit } from "../../src/aws/json-rpc.ts";

/** One command as sent. */
export interface WatchedCommand {
  /** The SDK client's command name, e.g. `GetItemCommand`. */
  commandName: string;
  input: Record<string, unknown>;
}

/**
 * Calls `onCommand` for every command `client` sends until the returned function is called.
 *
 * @example
 * ```ts
 * const stop = watchCommands(docClient, ({ commandName }) => names.push(commandName));
 * ```
 */
export function watchCommands(client: DocumentClient, onCommand: (command: WatchedCommand) => void): () => void {
  const target = client as DocumentClient & { send: DocumentClient["send"] };
  const original = target.send;
  target.send = ((command: AnyDocumentCommand, options?: Parameters<DocumentClient["send"]>[1]) => {
    try {
      onCommand({ commandName: `${command.shape.operation}Command`, input: command.input as Record<string, unknown> });
    } catch (error) {
      // A refusal the test injects: the call fails as DynamoDB's answer would, nothing is sent.
      return Promise.reject(error);
    }
    return original.call(client, command, options);
  }) as DocumentClient["send"];
  return () => {
    if (Object.hasOwn(target, "send")) delete (target as { send?: unknown }).send;
    else target.send = original;
  };
}

/**
 * DynamoDB's error `name` as the client reads it from an answer (HTTP 400 unless `status` says
 * otherwise), for a test to inject with {@link watchCommands}.
 *
 * @example
 * ```ts
 * throw dynamoDbError(ProvisionedThroughputExceededException, "Rate of requests exceeds the allowed throughput.");
 * ```
 */
export function dynamoDbError<E extends AwsServiceError>(ErrorClass: new (init: AwsServiceErrorInit) => E, message: string, status = 400): E {
  const name = ErrorClass.name === "AwsServiceError" ? "UnknownError" : ErrorClass.name;
  return new ErrorClass({ name, message, code: name, fault: status >= 500 ? "server" : "client", status, requestId: "injected-by-test", body: {} });
}

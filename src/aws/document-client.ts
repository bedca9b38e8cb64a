import { DynamoDBDocumentClient } from "./dynamodb/document-client.ts";

/**
 * The DynamoDB document client of the outcome table, built one way for every user: the service's
 * own (src/aws/dynamodb), which reads AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL as the SDK does,
 * so the same code reaches the local stand-in; connection and request timeouts and the invocation
 * deadline as every AWS client of the service (client-options.ts).
 *
 * @example
 * ```ts
 * const documentClient = createDocumentClient();
 * ```
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return new DynamoDBDocumentClient();
}

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { awsClientOptions, withoutSdkLogging } from "./client-options.ts";

/**
 * The DynamoDB document client of the outcome table, built one way for every user. The SDK
 * reads AWS_ENDPOINT_URL_DYNAMODB itself, so the same code reaches the local stand-in;
 * connection and request timeouts and the invocation deadline come from {@link awsClientOptions}.
 *
 * @example
 * ```ts
 * const documentClient = createDocumentClient();
 * ```
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(withoutSdkLogging(new DynamoDBClient(awsClientOptions())), { marshallOptions: { removeUndefinedValues: true } });
}

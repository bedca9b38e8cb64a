/**
 * The service's DynamoDB document client and its commands, in one import for the stores
 * (`import { GetCommand, type DocumentClient } from "../aws/dynamodb/index.ts"`).
 */
export * from "./commands.ts";
export * from "./document-client.ts";

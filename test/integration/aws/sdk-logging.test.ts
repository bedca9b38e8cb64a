import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClientOptions, withoutSdkLogging } from "../../../src/aws/client-options.ts";
import { type RunningDynalite, startDynalite } from "../../../src/local/dynalite.ts";

let dynalite: RunningDynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.close();
});

/** A logger that counts what the SDK hands it (the default one drops it after it was built). */
function countingLogger() {
  const calls = { info: 0, error: 0 };
  return { calls, logger: { debug() {}, info: () => void calls.info++, warn() {}, error: () => void calls.error++ } };
}

const local = () => ({ ...awsClientOptions(), endpoint: dynalite.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });

describe("withoutSdkLogging", () => {
  it("stops the SDK building a log entry of each call's input and output", async () => {
    const plain = countingLogger();
    await new DynamoDBClient({ ...local(), logger: plain.logger }).send(new ListTablesCommand({}));
    expect(plain.calls.info).toBe(1); // the SDK's default: one entry per call, for any logger

    const quiet = countingLogger();
    const client = withoutSdkLogging(new DynamoDBClient({ ...local(), logger: quiet.logger }));
    expect((await client.send(new ListTablesCommand({}))).TableNames).toBeInstanceOf(Array);
    await expect(client.send(new ListTablesCommand({ Limit: 0 }))).rejects.toThrow(/limit/i);
    expect(quiet.calls).toEqual({ info: 0, error: 0 });
  });

});

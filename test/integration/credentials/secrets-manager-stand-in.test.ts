import { request } from "node:http";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSecretsManager, TEST_AWS_CREDENTIALS } from "../../support/secrets-manager.ts";
import type { TestSecretsManager } from "../../support/secrets-manager.ts";

let sm: TestSecretsManager;
beforeAll(async () => {
  sm = await startTestSecretsManager({ "seeded/one": '{"a":1}' });
});
afterAll(() => sm.close());

/** Sends a raw request, for what the SDK would never send. */
function rawPost(headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(sm.standIn.endpoint, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("Secrets Manager stand-in, through the real SDK client", () => {
  it("serves a created secret by name and by ARN, with the AWS response fields", async () => {
    const created = await sm.client.send(new CreateSecretCommand({ Name: "app/by-name", SecretString: "v1" }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:app\/by-name-[0-9a-f]{6}$/);

    const byName = await sm.client.send(new GetSecretValueCommand({ SecretId: "app/by-name" }));
    expect(byName).toMatchObject({
      ARN: created.ARN,
      Name: "app/by-name",
      VersionId: created.VersionId,
      SecretString: "v1",
      VersionStages: ["AWSCURRENT"],
    });
    // The SDK parses CreatedDate (epoch seconds on the wire) into a Date.
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(Math.abs((byName.CreatedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

    const byArn = await sm.client.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(byArn.SecretString).toBe("v1");
  });

  it("moves AWSCURRENT on PutSecretValue and keeps the old value as AWSPREVIOUS", async () => {
    await sm.client.send(new CreateSecretCommand({ Name: "app/rotating", SecretString: "first" }));
    const second = await sm.client.send(new PutSecretValueCommand({ SecretId: "app/rotating", SecretString: "second" }));
    expect(second.VersionStages).toEqual(["AWSCURRENT"]);

    const current = await sm.client.send(new GetSecretValueCommand({ SecretId: "app/rotating" }));
    const previous = await sm.client.send(
      new GetSecretValueCommand({ SecretId: "app/rotating", VersionStage: "AWSPREVIOUS" }),
    );
    expect(current.SecretString).toBe("second");
    expect(current.VersionId).toBe(second.VersionId);
    expect(previous.SecretString).toBe("first");
    expect(previous.VersionStages).toEqual(["AWSPREVIOUS"]);

    const third = await sm.client.send(new PutSecretValueCommand({ SecretId: "app/rotating", SecretString: "third" }));
    const described = await sm.client.send(new DescribeSecretCommand({ SecretId: "app/rotating" }));
    expect(described.VersionIdsToStages).toEqual({
      [second.VersionId ?? ""]: ["AWSPREVIOUS"],
      [third.VersionId ?? ""]: ["AWSCURRENT"],
    });
    const byVersion = await sm.client.send(
      new GetSecretValueCommand({ SecretId: "app/rotating", VersionId: second.VersionId }),
    );
    expect(byVersion.SecretString).toBe("second");
  });

  it("treats a repeated PutSecretValue with the same token as the same version", async () => {
    await sm.client.send(new CreateSecretCommand({ Name: "app/idempotent", SecretString: "a" }));
    const token = "11111111-2222-3333-4444-555555555555";
    const first = await sm.client.send(
      new PutSecretValueCommand({ SecretId: "app/idempotent", SecretString: "b", ClientRequestToken: token }),
    );
    const again = await sm.client.send(
      new PutSecretValueCommand({ SecretId: "app/idempotent", SecretString: "b", ClientRequestToken: token }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    const previous = await sm.client.send(
      new GetSecretValueCommand({ SecretId: "app/idempotent", VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe("a");
  });

  it("answers AWS errors that the SDK maps to its exception classes", async () => {
    const missing = sm.client.send(new GetSecretValueCommand({ SecretId: "app/nope" }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });

    const duplicate = sm.client.send(new CreateSecretCommand({ Name: "seeded/one", SecretString: "x" }));
    await expect(duplicate).rejects.toBeInstanceOf(ResourceExistsException);

    sm.standIn.failNext("GetSecretValue", { type: "ThrottlingException", message: "Rate exceeded" });
    await expect(sm.client.send(new GetSecretValueCommand({ SecretId: "seeded/one" }))).rejects.toMatchObject({
      name: "ThrottlingException",
    });
    // The injected fault was for one request only.
    const served = await sm.client.send(new GetSecretValueCommand({ SecretId: "seeded/one" }));
    expect(served.SecretString).toBe('{"a":1}');
  });

  it("lists secrets and seeds the ones given at start", async () => {
    const listed = await sm.client.send(new ListSecretsCommand({}));
    const names = listed.SecretList?.map((s) => s.Name) ?? [];
    expect(names).toContain("seeded/one");
    expect(names).toContain("app/rotating");
  });

  it("counts calls per action and supports putSecret/deleteSecret from the test side", async () => {
    const before = sm.standIn.calls.GetSecretValue ?? 0;
    sm.standIn.putSecret("side/door", "one");
    sm.standIn.putSecret("side/door", "two");
    const read = await sm.client.send(new GetSecretValueCommand({ SecretId: "side/door" }));
    expect(read.SecretString).toBe("two");
    expect(sm.standIn.deleteSecret("side/door")).toBe(true);
    await expect(sm.client.send(new GetSecretValueCommand({ SecretId: "side/door" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(sm.standIn.calls.GetSecretValue).toBe(before + 2);
  });

  it("requires an Authorization header (signatures are not verified)", async () => {
    const answer = await rawPost(
      { "x-amz-target": "secretsmanager.GetSecretValue", "content-type": "application/x-amz-json-1.1" },
      JSON.stringify({ SecretId: "seeded/one" }),
    );
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ __type: "MissingAuthenticationTokenException" });

    const signedAnyhow = await rawPost(
      {
        "x-amz-target": "secretsmanager.GetSecretValue",
        "content-type": "application/x-amz-json-1.1",
        authorization: "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/secretsmanager/aws4_request, Signature=00",
      },
      JSON.stringify({ SecretId: "seeded/one" }),
    );
    expect(signedAnyhow.status).toBe(200);
    expect(signedAnyhow.json).toMatchObject({ Name: "seeded/one", SecretString: '{"a":1}' });
  });

  it("is reached through AWS_ENDPOINT_URL_SECRETS_MANAGER when the client has no endpoint", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.standIn.endpoint;
    const client = new SecretsManagerClient({ region: "us-east-1", credentials: TEST_AWS_CREDENTIALS, maxAttempts: 1 });
    try {
      const before = sm.standIn.calls.GetSecretValue ?? 0;
      const read = await client.send(new GetSecretValueCommand({ SecretId: "seeded/one" }));
      expect(read.SecretString).toBe('{"a":1}');
      expect(sm.standIn.calls.GetSecretValue).toBe(before + 1);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});

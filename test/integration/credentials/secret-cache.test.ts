import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../src/errors.ts";
import {
  createCredentialSources,
  imCredentialsSchema,
  SecretCache,
  SecretLoadError,
  slsCredentialsSchema,
  webhookSecretsSchema,
} from "../../../src/credentials/index.ts";
import { startSecretsManagerStandIn } from "../../../src/local/secrets-manager.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { startTestSecretsManager } from "../../support/secrets-manager.ts";
import type { TestSecretsManager } from "../../support/secrets-manager.ts";

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const MAX_AGE = 60_000;

let sm: TestSecretsManager;
let secretCounter = 0;
beforeAll(async () => {
  sm = await startTestSecretsManager();
});
afterAll(() => sm.close());

/** A fresh secret per test, so call counts and rotations never leak between tests. */
function newSecret(value: unknown): string {
  const id = `test/secret-${++secretCounter}`;
  sm.standIn.putSecret(id, typeof value === "string" ? value : JSON.stringify(value));
  return id;
}

function getCalls(): number {
  return sm.standIn.calls.GetSecretValue ?? 0;
}

function slsCache(secretId: string, clock = new FakeClock()): SecretCache<{ accessKeyId: string; accessKeySecret: string }> {
  return new SecretCache({ client: sm.client, secretId, schema: slsCredentialsSchema, maxAgeMs: MAX_AGE, clock });
}

async function loadError(promise: Promise<unknown>): Promise<SecretLoadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretLoadError);
  return error as SecretLoadError;
}

/** Everything a log line or an outcome record could carry about the error. */
function everythingAbout(error: SecretLoadError): string {
  return [error.message, error.stack ?? "", JSON.stringify(error), String(error)].join("\n");
}

describe("loading and validating each secret type", () => {
  it("loads SLS credentials with and without an STS token", async () => {
    const plain = newSecret({ accessKeyId: "LTAI-id", accessKeySecret: "sls-secret" });
    const sts = newSecret({ accessKeyId: "STS.id", accessKeySecret: "sls-secret", securityToken: "tok" });
    expect(await slsCache(plain).get()).toEqual({ accessKeyId: "LTAI-id", accessKeySecret: "sls-secret" });
    expect(await slsCache(sts).get()).toEqual({ accessKeyId: "STS.id", accessKeySecret: "sls-secret", securityToken: "tok" });
  });

  it("loads IM credentials, turning a numeric-string sdkAppId into a number", async () => {
    const id = newSecret({ sdkAppId: "1400000001", secretKey: "im-key", adminIdentifier: "administrator" });
    const im = new SecretCache({ client: sm.client, secretId: id, schema: imCredentialsSchema });
    expect(await im.get()).toEqual({ sdkAppId: 1400000001, secretKey: "im-key", adminIdentifier: "administrator" });
  });

  it("loads webhook secrets through createCredentialSources, one secret per source", async () => {
    const sources = createCredentialSources({
      client: sm.client,
      slsSecretId: newSecret({ accessKeyId: "a", accessKeySecret: "b" }),
      imSecretId: newSecret({ sdkAppId: 1400000002, secretKey: "k", adminIdentifier: "admin" }),
      webhookSecretId: newSecret({ secrets: [WEBHOOK_SECRET] }),
      maxAgeMs: MAX_AGE,
    });
    expect(await sources.webhook.get()).toEqual({ secrets: [WEBHOOK_SECRET] });
    expect((await sources.im.get()).sdkAppId).toBe(1400000002);
    expect((await sources.sls.get()).accessKeyId).toBe("a");
  });
});

describe("caching", () => {
  it("serves from memory within maxAge and reads again once it has passed", async () => {
    const clock = new FakeClock();
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }), clock);
    const start = getCalls();
    await cache.get();
    clock.advance(MAX_AGE - 1);
    await cache.get();
    expect(getCalls()).toBe(start + 1);
    clock.advance(1);
    await cache.get();
    expect(getCalls()).toBe(start + 2);
  });

  it("shares one read among concurrent get()s", async () => {
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }));
    const start = getCalls();
    const values = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(getCalls()).toBe(start + 1);
    expect(new Set(values).size).toBe(1);
  });

  it("after a rotation, refresh() returns the new value while get() may still serve the old one", async () => {
    const clock = new FakeClock();
    const id = newSecret({ accessKeyId: "a", accessKeySecret: "old-secret" });
    const cache = slsCache(id, clock);
    expect((await cache.get()).accessKeySecret).toBe("old-secret");

    sm.standIn.putSecret(id, JSON.stringify({ accessKeyId: "a", accessKeySecret: "new-secret" }));
    clock.advance(5_000);
    expect((await cache.get()).accessKeySecret).toBe("old-secret");
    expect((await cache.refresh()).accessKeySecret).toBe("new-secret");
    // The refreshed value is now what get() serves.
    expect((await cache.get()).accessKeySecret).toBe("new-secret");
  });

  it("answers a burst of refresh() calls with one read, and reuses a read completed within a second", async () => {
    const clock = new FakeClock();
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }), clock);
    await cache.get();
    clock.advance(10_000);
    const start = getCalls();
    await Promise.all(Array.from({ length: 5 }, () => cache.refresh()));
    expect(getCalls()).toBe(start + 1);

    clock.advance(500);
    await cache.refresh();
    expect(getCalls()).toBe(start + 1);

    clock.advance(600);
    await cache.refresh();
    expect(getCalls()).toBe(start + 2);
  });

  it("does not cache a failed read: the next get() tries again", async () => {
    const id = `test/late-${++secretCounter}`;
    const cache = slsCache(id);
    const start = getCalls();
    expect((await loadError(cache.get())).reason).toBe("not-found");

    sm.standIn.putSecret(id, JSON.stringify({ accessKeyId: "a", accessKeySecret: "b" }));
    expect((await cache.get()).accessKeyId).toBe("a");
    expect(getCalls()).toBe(start + 2);
  });
});

describe("failures", () => {
  it("reports a missing secret as not-found, naming the secret id", async () => {
    const error = await loadError(slsCache("test/does-not-exist").get());
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ reason: "not-found", secretId: "test/does-not-exist", code: "ResourceNotFoundException" });
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('"test/does-not-exist"');
  });

  it("reports text that is not JSON as not-json, without quoting it", async () => {
    const sentinel = "NOTJSON-9f3c-sentinel-value";
    const error = await loadError(slsCache(newSecret(`{"accessKeySecret": ${sentinel}`)).get());
    expect(error.reason).toBe("not-json");
    expect(error.issues).toEqual([{ field: "SecretString", rule: "is not valid JSON" }]);
    expect(everythingAbout(error)).not.toContain(sentinel);
    expect(everythingAbout(error)).not.toContain("9f3c");
  });

  it("names the field and rule of a wrong shape, never the value", async () => {
    const sentinel = "  LEAKED-4b1d-secret-value  ";
    const id = newSecret({ accessKeyId: 42, accessKeySecret: sentinel });
    const error = await loadError(slsCache(id).get());
    expect(error.reason).toBe("invalid-shape");
    expect(error.issues).toEqual([
      { field: "accessKeyId", rule: "must be a string" },
      { field: "accessKeySecret", rule: "must not start or end with whitespace" },
    ]);
    expect(error.message).toContain(id);
    expect(error.message).toContain("accessKeySecret: must not start or end with whitespace");
    expect(everythingAbout(error)).not.toContain("LEAKED");
    expect(everythingAbout(error)).not.toContain("4b1d");
  });

  it("names every broken webhook secret by its index", async () => {
    const sentinel = "whsec_SENTINEL7e2a";
    const error = await loadError(
      new SecretCache({
        client: sm.client,
        secretId: newSecret({ secrets: [WEBHOOK_SECRET, sentinel] }),
        schema: webhookSecretsSchema,
      }).get(),
    );
    expect(error.issues).toEqual([
      { field: "secrets.1", rule: 'must be "whsec_" followed by base64 of at least 24 bytes' },
    ]);
    expect(everythingAbout(error)).not.toContain("SENTINEL7e2a");
  });

  it("reports a SecretBinary secret as binary", async () => {
    const id = `test/binary-${++secretCounter}`;
    await sm.client.send(new CreateSecretCommand({ Name: id, SecretBinary: Buffer.from('{"accessKeyId":"a"}') }));
    expect((await loadError(slsCache(id).get())).reason).toBe("binary");
  });

  it("reports throttling as unavailable (retryable), and recovers on the next get()", async () => {
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }));
    sm.standIn.failNext("GetSecretValue", { type: "ThrottlingException", message: "Rate exceeded" });
    const error = await loadError(cache.get());
    expect(error).toMatchObject({ reason: "unavailable", code: "ThrottlingException" });
    expect(error.retryable).toBe(true);
    expect((await cache.get()).accessKeyId).toBe("a");
  });

  it("reports a Secrets Manager 5xx as unavailable", async () => {
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }));
    sm.standIn.failNext("GetSecretValue", { type: "InternalServiceError", status: 500 });
    expect(await loadError(cache.get())).toMatchObject({ reason: "unavailable", code: "InternalServiceError" });
  });

  it("reports an IAM or KMS refusal as access-denied", async () => {
    const cache = slsCache(newSecret({ accessKeyId: "a", accessKeySecret: "b" }));
    sm.standIn.failNext("GetSecretValue", { type: "AccessDeniedException" });
    const error = await loadError(cache.get());
    expect(error).toMatchObject({ reason: "access-denied", code: "AccessDeniedException" });
    expect(error.retryable).toBe(false);
  });

  it("reports an unreachable endpoint as unavailable", async () => {
    const gone = await startSecretsManagerStandIn();
    await gone.close();
    const client = sm.newClient({ endpoint: gone.endpoint });
    const cache = new SecretCache({ client, secretId: "any", schema: slsCredentialsSchema });
    expect(await loadError(cache.get())).toMatchObject({ reason: "unavailable", code: "ECONNREFUSED" });
  });
});

import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";
import { startSecretsManagerStandIn } from "../../src/local/secrets-manager.ts";
import type { SecretsManagerStandIn } from "../../src/local/secrets-manager.ts";

/** Dummy AWS credentials: the stand-in requires a signature but does not verify it. */
export const TEST_AWS_CREDENTIALS = { accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in-secret" };

export interface TestSecretsManager {
  standIn: SecretsManagerStandIn;
  /** A real SDK client pointed at the stand-in; one attempt per call, so failures surface at once. */
  client: SecretsManagerClient;
  /** Another client pointed at the stand-in, with options of the test's choosing. */
  newClient(config?: SecretsManagerClientConfig): SecretsManagerClient;
  /** Destroys the clients and stops the stand-in. */
  close(): Promise<void>;
}

/**
 * Starts a Secrets Manager stand-in for one test file and a configured real SDK client.
 *
 * @example
 * ```ts
 * let sm: TestSecretsManager;
 * beforeAll(async () => { sm = await startTestSecretsManager({ "app/sls": "{}" }); });
 * afterAll(() => sm.close());
 * ```
 */
export async function startTestSecretsManager(secrets?: Record<string, string>): Promise<TestSecretsManager> {
  const standIn = await startSecretsManagerStandIn({ secrets });
  const clients: SecretsManagerClient[] = [];
  const newClient = (config: SecretsManagerClientConfig = {}): SecretsManagerClient => {
    const client = new SecretsManagerClient({
      region: "us-east-1",
      endpoint: standIn.endpoint,
      credentials: TEST_AWS_CREDENTIALS,
      maxAttempts: 1,
      ...config,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  return {
    standIn,
    client,
    newClient,
    async close() {
      for (const c of clients) c.destroy();
      await standIn.close();
    },
  };
}

import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Clock } from "../http/types.ts";
import { imCredentialsSchema, slsCredentialsSchema, webhookSecretsSchema } from "./schemas.ts";
import { SecretCache } from "./secret-cache.ts";
import type { ImCredentials, SlsCredentials, WebhookSecrets } from "./types.ts";

export interface CredentialSourcesOptions {
  client: SecretsManagerClient;
  slsSecretId: string;
  imSecretId: string;
  webhookSecretId: string;
  /** How long each secret is served from memory. Default 5 minutes. */
  maxAgeMs?: number | undefined;
  clock?: Clock | undefined;
}

/** The service's three credential sources, one cached secret each. */
export interface CredentialSources {
  sls: SecretCache<SlsCredentials>;
  im: SecretCache<ImCredentials>;
  webhook: SecretCache<WebhookSecrets>;
}

/**
 * Builds the SLS, Tencent IM and webhook credential sources over one Secrets Manager client.
 * Nothing is read until a source's `get()` is first called.
 *
 * @example
 * ```ts
 * const { sls, im, webhook } = createCredentialSources({
 *   client: new SecretsManagerClient({}),
 *   slsSecretId: "tenant-provisioner/sls",
 *   imSecretId: "tenant-provisioner/im",
 *   webhookSecretId: "tenant-provisioner/webhook",
 * });
 * ```
 */
export function createCredentialSources(options: CredentialSourcesOptions): CredentialSources {
  const { client, maxAgeMs, clock } = options;
  return {
    sls: new SecretCache({ client, secretId: options.slsSecretId, schema: slsCredentialsSchema, maxAgeMs, clock }),
    im: new SecretCache({ client, secretId: options.imSecretId, schema: imCredentialsSchema, maxAgeMs, clock }),
    webhook: new SecretCache({ client, secretId: options.webhookSecretId, schema: webhookSecretsSchema, maxAgeMs, clock }),
  };
}

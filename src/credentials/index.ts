/** Provider credentials and webhook secrets from AWS Secrets Manager. */
export { DEFAULT_SECRET_MAX_AGE_MS, REFRESH_REUSE_WINDOW_MS } from "./constants.ts";
export { SecretLoadError } from "./errors.ts";
export type { SecretLoadErrorDetails, SecretLoadReason } from "./errors.ts";
export { readSecret } from "./read-secret.ts";
export { imCredentialsSchema, isStandardWebhookSecret, slsCredentialsSchema, webhookSecretsSchema } from "./schemas.ts";
export { SecretCache } from "./secret-cache.ts";
export type { SecretCacheOptions } from "./secret-cache.ts";
export { createCredentialSources } from "./sources.ts";
export type { CredentialSources, CredentialSourcesOptions } from "./sources.ts";
export { staticCredentials } from "./types.ts";
export type { CredentialSource, ImCredentials, SlsCredentials, WebhookSecrets } from "./types.ts";

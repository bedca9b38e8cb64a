import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type * as z from "zod/mini";
import { SecretLoadError } from "./errors.ts";
import type { SecretLoadReason } from "./errors.ts";
import { zodIssuesToValidationIssues } from "../validation/zod-issues.ts";

/** AWS error names that mean "you may not read this" (IAM, KMS, or the caller's own AWS credentials). */
const ACCESS_DENIED_CODES = new Set([
  "AccessDeniedException",
  "DecryptionFailure",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "KMSAccessDeniedException",
]);

/** AWS error names that mean "no such usable secret" (InvalidRequest: scheduled for deletion). */
const NOT_FOUND_CODES = new Set(["ResourceNotFoundException", "InvalidRequestException", "InvalidParameterException"]);

/**
 * Reads the AWSCURRENT version of a JSON secret and validates it. Every failure becomes a
 * {@link SecretLoadError} that names the secret id and, for a bad shape, each field and rule;
 * no secret value reaches the error (not even through `JSON.parse`'s message, which quotes input).
 *
 * @example
 * ```ts
 * const creds = await readSecret(client, "tenant-provisioner/sls", slsCredentialsSchema);
 * ```
 */
export async function readSecret<T>(client: SecretsManagerClient, secretId: string, schema: z.ZodMiniType<T>): Promise<T> {
  let secretString: string | undefined;
  let hasBinary = false;
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    secretString = answer.SecretString;
    hasBinary = answer.SecretBinary !== undefined;
  } catch (error) {
    throw fetchError(secretId, error);
  }

  if (secretString === undefined) {
    if (hasBinary) {
      throw new SecretLoadError(secretId, "binary", [
        { field: "SecretString", rule: "is missing: the secret holds SecretBinary; store the JSON as SecretString" },
      ]);
    }
    throw new SecretLoadError(secretId, "not-json", [{ field: "SecretString", rule: "is missing" }]);
  }

  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // The SyntaxError quotes the text around the fault: the secret. Drop it.
    throw new SecretLoadError(secretId, "not-json", [{ field: "SecretString", rule: "is not valid JSON" }]);
  }

  const result = schema.safeParse(json);
  if (!result.success) {
    throw new SecretLoadError(secretId, "invalid-shape", zodIssuesToValidationIssues(result.error.issues, json));
  }
  return result.data;
}

function fetchError(secretId: string, error: unknown): SecretLoadError {
  const code = errorCode(error);
  const reason = classify(error, code);
  const rule =
    reason === "not-found"
      ? `does not exist or cannot be used (${code})`
      : reason === "access-denied"
        ? `cannot be read with these AWS credentials (${code})`
        : `Secrets Manager is unavailable (${code}); try again later`;
  return new SecretLoadError(secretId, reason, [{ field: reason === "unavailable" ? "" : "SecretId", rule }], {
    code,
    cause: error,
  });
}

function classify(error: unknown, code: string): SecretLoadReason {
  if (NOT_FOUND_CODES.has(code)) return "not-found";
  if (ACCESS_DENIED_CODES.has(code)) return "access-denied";
  const status = httpStatusOf(error);
  if (status === 401 || status === 403) return "access-denied";
  // Throttling, 5xx, timeouts, refused or reset connections, and anything unrecognised: retry later.
  return "unavailable";
}

function errorCode(error: unknown): string {
  if (error && typeof error === "object") {
    const { name, code } = error as { name?: unknown; code?: unknown };
    // Node network errors carry `code` (ECONNREFUSED); the SDK's service errors carry `name`.
    if (typeof code === "string" && code.length > 0) return code;
    if (typeof name === "string" && name.length > 0 && name !== "Error") return name;
  }
  return "UnknownError";
}

function httpStatusOf(error: unknown): number | undefined {
  if (error && typeof error === "object" && "$metadata" in error) {
    const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
    if (typeof metadata?.httpStatusCode === "number") return metadata.httpStatusCode;
  }
  return undefined;
}

/**
 * A local AWS Secrets Manager stand-in for tests and the local stack: a real `node:http` server
 * on 127.0.0.1 speaking the AWS JSON 1.1 protocol that the unchanged `@aws-sdk/client-secrets-manager`
 * client uses (`POST /`, `X-Amz-Target: secretsmanager.<Action>`, `application/x-amz-json-1.1`).
 * Point the client at it with its `endpoint` option or `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 *
 * Supported: GetSecretValue (by name or full ARN; VersionId and/or VersionStage, AWSCURRENT by
 * default), CreateSecret, PutSecretValue (AWSCURRENT moves to the new version, the old current
 * becomes AWSPREVIOUS), DescribeSecret, ListSecrets (all secrets in one page; no filters).
 * Errors are answered as AWS does, HTTP 400 with `{"__type": "...", "message": "..."}`, which the
 * SDK maps to its exception classes.
 *
 * Not a security boundary: an `Authorization` header must be present, but the SigV4 signature is
 * not verified (any access key works).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { answerAction, AwsFault, awsJsonServer, callFaults, type InjectedFault, type Json, parseAwsJsonBody, sendAwsFault } from "./aws-json.ts";
import { closeServer, listenOnLoopback } from "../sandbox/loopback.ts";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const CURRENT = "AWSCURRENT";
const PREVIOUS = "AWSPREVIOUS";
const TARGET_PREFIX = "secretsmanager.";

export interface SecretsManagerStandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Secrets to create at start, name -> SecretString. */
  secrets?: Record<string, string> | undefined;
}

export type { InjectedFault } from "./aws-json.ts";

export interface SecretsManagerStandIn {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint`. */
  endpoint: string;
  /** Requests received so far, per action (`GetSecretValue`: 3), failed ones included. */
  readonly calls: Readonly<Record<string, number>>;
  /** Creates the secret, or stores a new AWSCURRENT version of it (a rotation). Returns the VersionId. */
  putSecret(id: string, value: string): string;
  /** Removes the secret at once (no recovery window). Returns whether it existed. */
  deleteSecret(id: string): boolean;
  /** Answers the next `times` requests for `action` with this error instead of serving them. */
  failNext(action: string, fault: InjectedFault, times?: number): void;
  /** Drops the faults still waiting to be injected (all of them, or those of `action`). */
  clearFaults(action?: string): void;
  /** Stops the server and drops open keep-alive connections. */
  close(): Promise<void>;
}

interface StoredVersion {
  versionId: string;
  secretString?: string | undefined;
  /** Base64, as it travels in JSON. */
  secretBinary?: string | undefined;
  stages: string[];
  createdDate: number;
}

interface StoredSecret {
  arn: string;
  name: string;
  description?: string | undefined;
  createdDate: number;
  lastChangedDate: number;
  versions: StoredVersion[];
}

type Action = (input: Json) => Json;

/**
 * Starts the stand-in and resolves once it is listening.
 *
 * @example
 * ```ts
 * const standIn = await startSecretsManagerStandIn({ secrets: { "app/sls": JSON.stringify(creds) } });
 * const client = new SecretsManagerClient({ endpoint: standIn.endpoint, region: "us-east-1",
 *   credentials: { accessKeyId: "x", secretAccessKey: "y" } });
 * await standIn.close();
 * ```
 */
export async function startSecretsManagerStandIn(
  options: SecretsManagerStandInOptions = {},
): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, StoredSecret>();
  const calls: Record<string, number> = {};
  const faults = callFaults();

  const nowSeconds = (): number => Date.now() / 1000;

  function find(id: unknown): StoredSecret {
    if (typeof id !== "string" || id.length === 0) {
      throw new AwsFault("InvalidParameterException", "SecretId is required.");
    }
    for (const secret of secrets.values()) {
      if (secret.name === id || secret.arn === id) return secret;
    }
    throw new AwsFault("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  }

  function create(name: string, value: { secretString?: string | undefined; secretBinary?: string | undefined }, versionId: string, description?: string): StoredSecret {
    if (secrets.has(name)) {
      throw new AwsFault("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
    }
    const now = nowSeconds();
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomBytes(3).toString("hex")}`,
      name,
      description,
      createdDate: now,
      lastChangedDate: now,
      versions: [],
    };
    if (value.secretString !== undefined || value.secretBinary !== undefined) {
      secret.versions.push({ versionId, ...value, stages: [CURRENT], createdDate: now });
    }
    secrets.set(name, secret);
    return secret;
  }

  /** Adds a version carrying `stages`; a stage moved onto it leaves the version that had it. */
  function addVersion(secret: StoredSecret, version: Omit<StoredVersion, "stages" | "createdDate">, stages: string[]): StoredVersion {
    const oldCurrent = secret.versions.find((v) => v.stages.includes(CURRENT));
    for (const v of secret.versions) v.stages = v.stages.filter((s) => !stages.includes(s));
    if (stages.includes(CURRENT) && oldCurrent) {
      for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== PREVIOUS);
      oldCurrent.stages.push(PREVIOUS);
    }
    const added: StoredVersion = { ...version, stages: [...stages], createdDate: nowSeconds() };
    // Versions with no stage left are deprecated; AWS keeps up to 100, the stand-in drops them.
    secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    secret.versions.push(added);
    secret.lastChangedDate = added.createdDate;
    return added;
  }

  function secretValue(input: Json): { secretString?: string; secretBinary?: string } {
    const { SecretString, SecretBinary } = input;
    if (typeof SecretString === "string") return { secretString: SecretString };
    if (typeof SecretBinary === "string") return { secretBinary: SecretBinary };
    return {};
  }

  function versionsToStages(secret: StoredSecret): Record<string, string[]> {
    return Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]]));
  }

  const actions: Record<string, Action> = {
    GetSecretValue(input) {
      const secret = find(input.SecretId);
      const versionId = typeof input.VersionId === "string" ? input.VersionId : undefined;
      const stage = typeof input.VersionStage === "string" ? input.VersionStage : versionId ? undefined : CURRENT;
      const version = secret.versions.find(
        (v) => (versionId === undefined || v.versionId === versionId) && (stage === undefined || v.stages.includes(stage)),
      );
      if (!version) {
        throw new AwsFault(
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value for " +
            (versionId ? `VersionId: ${versionId}` : `staging label: ${stage ?? CURRENT}`),
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
        ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
        VersionStages: [...version.stages],
        CreatedDate: version.createdDate,
      };
    },

    CreateSecret(input) {
      if (typeof input.Name !== "string" || input.Name.length === 0) {
        throw new AwsFault("InvalidParameterException", "Name is required.");
      }
      const versionId = typeof input.ClientRequestToken === "string" ? input.ClientRequestToken : randomUUID();
      const description = typeof input.Description === "string" ? input.Description : undefined;
      const secret = create(input.Name, secretValue(input), versionId, description);
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.versions[0] ? { VersionId: secret.versions[0].versionId } : {}),
      };
    },

    PutSecretValue(input) {
      const secret = find(input.SecretId);
      const value = secretValue(input);
      if (value.secretString === undefined && value.secretBinary === undefined) {
        throw new AwsFault("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
      }
      const versionId = typeof input.ClientRequestToken === "string" ? input.ClientRequestToken : randomUUID();
      const existing = secret.versions.find((v) => v.versionId === versionId);
      if (existing) {
        // Idempotent retry of the same request; the same token with other content is an error.
        if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
          throw new AwsFault("ResourceExistsException", `A version with VersionId ${versionId} already exists with different content.`);
        }
        return { ARN: secret.arn, Name: secret.name, VersionId: existing.versionId, VersionStages: [...existing.stages] };
      }
      const stages = Array.isArray(input.VersionStages)
        ? input.VersionStages.filter((s): s is string => typeof s === "string")
        : [CURRENT];
      const added = addVersion(secret, { versionId, ...value }, stages);
      return { ARN: secret.arn, Name: secret.name, VersionId: added.versionId, VersionStages: [...added.stages] };
    },

    DescribeSecret(input) {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description !== undefined ? { Description: secret.description } : {}),
        CreatedDate: secret.createdDate,
        LastChangedDate: secret.lastChangedDate,
        VersionIdsToStages: versionsToStages(secret),
      };
    },

    ListSecrets() {
      return {
        SecretList: [...secrets.values()].map((secret) => ({
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.description !== undefined ? { Description: secret.description } : {}),
          CreatedDate: secret.createdDate,
          LastChangedDate: secret.lastChangedDate,
          SecretVersionsToStages: versionsToStages(secret),
        })),
      };
    },
  };

  const fail = sendAwsFault;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers["x-amz-target"];
    if (req.method !== "POST" || typeof target !== "string" || !target.startsWith(TARGET_PREFIX)) {
      return fail(res, new AwsFault("UnknownOperationException", "Expected POST with X-Amz-Target: secretsmanager.<Action>."));
    }
    const actionName = target.slice(TARGET_PREFIX.length);
    calls[actionName] = (calls[actionName] ?? 0) + 1;
    if (!req.headers.authorization) {
      return fail(res, new AwsFault("MissingAuthenticationTokenException", "Missing Authentication Token", 403));
    }
    const action = Object.hasOwn(actions, actionName) ? actions[actionName] : undefined;
    if (!action) return fail(res, new AwsFault("UnknownOperationException", `Unknown operation ${actionName}.`));

    const injected = faults.take(actionName);
    if (injected) return fail(res, injected);

    await answerAction(res, () => action(parseAwsJsonBody(Buffer.concat(chunks))), "InternalServiceError");
  }

  for (const [name, value] of Object.entries(options.secrets ?? {})) {
    create(name, { secretString: value }, randomUUID());
  }

  const server = awsJsonServer(handle, "InternalServiceError");
  const port = await listenOnLoopback(server, options.port ?? 0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    putSecret(id, value) {
      const existing = [...secrets.values()].find((s) => s.name === id || s.arn === id);
      if (!existing) {
        const versionId = randomUUID();
        create(id, { secretString: value }, versionId);
        return versionId;
      }
      return addVersion(existing, { versionId: randomUUID(), secretString: value }, [CURRENT]).versionId;
    },
    deleteSecret(id) {
      const existing = [...secrets.values()].find((s) => s.name === id || s.arn === id);
      return existing ? secrets.delete(existing.name) : false;
    },
    failNext(action, fault, times = 1) {
      faults.set(action, fault, times);
    },
    clearFaults(action) {
      faults.clear(action);
    },
    close: () => closeServer(server, "all"),
  };
}

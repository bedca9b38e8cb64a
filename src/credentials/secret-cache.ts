/**
 * Credentials from AWS Secrets Manager, cached with a bounded age.
 *
 * Why not `@middy/secrets-manager`: its prefetch at cold start turns a failed fetch into an
 * unhandled rejection that kills the process, and the provisioning core must not depend on
 * middy or Lambda at all. So the loader calls `@aws-sdk/client-secrets-manager` itself: a
 * failure becomes a {@link SecretLoadError} at the moment a provider client asks for
 * credentials, where it can be classified and recorded like any other failure.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type * as z from "zod/mini";
import { systemClock } from "../http/clock.ts";
import type { Clock } from "../http/types.ts";
import { DEFAULT_SECRET_MAX_AGE_MS, REFRESH_REUSE_WINDOW_MS } from "./constants.ts";
import { readSecret } from "./read-secret.ts";
import type { CredentialSource } from "./types.ts";

export interface SecretCacheOptions<T> {
  client: SecretsManagerClient;
  /** Secret name or ARN. */
  secretId: string;
  /** Validates the secret's JSON and gives the value its type. */
  schema: z.ZodMiniType<T>;
  /** How long `get()` serves a loaded value before reading again. Default 5 minutes. */
  maxAgeMs?: number | undefined;
  clock?: Clock | undefined;
}

interface Loaded<T> {
  value: T;
  /** Clock time the read completed. */
  at: number;
}

/**
 * One JSON secret as a {@link CredentialSource}: `get()` serves the cached value while it is
 * younger than `maxAgeMs`; `refresh()` (called when a provider rejects the credentials) reads
 * again unless a read completed within the last second. Concurrent callers share one read
 * (single flight), and a failed read is never cached: the next call tries again.
 *
 * @example
 * ```ts
 * const sls = new SecretCache({ client, secretId: "tenant-provisioner/sls", schema: slsCredentialsSchema });
 * const { accessKeyId } = await sls.get();
 * ```
 */
export class SecretCache<T> implements CredentialSource<T> {
  readonly secretId: string;
  readonly #client: SecretsManagerClient;
  readonly #schema: z.ZodMiniType<T>;
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  #loaded: Loaded<T> | undefined;
  #inFlight: Promise<T> | undefined;

  constructor(options: SecretCacheOptions<T>) {
    this.secretId = options.secretId;
    this.#client = options.client;
    this.#schema = options.schema;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_SECRET_MAX_AGE_MS;
    this.#clock = options.clock ?? systemClock;
  }

  /** The cached value while younger than `maxAgeMs`, else a fresh read. */
  get(): Promise<T> {
    return this.#youngerThan(this.#maxAgeMs) ?? this.#load();
  }

  /**
   * A fresh read, for after a provider rejected the credentials (rotation). Reads completed
   * within the last second (or `reuseWithinMs`; 0 reuses only a read under way) are reused, so a
   * burst of rejections costs one read.
   */
  refresh(options: { reuseWithinMs?: number } = {}): Promise<T> {
    return this.#youngerThan(Math.min(options.reuseWithinMs ?? REFRESH_REUSE_WINDOW_MS, this.#maxAgeMs)) ?? this.#load();
  }

  /**
   * A fresh read even within the reuse window (a read already under way is joined): used once
   * when a provider rejects credentials the cache served, so a rotation that landed within the
   * last second is seen at once.
   *
   * @example
   * ```ts
   * const fresh = await cache.reload(); // after a provider rejected what get() served
   * ```
   */
  reload(): Promise<T> {
    return this.#load();
  }

  #youngerThan(ageMs: number): Promise<T> | undefined {
    const loaded = this.#loaded;
    if (loaded && this.#clock.now() - loaded.at < ageMs) return Promise.resolve(loaded.value);
    return undefined;
  }

  /** Starts a read unless one is already under way; a read under way is at most one round trip old. */
  #load(): Promise<T> {
    this.#inFlight ??= readSecret(this.#client, this.secretId, this.#schema)
      .then((value) => {
        this.#loaded = { value, at: this.#clock.now() };
        return value;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }
}

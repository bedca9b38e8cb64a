/** Types shared by the credential loader and the provider clients that consume credentials. */

/**
 * Where a provider client gets its credentials. `get` may serve a cached value; `refresh`
 * re-reads the source (called once when the provider rejects the credentials: rotation).
 *
 * @example
 * ```ts
 * const fixed: CredentialSource<SlsCredentials> = { get: async () => creds, refresh: async () => creds };
 * ```
 */
export interface CredentialSource<T> {
  get(): Promise<T>;
  refresh(): Promise<T>;
  /**
   * A read of the source now, even within the reuse window `refresh` keeps: for a provider that
   * rejects a key the cache just served (a rotation that landed moments ago). Absent: `refresh`.
   */
  reload?(): Promise<T>;
}

/** Alibaba Cloud access key (and STS token when temporary). */
export interface SlsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS security token, sent as `x-acs-security-token`. */
  securityToken?: string | undefined;
}

/** Tencent Cloud IM app credentials: what a UserSig is made from. */
export interface ImCredentials {
  sdkAppId: number;
  /** The app's secret key (used as UTF-8 bytes, not hex-decoded). */
  secretKey: string;
  /** The app admin account the REST calls are made as. */
  adminIdentifier: string;
}

/** Standard Webhooks signing secrets, newest first; several at once during rotation. */
export interface WebhookSecrets {
  secrets: string[];
}

/**
 * A credential source that always returns the same value (tests, the local stack).
 *
 * @example
 * ```ts
 * const source = staticCredentials({ accessKeyId: "id", accessKeySecret: "secret" });
 * ```
 */
export function staticCredentials<T>(value: T): CredentialSource<T> {
  return { get: async () => value, refresh: async () => value, reload: async () => value };
}

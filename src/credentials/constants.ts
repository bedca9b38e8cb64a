/** Tunables of the credential loader. */

/** How long a loaded secret is served from memory before `get()` reads it again. */
export const DEFAULT_SECRET_MAX_AGE_MS = 5 * 60_000;

/**
 * A `refresh()` within this long of the last completed load reuses that load: when several
 * provider calls see "credentials rejected" at once, one read of the secret answers them all.
 */
export const REFRESH_REUSE_WINDOW_MS = 1_000;

/** Standard Webhooks secrets are `whsec_` + base64 of the key. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** The shortest webhook signing key accepted, in bytes (Standard Webhooks: 24 to 64). */
export const WEBHOOK_SECRET_MIN_BYTES = 24;

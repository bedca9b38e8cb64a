import type { ImCredentials } from "../../credentials/types.ts";
import { systemClock } from "../../http/clock.ts";
import type { Clock } from "../../http/types.ts";
import { DEFAULT_USERSIG_EXPIRE_SECONDS } from "./constants.ts";
import { generateUserSig } from "./usersig.ts";

/** Options of {@link UserSigCache}. */
export interface UserSigCacheOptions {
  /** Lifetime of each UserSig, in seconds. Default one day. */
  expireSeconds?: number;
  clock?: Pick<Clock, "now">;
}

interface CachedUserSig {
  usersig: string;
  sdkAppId: number;
  identifier: string;
  secretKey: string;
  timeSeconds: number;
  renewAtMs: number;
}

/**
 * Holds the admin's UserSig and makes a new one before the old one runs out: when less than
 * 10% of its life (at least 1 h, at most half its life) remains. A UserSig is cheap, but one per
 * call would be wasted CPU on a small Lambda.
 *
 * `invalidate()` forgets it (the server said 70001/70052); the next one is issued one second
 * after both the forgotten one and the current second. `TLS.time` has one-second resolution: a
 * UserSig made in the second the server invalidated "everything issued so far" cannot be told apart
 * from those it invalidated (and one from the same inputs in the same second is byte-identical), so
 * it could be refused again, costing a second rejection and a credentials re-read.
 *
 * @example
 * ```ts
 * const cache = new UserSigCache({ expireSeconds: 86400 });
 * const usersig = cache.get(await credentials.get());
 * ```
 */
export class UserSigCache {
  readonly expireSeconds: number;
  readonly #clock: Pick<Clock, "now">;
  #cached: CachedUserSig | undefined;
  /** Issue time of the last UserSig made; a renewal is never issued at or before it. */
  #lastIssuedSeconds = -Infinity;
  #invalidated = false;

  constructor(options: UserSigCacheOptions = {}) {
    const expire = options.expireSeconds ?? DEFAULT_USERSIG_EXPIRE_SECONDS;
    if (!Number.isSafeInteger(expire) || expire <= 0) throw new RangeError("expireSeconds: must be a positive integer");
    this.expireSeconds = expire;
    this.#clock = options.clock ?? systemClock;
  }

  /** The cached UserSig for these credentials, or a new one when absent, stale, or the credentials changed. */
  get(credentials: ImCredentials): string {
    const nowMs = this.#clock.now();
    const cached = this.#cached;
    if (
      cached !== undefined &&
      nowMs < cached.renewAtMs &&
      cached.sdkAppId === credentials.sdkAppId &&
      cached.identifier === credentials.adminIdentifier &&
      cached.secretKey === credentials.secretKey
    ) {
      return cached.usersig;
    }
    let timeSeconds = Math.floor(nowMs / 1000);
    if (this.#invalidated) timeSeconds = Math.max(timeSeconds, this.#lastIssuedSeconds) + 1;
    const usersig = generateUserSig({
      sdkAppId: credentials.sdkAppId,
      identifier: credentials.adminIdentifier,
      secretKey: credentials.secretKey,
      expireSeconds: this.expireSeconds,
      timeSeconds,
    });
    const marginSeconds = Math.min(Math.max(this.expireSeconds * 0.1, 3600), this.expireSeconds / 2);
    this.#cached = {
      usersig,
      sdkAppId: credentials.sdkAppId,
      identifier: credentials.adminIdentifier,
      secretKey: credentials.secretKey,
      timeSeconds,
      renewAtMs: (timeSeconds + this.expireSeconds - marginSeconds) * 1000,
    };
    this.#lastIssuedSeconds = Math.max(this.#lastIssuedSeconds, timeSeconds);
    this.#invalidated = false;
    return usersig;
  }

  /** Forgets the cached UserSig; the next `get` makes a new, different one. */
  invalidate(): void {
    this.#cached = undefined;
    this.#invalidated = true;
  }
}

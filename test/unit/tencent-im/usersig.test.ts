import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { UserSigCache } from "../../../src/providers/tencent-im/usersig-cache.ts";
import { decodeUserSig, generateUserSig, verifyUserSig } from "../../../src/providers/tencent-im/usersig.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const key = "test-secret-key-0123456789";
const base = { sdkAppId: 1400000001, identifier: "administrator", secretKey: key, expireSeconds: 3600, timeSeconds: 1_700_000_000 };
const expect1 = { sdkAppId: base.sdkAppId, identifier: base.identifier, secretKey: key, nowSeconds: base.timeSeconds + 10 };

function wrap(json: string): string {
  return deflateSync(Buffer.from(json)).toString("base64").replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

describe("verifyUserSig failure reasons", () => {
  const good = generateUserSig(base);

  it("accepts a fresh UserSig up to the last second of its life", () => {
    expect(verifyUserSig(good, expect1).ok).toBe(true);
    expect(verifyUserSig(good, { ...expect1, nowSeconds: base.timeSeconds + 3600 }).ok).toBe(true);
  });

  it("refuses an expired UserSig", () => {
    expect(verifyUserSig(good, { ...expect1, nowSeconds: base.timeSeconds + 3601 })).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses a UserSig signed with another key", () => {
    expect(verifyUserSig(good, { ...expect1, secretKey: `${key}x` })).toEqual({ ok: false, reason: "signature-mismatch" });
  });

  it("refuses a UserSig of another app or account", () => {
    expect(verifyUserSig(good, { ...expect1, sdkAppId: 1400000002 })).toEqual({ ok: false, reason: "sdkappid-mismatch" });
    expect(verifyUserSig(good, { ...expect1, identifier: "bob" })).toEqual({ ok: false, reason: "identifier-mismatch" });
  });

  it("refuses a tampered document whose signature no longer matches (longer expiry)", () => {
    const doc = decodeUserSig(good);
    expect(doc).toBeDefined();
    const tampered = wrap(JSON.stringify({ ...doc, "TLS.expire": 999999 }));
    expect(verifyUserSig(tampered, expect1)).toEqual({ ok: false, reason: "signature-mismatch" });
  });

  it("refuses a flipped byte in the TLS.sig", () => {
    const doc = decodeUserSig(good);
    if (doc === undefined) throw new Error("our own UserSig must decode");
    const sig = Buffer.from(doc["TLS.sig"], "base64");
    sig[0] = (sig[0] ?? 0) ^ 1;
    const tampered = wrap(JSON.stringify({ ...doc, "TLS.sig": sig.toString("base64") }));
    expect(verifyUserSig(tampered, expect1)).toEqual({ ok: false, reason: "signature-mismatch" });
  });

  it("refuses garbage: bad alphabet, not zlib, not JSON, missing fields", () => {
    for (const bad of ["", "not a usersig!", "eJyrVgrxCdYrSy1S", wrap("[1,2]"), wrap("{}"), wrap('{"TLS.ver":"1.0"}')]) {
      expect(verifyUserSig(bad, expect1)).toEqual({ ok: false, reason: "malformed" });
    }
    // gzip instead of zlib is not a UserSig either
    const gz = gzipSync(Buffer.from(JSON.stringify(decodeUserSig(good)))).toString("base64");
    expect(verifyUserSig(gz.replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_"), expect1).ok).toBe(false);
  });

  it("binds the userbuf into the signature", () => {
    const withBuf = generateUserSig({ ...base, userbuf: Buffer.from("abc") });
    expect(verifyUserSig(withBuf, expect1).ok).toBe(true);
    const doc = decodeUserSig(withBuf);
    if (doc === undefined) throw new Error("our own UserSig must decode");
    const swapped = wrap(JSON.stringify({ ...doc, "TLS.userbuf": Buffer.from("abd").toString("base64") }));
    expect(verifyUserSig(swapped, expect1)).toEqual({ ok: false, reason: "signature-mismatch" });
  });
});

describe("UserSigCache", () => {
  const creds = { sdkAppId: 1400000001, secretKey: key, adminIdentifier: "administrator" };

  it("serves the same UserSig until the renewal margin, then a new one", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ expireSeconds: 86_400, clock });
    const first = cache.get(creds);
    clock.advance(60_000);
    expect(cache.get(creds)).toBe(first);
    // 10% of a day (8640 s) before expiry it renews.
    clock.time = 1_700_000_000_000 + (86_400 - 8_640) * 1000 - 1000;
    expect(cache.get(creds)).toBe(first);
    clock.advance(2000);
    const renewed = cache.get(creds);
    expect(renewed).not.toBe(first);
    expect(decodeUserSig(renewed)?.["TLS.time"]).toBe(Math.floor(clock.now() / 1000));
  });

  it("renews at least an hour before expiry for short lifetimes, and never serves an expired one", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ expireSeconds: 7200, clock });
    const first = cache.get(creds);
    clock.advance(3599_000);
    expect(cache.get(creds)).toBe(first);
    clock.advance(2000);
    expect(cache.get(creds)).not.toBe(first);
  });

  it("makes a new, different UserSig after invalidate() even within the same second", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ clock });
    const first = cache.get(creds);
    cache.invalidate();
    const second = cache.get(creds);
    expect(second).not.toBe(first);
    expect(verifyUserSig(second, { sdkAppId: creds.sdkAppId, identifier: "administrator", secretKey: key, nowSeconds: 1_700_000_001 }).ok).toBe(true);
  });

  it("makes a new UserSig when the credentials change (rotation)", () => {
    const cache = new UserSigCache({ clock: new FakeClock() });
    const first = cache.get(creds);
    const rotated = cache.get({ ...creds, secretKey: "rotated-key" });
    expect(rotated).not.toBe(first);
    expect(verifyUserSig(rotated, { sdkAppId: creds.sdkAppId, identifier: "administrator", secretKey: "rotated-key", nowSeconds: 1_700_000_000 }).ok).toBe(true);
  });

  it("refuses a lifetime that is not a positive whole number of seconds", () => {
    for (const expireSeconds of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new UserSigCache({ expireSeconds }), String(expireSeconds)).toThrow(new RangeError("expireSeconds: must be a positive integer"));
    }
    expect(new UserSigCache({ expireSeconds: 1 }).expireSeconds).toBe(1);
  });

  it("renews exactly at the renewal time, not a millisecond later", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ expireSeconds: 86_400, clock });
    const first = cache.get(creds);
    clock.time = 1_700_000_000_000 + (86_400 - 8_640) * 1000 - 1;
    expect(cache.get(creds)).toBe(first);
    clock.advance(1);
    expect(cache.get(creds)).not.toBe(first);
  });

  it("for a lifetime under two hours renews at half of it (never serves one older than half its life)", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ expireSeconds: 3600, clock });
    const first = cache.get(creds);
    clock.advance(1_799_999);
    expect(cache.get(creds)).toBe(first);
    clock.advance(1);
    expect(cache.get(creds)).not.toBe(first);
  });

  it("makes a UserSig for the new app or admin account when only that changes", () => {
    const clock = new FakeClock(1_700_000_000_000);
    const cache = new UserSigCache({ clock });
    cache.get(creds);
    const otherApp = cache.get({ ...creds, sdkAppId: 1400000002 });
    expect(decodeUserSig(otherApp)).toMatchObject({ "TLS.sdkappid": 1400000002, "TLS.identifier": "administrator" });
    const otherAdmin = cache.get({ ...creds, sdkAppId: 1400000002, adminIdentifier: "ops-admin" });
    expect(decodeUserSig(otherAdmin)).toMatchObject({ "TLS.sdkappid": 1400000002, "TLS.identifier": "ops-admin" });
  });

  it("issues at the clock's second; only after invalidate() in that same second one second later", () => {
    const clock = new FakeClock(1_700_000_000_500);
    const cache = new UserSigCache({ clock });
    cache.get(creds);
    // A rotation in the same second, without invalidate(): the clock's own second.
    expect(decodeUserSig(cache.get({ ...creds, secretKey: "rotated-key" }))?.["TLS.time"]).toBe(1_700_000_000);
    cache.invalidate();
    expect(decodeUserSig(cache.get({ ...creds, secretKey: "rotated-key" }))?.["TLS.time"]).toBe(1_700_000_001);
  });

  it("after invalidate() issues past the current second even when the forgotten one is older", () => {
    // The server invalidates everything issued up to its current second; a renewal in that same
    // second would be refused again (70052 twice and a needless credentials re-read).
    const clock = new FakeClock(1_700_000_000_500);
    const cache = new UserSigCache({ clock });
    cache.get(creds);
    clock.advance(5_000);
    cache.invalidate();
    expect(decodeUserSig(cache.get(creds))?.["TLS.time"]).toBe(1_700_000_006);
    // Without invalidate(), a renewal (here: new credentials) stays at the clock's own second.
    expect(decodeUserSig(cache.get({ ...creds, secretKey: "rotated-key" }))?.["TLS.time"]).toBe(1_700_000_005);
  });
});


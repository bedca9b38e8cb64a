/**
 * decodeUserSig field by field, and verifyUserSig on a TLS.sig of the wrong length: the IM
 * sandbox refuses exactly what the IM server refuses, so each rule of the document shape is
 * checked on its own (found by mutation testing, README "Mutation testing": the garbage test
 * broke several rules at once, so dropping any single rule went unnoticed).
 */
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeUserSig, generateUserSig, verifyUserSig } from "../../../src/providers/tencent-im/usersig.ts";

const key = "test-secret-key-0123456789";
const base = { sdkAppId: 1400000001, identifier: "administrator", secretKey: key, expireSeconds: 3600, timeSeconds: 1_700_000_000 };
const expectation = { sdkAppId: base.sdkAppId, identifier: base.identifier, secretKey: key, nowSeconds: base.timeSeconds + 10 };

/** The UserSig wrapping: zlib, then base64 with `+/=` written as `*-_`. */
function wrap(document: unknown): string {
  return deflateSync(Buffer.from(JSON.stringify(document))).toString("base64").replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

const valid = {
  "TLS.ver": "2.0",
  "TLS.identifier": "administrator",
  "TLS.sdkappid": 1400000001,
  "TLS.time": 1_700_000_000,
  "TLS.expire": 3600,
  "TLS.sig": "c2lnbmF0dXJl",
};

describe("decodeUserSig", () => {
  it("returns the document, numbers written as numeric strings read as numbers, no userbuf key when there is none", () => {
    expect(decodeUserSig(wrap(valid))).toEqual(valid);
    expect(decodeUserSig(wrap({ ...valid, "TLS.sdkappid": "1400000001", "TLS.time": "1700000000", "TLS.expire": "3600" }))).toEqual(valid);
    expect(decodeUserSig(wrap({ ...valid, "TLS.userbuf": "YWJj" }))).toEqual({ ...valid, "TLS.userbuf": "YWJj" });
    expect(decodeUserSig(wrap(valid))).not.toHaveProperty("TLS.userbuf");
  });

  it.each([
    ["a version other than 2.0", { "TLS.ver": "1.0" }],
    ["a numeric identifier", { "TLS.identifier": 7 }],
    ["a numeric sig", { "TLS.sig": 7 }],
    ["no sdkappid", { "TLS.sdkappid": undefined }],
    ["a fractional sdkappid", { "TLS.sdkappid": 1.5 }],
    ["an unsafe integer sdkappid", { "TLS.sdkappid": 2 ** 53 }],
    ["a non-numeric sdkappid string", { "TLS.sdkappid": "14x" }],
    ["a 16-digit sdkappid string", { "TLS.sdkappid": "1234567890123456" }],
    ["an sdkappid string with a sign", { "TLS.sdkappid": "-1400000001" }],
    ["an sdkappid in an array", { "TLS.sdkappid": ["1400000001"] }],
    ["no time", { "TLS.time": undefined }],
    ["a boolean time", { "TLS.time": true }],
    ["no expire", { "TLS.expire": undefined }],
    ["an expire given as an object", { "TLS.expire": { seconds: 3600 } }],
    ["a numeric userbuf", { "TLS.userbuf": 5 }],
  ])("refuses a document with %s", (_what, change) => {
    expect(decodeUserSig(wrap({ ...valid, ...change }))).toBeUndefined();
  });

  it.each([
    ["an array", [valid]],
    ["null", null],
    ["a string", "TLS.ver 2.0"],
  ])("refuses a JSON value that is %s", (_what, value) => {
    expect(decodeUserSig(wrap(value))).toBeUndefined();
  });

  it("refuses characters outside the UserSig alphabet anywhere, not only at one end", () => {
    const good = wrap(valid);
    expect(decodeUserSig(good)).toBeDefined();
    expect(decodeUserSig(`!${good}`)).toBeUndefined();
    expect(decodeUserSig(`${good}!`)).toBeUndefined();
    expect(decodeUserSig(`${good.slice(0, 8)} ${good.slice(8)}`)).toBeUndefined();
  });
});

describe("generateUserSig output", () => {
  it("uses only the UserSig alphabet and keeps the base64 padding (as `_`), like the official libraries", () => {
    for (const identifier of ["a", "ab", "abc", "administrator"]) {
      const usersig = generateUserSig({ ...base, identifier });
      expect(usersig).toMatch(/^[A-Za-z0-9*\-_]+$/);
      expect(usersig.length % 4).toBe(0);
    }
  });
});

describe("verifyUserSig", () => {
  it("answers signature-mismatch, without throwing, for a TLS.sig of the wrong length", () => {
    const good = decodeUserSig(generateUserSig(base));
    if (good === undefined) throw new Error("our own UserSig must decode");
    const longer = Buffer.concat([Buffer.from(good["TLS.sig"], "base64"), Buffer.from([0])]).toString("base64");
    for (const sig of ["AAAA", longer]) {
      expect(verifyUserSig(wrap({ ...good, "TLS.sig": sig }), expectation)).toEqual({ ok: false, reason: "signature-mismatch" });
    }
  });
});

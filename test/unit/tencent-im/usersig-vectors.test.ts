/**
 * UserSig generation must reproduce the official SDKs for every vector in
 * /work/shared/vectors/im-usersig.json (more may be added; none is special-cased), and
 * verification must accept what every official implementation produced.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { generateUserSig, userSigContent, userSigSignature, verifyUserSig } from "../../../src/providers/tencent-im/usersig.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const vectorsFile = path.resolve(repoRoot, "../shared/vectors/im-usersig.json");

const vectorSchema = z.object({
  name: z.string(),
  sdkappid: z.number(),
  key: z.string(),
  identifier: z.string(),
  expire: z.number(),
  time: z.number(),
  userbuf: z.object({ hex: z.string(), base64: z.string() }).optional(),
  usersig: z.string(),
  decodedJson: z.string(),
  expectedTlsSig: z.string(),
  contentToBeSigned: z.string(),
  otherImplementations: z.array(z.object({ implementation: z.string(), usersig: z.string(), decodedJson: z.string() })),
});

const vectors = z.array(vectorSchema).parse(JSON.parse(readFileSync(vectorsFile, "utf8")));

function decodeToJson(usersig: string): unknown {
  const b64 = usersig.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
  return JSON.parse(inflateSync(Buffer.from(b64, "base64")).toString("utf8"));
}

describe("UserSig vectors", () => {
  it("has vectors to check", () => {
    expect(vectors.length).toBeGreaterThan(0);
  });

  for (const v of vectors) {
    const params = {
      sdkAppId: v.sdkappid,
      identifier: v.identifier,
      secretKey: v.key,
      expireSeconds: v.expire,
      timeSeconds: v.time,
      userbuf: v.userbuf === undefined ? undefined : Buffer.from(v.userbuf.hex, "hex"),
    };

    describe(v.name, () => {
      it("signs the same content to the same TLS.sig", () => {
        expect(userSigContent(params)).toBe(v.contentToBeSigned);
        expect(userSigSignature(params)).toBe(v.expectedTlsSig);
      });

      it("wraps the same JSON document, in zlib format", () => {
        const ours = generateUserSig(params);
        expect(decodeToJson(ours)).toEqual(JSON.parse(v.decodedJson));
        const raw = Buffer.from(ours.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "="), "base64");
        expect(raw[0]).toBe(0x78);
        expect(ours).not.toMatch(/[+/=]/);
      });

      const expectation = { sdkAppId: v.sdkappid, identifier: v.identifier, secretKey: v.key, nowSeconds: v.time + 1 };
      const all = [{ implementation: "vector", usersig: v.usersig }, ...v.otherImplementations];
      for (const impl of all) {
        it(`verifies the usersig of ${impl.implementation}`, () => {
          const result = verifyUserSig(impl.usersig, expectation);
          expect(result).toMatchObject({ ok: true, expiresAt: v.time + v.expire });
          if (result.ok) expect(result.document["TLS.sig"]).toBe(v.expectedTlsSig);
        });
      }
    });
  }
});

/**
 * PreparedKeySha256 against the AWS SDK's own node:crypto checksum (what the clients use without
 * the `sha256` option): the same digests for any key and data, the same rules for digest, update
 * and reset, and the same SigV4 signature on a DynamoDB request.
 */
import { Sha256Node } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PreparedKeySha256 } from "../../../src/aws/sha256.ts";

type Ctor = new (secret?: string | Uint8Array) => { update(d: Uint8Array | string): void; digest(): Promise<Uint8Array>; reset(): void };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const secretArb = fc.oneof(fc.constant(undefined), fc.string(), fc.uint8Array({ maxLength: 80 }));
const dataArb = fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: "binary" })), { maxLength: 5 });

async function run(Ctor: Ctor, secret: string | Uint8Array | undefined, chunks: (Uint8Array | string)[]) {
  const hash = new Ctor(secret);
  for (const c of chunks) hash.update(c);
  const first = hex(await hash.digest());
  let again: string | undefined;
  try {
    hash.update(new Uint8Array([1, 2, 3]));
    again = hex(await hash.digest());
  } catch (error) {
    again = `threw ${(error as Error).message}`;
  }
  hash.reset();
  for (const c of chunks) hash.update(c);
  return { first, again, afterReset: hex(await hash.digest()) };
}

describe("PreparedKeySha256", () => {
  it("RFC 4231 test case 2 (string key) and 1 (byte key)", async () => {
    const a = new PreparedKeySha256("Jefe");
    a.update(new TextEncoder().encode("what do ya want for nothing?"));
    expect(hex(await a.digest())).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const b = new PreparedKeySha256(new Uint8Array(20).fill(0x0b));
    b.update(new TextEncoder().encode("Hi There"));
    expect(hex(await b.digest())).toBe("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  });

  it("gives the SDK's results for any key and data, a byte key reused (prepared once) or not", async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, dataArb, fc.boolean(), async (secret, chunks, twice) => {
        const expected = await run(Sha256Node as unknown as Ctor, secret, chunks);
        if (twice) await run(PreparedKeySha256, secret, chunks);
        expect(await run(PreparedKeySha256, secret, chunks)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("a key reused after many other keys (its prepared copy dropped) still gives the right HMAC", async () => {
    const key = new Uint8Array(32).fill(7);
    const before = await run(PreparedKeySha256, key, ["x"]);
    for (let i = 0; i < 40; i++) await run(PreparedKeySha256, new Uint8Array(32).fill(i + 100), ["y"]);
    expect(await run(PreparedKeySha256, key, ["x"])).toEqual(before);
    expect(before).toEqual(await run(Sha256Node as unknown as Ctor, key, ["x"]));
  });

  it("signs a DynamoDB request exactly as the SDK's default checksum does (SigV4)", async () => {
    const signer = (sha256: ConstructorParameters<typeof SignatureV4>[0]["sha256"]) =>
      new SignatureV4({ service: "dynamodb", region: "eu-central-1", sha256, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token" } });
    const request = () =>
      new HttpRequest({
        method: "POST",
        protocol: "https:",
        hostname: "dynamodb.eu-central-1.amazonaws.com",
        path: "/",
        headers: { host: "dynamodb.eu-central-1.amazonaws.com", "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.UpdateItem" },
        body: JSON.stringify({ TableName: "outcomes", Key: { pk: { S: "TENANT#t-1" }, sk: { S: "STEP#im-group" } } }),
      });
    for (const day of ["2026-11-30T23:59:59Z", "2026-12-01T00:00:01Z", "2026-11-30T12:00:00Z"]) {
      const signingDate = new Date(day);
      const ours = await signer(PreparedKeySha256).sign(request(), { signingDate });
      const sdk = await signer(Sha256Node).sign(request(), { signingDate });
      expect(ours.headers["authorization"]).toBe(sdk.headers["authorization"]);
      expect(ours.headers["authorization"]).toMatch(/Signature=[0-9a-f]{64}$/);
    }
  });
});

/**
 * The signer bundled in place of the SDK's SignatureV4MultiRegion for the EventBridge client
 * (scripts/bundle/sigv4-only-multi-region.js) signs exactly as the SDK's class signs when no SigV4a
 * implementation is installed (the case of every bundle), and refuses signing region `*` as it does.
 */
import { SignatureV4MultiRegion as SdkSigner } from "@aws-sdk/signature-v4-multi-region";
import { Sha256 } from "@smithy/core/checksum";
import { describe, expect, it } from "vitest";
import { SignatureV4MultiRegion as BundledSigner } from "../../../scripts/bundle/sigv4-only-multi-region.js";

const options = {
  service: "events",
  region: "eu-central-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example", sessionToken: "token-example" },
  sha256: Sha256,
  runtime: "node",
};
const request = () => ({
  method: "POST",
  protocol: "https:",
  hostname: "events.eu-central-1.amazonaws.com",
  path: "/",
  query: {},
  headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutEvents", host: "events.eu-central-1.amazonaws.com" },
  body: JSON.stringify({ Entries: [{ Source: "tenant-provisioner", DetailType: "TenantProvisioned", Detail: "{\"tenantId\":\"t\"}" }] }),
});
const signingDate = new Date("2026-12-01T00:00:00Z");

describe("the bundled EventBridge signer", () => {
  it("signs and presigns as the SDK's SignatureV4MultiRegion does (SigV4)", async () => {
    const sdk = new SdkSigner(options);
    const bundled = new BundledSigner(options);
    expect(await bundled.sign(request(), { signingDate })).toEqual(await sdk.sign(request(), { signingDate }));
    expect(await bundled.sign(request(), { signingDate, signingRegion: "us-west-2" })).toEqual(await sdk.sign(request(), { signingDate, signingRegion: "us-west-2" }));
    expect(await bundled.presign(request(), { signingDate, expiresIn: 60 })).toEqual(await sdk.presign(request(), { signingDate, expiresIn: 60 }));
    const other = { accessKeyId: "AKIDOTHER", secretAccessKey: "other", sessionToken: "other-token" };
    expect(await bundled.signWithCredentials(request(), other, { signingDate })).toEqual(await sdk.signWithCredentials(request(), other, { signingDate }));
    expect(SdkSigner.sigv4aDependency()).toBe("none");
    expect(BundledSigner.sigv4aDependency()).toBe("none");
  });

  it("refuses signing region * (SigV4a, a global endpoint) as the SDK's does without a SigV4a implementation", async () => {
    for (const signer of [new SdkSigner(options), new BundledSigner(options)]) {
      await expect(signer.sign(request(), { signingDate, signingRegion: "*" })).rejects.toThrow(/Neither CRT nor JS SigV4a implementation is available/);
      await expect(signer.presign(request(), { signingDate, signingRegion: "*" })).rejects.toThrow();
    }
  });
});

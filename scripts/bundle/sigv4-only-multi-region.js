/**
 * `SignatureV4MultiRegion` of `@aws-sdk/signature-v4-multi-region` for bundles with no SigV4a
 * implementation (neither `@aws-sdk/signature-v4-crt` nor `@aws-sdk/signature-v4a` is installed,
 * so the SDK's own class can only sign SigV4 here too). The EventBridge client signs with it;
 * SigV4a (signing region `*`) is for PutEvents to a global endpoint (`EndpointId`), which the
 * service never uses. The SDK's class is ~3.4 KB of every handler with EventBridge, mostly its
 * messages about installing SigV4a; this one signs with the same SigV4 signer and fails just as
 * that one does here for `*`. Bundled in its place (scripts/esbuild-options.ts
 * `sigV4OnlyMultiRegion`); test/unit/bundle/sigv4-only-multi-region.test.ts compares the two.
 */
import { SignatureV4SignWithCredentials } from "@aws-sdk/signature-v4-multi-region";

const checkRegion = (options) => {
  if (options.signingRegion === "*") {
    throw new Error("Neither CRT nor JS SigV4a implementation is available (not bundled: scripts/esbuild-options.ts sigV4OnlyMultiRegion)");
  }
};

export class SignatureV4MultiRegion {
  static sigv4aDependency() {
    return "none";
  }
  constructor(options) {
    this.sigv4Signer = new SignatureV4SignWithCredentials(options);
    this.signerOptions = options;
  }
  async sign(requestToSign, options = {}) {
    checkRegion(options);
    return this.sigv4Signer.sign(requestToSign, options);
  }
  async signWithCredentials(requestToSign, credentials, options = {}) {
    checkRegion(options);
    return this.sigv4Signer.signWithCredentials(requestToSign, credentials, options);
  }
  async presign(originalRequest, options = {}) {
    checkRegion(options);
    return this.sigv4Signer.presign(originalRequest, options);
  }
  async presignWithCredentials(originalRequest, credentials, options = {}) {
    checkRegion(options);
    return this.sigv4Signer.presignWithCredentials(originalRequest, credentials, options);
  }
}

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { BuildOptions, Plugin } from "esbuild";
import { compactSdkErrorClasses } from "./bundle/compact-sdk-errors.ts";

/** The Lambda entry points, one bundle each (handlers/<name>.ts). */
export const HANDLERS = ["signup", "webhook", "status", "offboard", "backfill"] as const;

/**
 * The credentials provider the AWS SDK clients get in a Lambda bundle, replacing the SDK's default
 * chain (`@aws-sdk/credential-provider-node`: env, SSO, ini, process, web identity, HTTP, IMDS, and
 * the nested STS/SSO/sign-in clients they use, ~100 KB of the bundle). Lambda always gives the
 * function its role's credentials as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, valid for the execution environment's life, which is the chain's first link
 * anyway. Read once, on the first signed request; a missing variable fails that request, not the
 * cold start. Clients given explicit `credentials` (tests, the local stack) never call it.
 */
const ENV_ONLY_CREDENTIALS_SOURCE = `
let cached;
export const defaultProvider = () => async () => {
  if (cached) return cached;
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    const error = new Error("AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (this bundle reads them from the environment only, as Lambda provides them)");
    error.name = "CredentialsProviderError";
    throw error;
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
  cached = {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
  };
  return cached;
};
`;

/** esbuild plugin: `@aws-sdk/credential-provider-node` → {@link ENV_ONLY_CREDENTIALS_SOURCE}. */
export const envOnlyAwsCredentials: Plugin = {
  name: "env-only-aws-credentials",
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: "env-only-aws-credentials",
      namespace: "env-only-aws-credentials",
    }));
    build.onLoad({ filter: /.*/, namespace: "env-only-aws-credentials" }, () => ({
      contents: ENV_ONLY_CREDENTIALS_SOURCE,
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: the event-stream support the SDK's HTTP protocols load with `import()` only for
 * an operation with an event-stream member, which none of the clients we bundle (DynamoDB, SQS,
 * Secrets Manager, EventBridge) has. Bundled, it was ~15 KB in every handler, and the lazy
 * `import()` made esbuild wrap much of `@smithy/core` in on-demand module initialisers. Replaced
 * by a module that fails loudly if it were ever reached; a static import of it (a client with
 * event streams) still bundles the real one.
 */
export const noEventStreams: Plugin = {
  name: "no-event-streams",
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === "dynamic-import" ? { path: "no-event-streams", namespace: "no-event-streams" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "no-event-streams" }, () => ({
      contents: `const unsupported = () => { throw new Error("AWS SDK event streams are not bundled (scripts/esbuild-options.ts noEventStreams)"); };
export const eventStreamSerdeProvider = unsupported;
export class EventStreamSerde { constructor() { unsupported(); } }`,
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: an AWS SDK client imports its whole package.json (`import packageInfo from
 * "../package.json"`, ~2.2 KB each: scripts, dependency lists) for `packageInfo.version` in the
 * user agent, the only field any of them reads; the bundle keeps `name` and `version`.
 */
export const slimAwsSdkPackageJson: Plugin = {
  name: "slim-aws-sdk-package-json",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, "utf8")) as { name: string; version: string };
      return { contents: JSON.stringify({ name, version }), loader: "json" };
    });
  },
};

/**
 * esbuild plugin: `mnemonist/lru-cache`, imported by the SDK's endpoint-discovery cache, is
 * replaced by the few lines of it that cache uses (scripts/bundle/endpoint-cache-lru.js; ~5 KB
 * less in every handler that has the DynamoDB client). Only that importer is redirected; the
 * replacement is checked against mnemonist's own class in test/unit/bundle.
 */
export const smallEndpointCacheLru: Plugin = {
  name: "small-endpoint-cache-lru",
  setup(build) {
    build.onResolve({ filter: /^mnemonist\/lru-cache(\.js)?$/ }, (args) =>
      /[\\/]@aws-sdk[\\/]endpoint-cache[\\/]/.test(args.importer) ? { path: fileURLToPath(new URL("./bundle/endpoint-cache-lru.js", import.meta.url)) } : undefined,
    );
  },
};

/**
 * esbuild plugin: the AWS SDK's adaptive retry mode (`AdaptiveRetryStrategy` and its client-side
 * rate limiter, ~3.4 KB of every bundle), which a client takes only for `retryMode: "adaptive"` or
 * `AWS_RETRY_MODE=adaptive`. No client of ours asks for it and the template does not set the
 * variable (test/unit/bundle checks it); every client retries in the standard mode. Replaced by a
 * class that fails the call loudly, naming the setting, if adaptive mode were ever chosen. Only
 * the retry configuration's import is redirected.
 */
export const noAdaptiveRetry: Plugin = {
  name: "no-adaptive-retry",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/util-retry\/AdaptiveRetryStrategy$/ }, (args) =>
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]retry[\\/]middleware-retry[\\/]configurations\.js$/.test(args.importer)
        ? { path: "no-adaptive-retry", namespace: "no-adaptive-retry" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "no-adaptive-retry" }, () => ({
      contents: `export class AdaptiveRetryStrategy { constructor() { throw new Error("AWS SDK adaptive retry mode (AWS_RETRY_MODE=adaptive) is not bundled (scripts/esbuild-options.ts noAdaptiveRetry); use the standard mode"); } }`,
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: the SDK clients' default request handler (`@smithy/node-http-handler`, its
 * NodeHttpHandler and socket timers, ~7 KB of every handler) → scripts/bundle/given-request-handler-only.js,
 * which hands back the handler a client is built with and fails loudly for a client built without
 * one. Every SDK client of the service gets its handler from `awsClientOptions()`
 * (src/aws/deadline-bound-http-handler.ts over src/http), so the SDK's was bundled but never ran.
 * Only the clients' runtime configs are redirected; test/unit/bundle checks the replacement
 * against the SDK's module and that no bundle carries the SDK's handler.
 */
export const givenRequestHandlerOnly: Plugin = {
  name: "given-request-handler-only",
  setup(build) {
    build.onResolve({ filter: /^@smithy\/node-http-handler$/ }, (args) =>
      /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]runtimeConfig\.js$/.test(args.importer)
        ? { path: fileURLToPath(new URL("./bundle/given-request-handler-only.js", import.meta.url)) }
        : undefined,
    );
  },
};

/**
 * esbuild plugin: the two places the AWS SDK looks for its settings beyond the environment, which a
 * Lambda function has neither of: the shared config files (`~/.aws/config` and `credentials`: the
 * `fromSharedConfigFiles` link of every setting's env → file → default chain) and the EC2 instance
 * metadata service (the last resort for a region; Lambda sets AWS_REGION, and IMDS is not reachable
 * from a function). A setting not in the environment takes its default, as it does in Lambda, without
 * the SDK's file reads on the first call or its INI parser and IMDS client in the bundle (~3.5 KB of
 * every handler). The template sets no AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE / AWS_PROFILE
 * (test/unit/bundle checks it).
 */
export const noSharedConfigFilesOrImds: Plugin = {
  name: "no-shared-config-files-or-imds",
  setup(build) {
    build.onLoad({ filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]node-config-provider[\\/]fromSharedConfigFiles\.js$/ }, () => ({
      contents: `import { CredentialsProviderError } from "../property-provider/CredentialsProviderError";
export const fromSharedConfigFiles = () => async () => { throw new CredentialsProviderError("AWS shared config files are not read in a Lambda bundle (scripts/esbuild-options.ts noSharedConfigFilesOrImds)"); };`,
      loader: "js",
    }));
    build.onLoad({ filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]config-resolver[\\/]regionConfig[\\/]getInstanceMetadataRegion\.js$/ }, () => ({
      // What the SDK's lookup answers when IMDS is disabled or unreachable.
      contents: "export const getInstanceMetadataRegion = async () => undefined; // IMDS: scripts/esbuild-options.ts noSharedConfigFilesOrImds",
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: the pure-JavaScript SHA-256 and MD5 that `@smithy/core`'s `Sha256Node` and
 * `Md5Node` fall back to when `node:crypto` cannot make that hash (a Node without OpenSSL's
 * sha256, or md5 refused in FIPS mode). Node on Lambda always has both (the SDK's own probe,
 * `createHash(...)` at load, picks the native class there), so the fallbacks were ~5 KB of
 * never-run code in every bundle. Replaced by a class that fails loudly if the probe ever chose
 * it; only those two importers are redirected.
 */
export const noJsHashFallbacks: Plugin = {
  name: "no-js-hash-fallbacks",
  setup(build) {
    build.onResolve({ filter: /^\.\/(Sha256Js|Md5Js)$/ }, (args) =>
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/](sha256[\\/]Sha256Node|md5[\\/]Md5Node)\.js$/.test(args.importer)
        ? { path: args.path.slice(2), namespace: "no-js-hash-fallbacks" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "no-js-hash-fallbacks" }, (args) => ({
      contents: `export class ${args.path} { constructor() { throw new Error("node:crypto cannot make this hash here and the AWS SDK's JavaScript fallback is not bundled (scripts/esbuild-options.ts noJsHashFallbacks)"); } }`,
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: the AWS SDK's UUID v4 (`@smithy/core/serde` `v4`, the invocation id of every
 * request and the idempotency tokens) made by `node:crypto`'s `randomUUID`. The SDK's module picks,
 * at load, the global `crypto.randomUUID` where it exists (always, on Node ≥ 19) over a fallback on
 * `getRandomValues` whose 256-entry hex table it builds at load anyway. Reading the global `crypto`
 * there made Node load its Web Crypto module at every cold start (~6M instructions, 1.3 % of the
 * webhook's init: compiling it and caching its code); nothing else of ours touches it. Web Crypto's
 * `crypto.randomUUID()` and `node:crypto`'s `randomUUID()` are the same function of Node's
 * (lib/internal/crypto/random.js, one entropy cache), so every id is made as before.
 * test/unit/bundle/node-crypto-uuid.test.ts checks both.
 */
export const nodeCryptoUuid: Plugin = {
  name: "node-crypto-uuid",
  setup(build) {
    build.onLoad({ filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]uuid[\\/]v4\.js$/ }, () => ({
      contents: `import { randomUUID } from "node:crypto";
// scripts/esbuild-options.ts nodeCryptoUuid: Node's randomUUID, without loading Web Crypto for it.
export function bindV4() { return () => randomUUID(); }`,
      loader: "js",
    }));
  },
};

/**
 * esbuild plugin: an AWS SDK client's schemas (`dist-es/schemas/schemas_0.js`, one array per
 * structure of the whole service) name trait keys through module constants (`{ [_xN]: _AN }`, with
 * `const _xN = "xmlName"`). esbuild cannot prove a computed key free of side effects, so it kept
 * every structure of the service, used or not (SQS: ReceiveMessage, TagQueue, AddPermission...).
 * This writes those keys as the string literals the constants hold (the same object), so unused
 * structures are dropped like any unused constant (SQS schemas 9.2 -> 5.6 KB in the webhook).
 * Only constants declared as `const _x = "..."` in the file itself are replaced.
 */
export const literalSchemaTraitKeys: Plugin = {
  name: "literal-schema-trait-keys",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const strings = new Map([...source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)].map((m) => [m[1], m[2]]));
      return { contents: source.replace(/\[(_\w+)\]:/g, (key, name: string) => (strings.has(name) ? `${strings.get(name)}:` : key)), loader: "js" };
    });
  },
};

/**
 * esbuild plugin: each AWS SDK client's modeled error classes (`dist-es/models/errors.js`, every
 * error of the service, all kept because the schemas register them) written as calls of one class
 * factory that makes the same classes (scripts/bundle/compact-sdk-errors.ts): DynamoDB's 35 go
 * from ~9.5 to ~2.5 KB. A file that does not follow the generated pattern is bundled as it is.
 */
export const compactSdkErrors: Plugin = {
  name: "compact-sdk-errors",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]models[\\/]errors\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: compactSdkErrorClasses(source) ?? source, loader: "js" };
    });
  },
};

/**
 * One set of bundle options for `npm run build`, the benchmarks and serverless.yml.
 * - CJS output: measured here, an ESM `import` of node:http also loads the built-in fetch stack
 *   on cold start where `require` does not.
 * - DynamoDB is called through the service's own client (src/aws/dynamodb), not the SDK's; the
 *   SDK clients left (Secrets Manager) are bundled.
 * - The AWS SDK is bundled (using the runtime's copy made cold init 13-49 ms slower here).
 * - `module` first in mainFields: the default picked CJS builds that cost +140 KB and +24 ms.
 * - The SDK's default credential chain is replaced by an env-only provider
 *   ({@link envOnlyAwsCredentials}; `npm run bench` measures the effect), the SDK's event-stream
 *   support is left out ({@link noEventStreams}), each SDK client's package.json is cut to its
 *   name and version ({@link slimAwsSdkPackageJson}), the endpoint cache's LRU is a Map
 *   ({@link smallEndpointCacheLru}), the SDK's JavaScript hash fallbacks are left out
 *   ({@link noJsHashFallbacks}), the SDK's UUIDs come from `node:crypto` without Web Crypto
 *   ({@link nodeCryptoUuid}), unused SDK schema structures are
 *   dropped ({@link literalSchemaTraitKeys}), the SDK's error
 *   classes are made by one factory ({@link compactSdkErrors}), the SDK's adaptive retry mode is
 *   left out ({@link noAdaptiveRetry}), the SDK's NodeHttpHandler is left out for the handler every
 *   client is built with ({@link givenRequestHandlerOnly}), and the SDK's settings come from the
 *   environment alone ({@link noSharedConfigFilesOrImds}). test/integration/bundle runs the bundles so
 *   built against the local stack; test/unit/bundle holds them to the 400 KB budget.
 */
export const bundleOptions: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  minify: true,
  sourcemap: false,
  mainFields: ["module", "main"],
  legalComments: "none",
  logLevel: "warning",
  plugins: [
    envOnlyAwsCredentials,
    noEventStreams,
    slimAwsSdkPackageJson,
    smallEndpointCacheLru,
    givenRequestHandlerOnly,
    noSharedConfigFilesOrImds,
    noJsHashFallbacks,
    nodeCryptoUuid,
    literalSchemaTraitKeys,
    compactSdkErrors,
    noAdaptiveRetry,
  ],
};

/**
 * `@smithy/node-http-handler` as an AWS SDK client's runtime config imports it
 * (`NodeHttpHandler as RequestHandler, streamCollector`), for bundles whose clients are all built
 * with a request handler of their own: every SDK client of the service gets
 * src/aws/deadline-bound-http-handler.ts through `awsClientOptions()` (src/aws/client-options.ts),
 * which sends over our transport (src/http). The SDK's NodeHttpHandler was then ~7 KB of every
 * handler that never ran. `create` returns the given handler as the SDK's does; a client built
 * without one fails at construction with a message saying what to pass, instead of quietly
 * running without the invocation deadline. Bundled in its place (scripts/esbuild-options.ts
 * `givenRequestHandlerOnly`); test/unit/bundle/given-request-handler-only.test.ts compares it
 * with the SDK's.
 */
export { streamCollector } from "@smithy/core/serde";

export class NodeHttpHandler {
  static create(instanceOrOptions) {
    if (typeof instanceOrOptions?.handle === "function") return instanceOrOptions;
    throw new Error(
      "AWS SDK client without a request handler: this bundle has no NodeHttpHandler; build the client with awsClientOptions() (src/aws/client-options.ts), which sends over src/http with the invocation's deadline (scripts/esbuild-options.ts givenRequestHandlerOnly)",
    );
  }
  constructor() {
    NodeHttpHandler.create(undefined);
  }
}

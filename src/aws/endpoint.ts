import { ConfigurationError } from "../errors.ts";

/** Environment variables as the SDK reads them (`process.env`, or a test's own). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The endpoint configured for a service in the environment, as the SDK's `getEndpointFromConfig`
 * reads it: `AWS_ENDPOINT_URL_<SERVICE ID>` (the SDK's service id, upper case, spaces as `_`), then
 * `AWS_ENDPOINT_URL`; an empty value counts as unset; none at all when
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`. Undefined when none is configured (the
 * service's endpoint rules pick one from the region).
 *
 * @example
 * ```ts
 * configuredEndpoint("DynamoDB", { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:4567" }); // "http://127.0.0.1:4567"
 * ```
 */
export function configuredEndpoint(serviceId: string, env: Environment): string | undefined {
  if (endpointFlag(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", serviceId)) return undefined;
  return env[`AWS_ENDPOINT_URL_${serviceId.toUpperCase().replaceAll(" ", "_")}`] || env["AWS_ENDPOINT_URL"] || undefined;
}

/**
 * A boolean endpoint setting (`AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`) as the SDK
 * reads it: `true`, `false` or unset; anything else is a ConfigurationError naming the variable.
 *
 * @example
 * ```ts
 * endpointFlag(process.env, "AWS_USE_FIPS_ENDPOINT", "DynamoDB"); // false when unset
 * ```
 */
export function endpointFlag(env: Environment, name: string, serviceId: string): boolean {
  const value = env[name];
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ConfigurationError(`${serviceId} endpoint`, [{ field: name, rule: 'must be "true" or "false"' }]);
}

/**
 * A client's endpoint, worked out on its first call and kept: the one given, else `rules` applied
 * to the region given (else `AWS_REGION`) and the environment as they are at that first call (a
 * client built before the environment is complete still finds its endpoint; a bad setting fails
 * the call, not the construction).
 *
 * @example
 * ```ts
 * const endpointOf = resolvedOnce(options.endpoint, options.region, dynamoDbEndpoint);
 * await rpc.call(endpointOf(), "GetItem", input);
 * ```
 */
export function resolvedOnce(given: string | undefined, region: string | undefined, rules: (region: string | undefined, env: Environment) => string): () => string {
  let resolved = given;
  return () => (resolved ??= rules(region ?? process.env["AWS_REGION"], process.env));
}

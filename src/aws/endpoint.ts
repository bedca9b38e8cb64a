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

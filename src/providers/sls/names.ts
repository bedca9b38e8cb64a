/**
 * The SLS name and address rules (zod/mini), one definition for the client's checks and the
 * configuration (SLS_PROJECT, SLS_LOGSTORE, SLS_ENDPOINT, SLS_REGION, SLS_CONSUMER_GROUP_PREFIX).
 * Kept apart from the request schemas so what reads only the configuration stays small.
 */
import * as z from "zod/mini";

const ENDS_RULE = "must start and end with a lowercase letter or digit";

/** Names of 3-63 characters of a set that start and end with a lowercase letter or digit (every broken rule is reported). */
function boundedName(charset: RegExp, charsetRule: string) {
  return z.string().check(
    z.minLength(3, { message: "3-63 characters" }),
    z.maxLength(63, { message: "3-63 characters" }),
    z.regex(charset, { message: charsetRule }),
    z.regex(/^[a-z0-9]([\s\S]*[a-z0-9])?$/, { message: ENDS_RULE }),
  );
}

/** An SLS project name: 3-63 of `[a-z0-9-]`, alphanumeric at both ends (the client and SLS_PROJECT). */
export const slsProjectNameSchema = boundedName(/^[a-z0-9-]*$/, "only a-z, 0-9 and -");
/** An SLS logstore name: 3-63 of `[a-z0-9_-]`, alphanumeric at both ends (the client and SLS_LOGSTORE). */
export const slsLogstoreNameSchema = boundedName(/^[a-z0-9_-]*$/, "only a-z, 0-9, _ and -");

/** The consumer group name's characters (the whole name, or the configured prefix of one). */
export const consumerGroupNameCharset = z.regex(/^[0-9a-zA-Z_-]*$/, { message: "only A-Z, a-z, 0-9, _ and -" });
/** Endpoint host names: labels of letters, digits and hyphens (no scheme, no path). */
export const slsEndpointSchema = z.string().check(
  z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, {
    message: "a host name such as cn-shanghai.log.aliyuncs.com (no scheme, no path)",
  }),
);
/** A region id, as the v4 signature names it. */
export const slsRegionSchema = z.string().check(z.regex(/^[a-z0-9-]+$/, { message: "a region id such as cn-shanghai" }));

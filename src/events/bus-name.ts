/** The event bus name rule: one definition for the configuration (OUTCOME_EVENT_BUS_NAME) and the publisher. */
import * as z from "zod/mini";

/**
 * An EventBridge bus as PutEvents' `EventBusName` takes it: a name (1-256 of `A-Za-z0-9._-`) or
 * the bus's ARN.
 *
 * @example
 * ```ts
 * eventBusNameSchema.safeParse("tenant-outcomes").success; // true
 * ```
 */
export const eventBusNameSchema = z.string().check(
  z.regex(/^([A-Za-z0-9._-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._/-]{1,256})$/, { message: "an event bus name or ARN" }),
);

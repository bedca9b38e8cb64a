/** The SLS provider layer: signers, errors, validation and the consumer-group client. */
export * from "./constants.ts";
export * from "./canonical.ts";
export * from "./signing-v1.ts";
export * from "./signing-v4.ts";
export * from "./errors.ts";
export * from "./names.ts";
export * from "./validation.ts";
export type * from "./types.ts";
export * from "./client.ts";

export * from "./types.ts";
export * from "./errors.ts";
export * from "./clock.ts";
export * from "./request.ts";
export * from "./retry.ts";
export * from "./rate-limiter.ts";
export * from "./abort.ts";

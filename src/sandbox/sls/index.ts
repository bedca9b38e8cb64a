/** The local SLS sandbox: a strict stand-in for the consumer-group API with fault injection. */
export * from "./server.ts";
export * from "./verify.ts";
export * from "./store.ts";
export * from "./control.ts";
export * from "./rejection.ts";
export type * from "./types.ts";
export type { SandboxLogStore } from "./logstore-body.ts";

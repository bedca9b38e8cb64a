/** Outcome events: their shapes and the EventBridge publisher. */
export * from "./publisher.ts";
export * from "./types.ts";

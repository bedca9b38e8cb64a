/** Outcome events: their shapes and the EventBridge publisher. */
export * from "./publisher.ts";
export * from "./put-events.ts";
export * from "./types.ts";

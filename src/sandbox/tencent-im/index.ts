/** The local Tencent IM sandbox. */
export * from "./server.ts";
export * from "./types.ts";
export { IM_SANDBOX_CODES, ImRejection } from "./rejection.ts";
export { CONTROL_PATH_PREFIX } from "./control.ts";

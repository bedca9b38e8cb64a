/** The Tencent Cloud IM provider layer: UserSig, errors, validation, and the REST client. */
export * from "./client.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./group-id.ts";
export * from "./marker.ts";
export * from "./types.ts";
export * from "./usersig.ts";
export * from "./usersig-cache.ts";
export * from "./validation.ts";

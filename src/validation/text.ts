/** Rules of text fields shared by the schemas: limits in UTF-8 bytes (what the providers count). */
import * as z from "zod/mini";

/**
 * UTF-8 byte length of a string (provider limits count bytes, not characters).
 *
 * @example
 * ```ts
 * utf8Length("群"); // 3
 * ```
 */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/**
 * A string check: at most `max` UTF-8 bytes, reported as "at most N UTF-8 bytes" (or `message`).
 *
 * @example
 * ```ts
 * const name = z.string().check(z.minLength(1), maxUtf8Bytes(30));
 * ```
 */
export function maxUtf8Bytes(max: number, message = `at most ${max} UTF-8 bytes`): z.core.$ZodCheck<string> {
  return z.refine<string>((value) => utf8Length(value) <= max, { message });
}

/**
 * A string check: printable ASCII without spaces (0x21-0x7e), the ids this service makes up for
 * the providers (IM accounts, GroupId prefixes); the empty string passes (pair it with a length).
 *
 * @example
 * ```ts
 * const userId = z.string().check(z.minLength(1), printableAsciiWithoutSpaces);
 * ```
 */
export const printableAsciiWithoutSpaces: z.core.$ZodCheck<string> = z.regex(/^[\x21-\x7e]*$/, { message: "printable ASCII without spaces" });

/**
 * Rules of text a person reads (names, group texts): what may hide or disguise content, or break
 * the layout it is shown in, is refused. Each rule is its own issue, so the caller reads which
 * one broke. The provider (IM) has no such rule: it counts UTF-8 bytes and stores what it is
 * given. These are the service's own rules.
 */
import * as z from "zod/mini";

/** Control characters: the C0 set and DEL; multi-line texts keep their line feeds. */
const C0_CONTROLS = /[\u0000-\u001f\u007f]/;
const C0_CONTROLS_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f]/;
/** Lone UTF-16 surrogates: not text (IM would store them mangled). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** The bidirectional embeddings, overrides and isolates that reorder what a reader sees (Trojan Source). */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * The string checks of text a person reads (control characters, lone surrogates, bidi overrides
 * and isolates): what every stored request met, and what a stored request is read back under.
 *
 * @example
 * ```ts
 * const name = z.string().check(z.minLength(1), ...storedTextChecks({ lineFeeds: false }));
 * ```
 */
export function storedTextChecks(options: { lineFeeds: boolean }): z.core.$ZodCheck<string>[] {
  return [
    options.lineFeeds
      ? z.refine<string>((v) => !C0_CONTROLS_BUT_LF.test(v), { message: "no control characters (U+0000-U+001F, U+007F) except line feed" })
      : z.refine<string>((v) => !C0_CONTROLS.test(v), { message: "no control characters (U+0000-U+001F, U+007F)" }),
    z.refine<string>((v) => !LONE_SURROGATE.test(v), { message: "no lone UTF-16 surrogates (U+D800-U+DFFF unpaired)" }),
    z.refine<string>((v) => !BIDI_CONTROLS.test(v), { message: "no bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)" }),
  ];
}

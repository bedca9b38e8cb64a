/**
 * Rules of text a person reads (names, group texts): what may hide or disguise content, or break
 * the layout it is shown in, is refused. Two layers, because the rules grew stricter while
 * tenants were stored under the earlier ones:
 *
 * - {@link storedTextChecks}, the rule every stored request met (field checks of the schema);
 * - {@link newTextIssues}, the rules added on 2026-12-01, which only new requests must meet: a
 *   stored tenant is read back (re-driven, updated, offboarded) under the earlier rule.
 *
 * Each rule is its own issue, so the caller reads which one broke. The provider (IM) has no such
 * rule: it counts UTF-8 bytes and stores what it is given. These are the service's own rules.
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
 * The string checks of the earlier text rule (control characters, lone surrogates, bidi overrides
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

/*
 * The rules added on 2026-12-01, and why each is drawn where it is:
 * - C1 controls (U+0080-U+009F, the rest of Unicode's Cc): terminal escapes (U+009B is CSI) and
 *   NEL, never text a person typed.
 * - U+2028/U+2029 (Zl, Zp): a line break a single-line name shows, and one that some JSON
 *   consumers (JavaScript before ES2019, JSONP) cannot carry in a string. Multi-line texts have
 *   the line feed.
 * - The bidirectional marks (U+200E, U+200F, U+061C: the rest of Bidi_Control): invisible, and
 *   change where neighbouring punctuation and digits are shown, so a name renders unlike what is
 *   stored. Hebrew and Arabic letters need no mark: the bidi algorithm orders them by themselves.
 * - Invisible characters: every Default_Ignorable_Code_Point and every format character (Cf):
 *   zero-width space, word joiner, BOM, soft hyphen, Hangul fillers, tag characters (which hide
 *   ASCII), interlinear annotation (U+FFF9-U+FFFB), and the unassigned ones reserved for more of
 *   the same. Except what text needs: ZWJ and ZWNJ (Join_Control: emoji sequences, Indic scripts,
 *   Persian), the variation selectors (emoji presentation U+FE0F; Mongolian FVS), the Mongolian
 *   vowel separator U+180E, the tags of an emoji tag sequence (a subdivision flag: U+1F3F4, tags,
 *   cancel tag U+E007F), and the prepended concatenation marks (U+0600-U+0605 Arabic number
 *   signs and kin), which are format characters but visible.
 * - Noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF): reserved never to be text, like lone surrogates.
 * - A name shows at least one visible character: not only white space, invisible characters,
 *   combining marks without a base, or the Braille blank U+2800 (a known "empty name" trick).
 * Left allowed on purpose: private use (Co: a glyph, or a box, never nothing; Hong Kong names
 * were written with HKSCS private-use characters), and unassigned code points outside the
 * default-ignorable ranges (Cn: this runtime's Unicode may be older than the sender's, and a new
 * emoji is unassigned to it).
 */
const C1_CONTROLS = /[\u0080-\u009f]/;
const LINE_SEPARATORS = /[\u2028\u2029]/;
const BIDI_MARKS = /[\u061c\u200e\u200f]/;
const INVISIBLE =
  /(?![\p{Bidi_Control}\p{Join_Control}\p{Variation_Selector}\u180e\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Default_Ignorable_Code_Point}\p{Cf}]/u;
const EMOJI_TAG_SEQUENCES = /\u{1f3f4}[\u{e0020}-\u{e007e}]+\u{e007f}/gu;
const NONCHARACTERS = /\p{Noncharacter_Code_Point}/u;
const VISIBLE = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cs}\p{M}\u2800]/u;

/** The rules {@link newTextIssues} reports, word for word. */
export const NEW_TEXT_RULES = {
  c1: "no C1 control characters (U+0080-U+009F)",
  separators: "no line or paragraph separators (U+2028, U+2029)",
  bidiMarks: "no bidirectional marks (U+200E, U+200F, U+061C)",
  invisible: "no invisible format characters (such as U+200B, U+2060, U+FEFF, U+00AD, U+3164; ZWJ U+200D and ZWNJ U+200C are allowed)",
  noncharacters: "no Unicode noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every plane)",
  visible: "at least one visible character (not only spaces or invisible characters)",
} as const;

/**
 * The rules of 2026-12-01 that `text` breaks (see the comment above for each); a `name` must also
 * show a visible character. Empty when it meets them all. Plain code, not schemas: a tenant
 * schema applies them in one check (no schema built per field at load).
 *
 * @example
 * ```ts
 * newTextIssues("Acme\u200b", { name: true }); // [NEW_TEXT_RULES.invisible]
 * newTextIssues("👨\u200d👩\u200d👧", { name: true }); // []
 * ```
 */
export function newTextIssues(text: string, options: { name: boolean }): string[] {
  const issues: string[] = [];
  if (C1_CONTROLS.test(text)) issues.push(NEW_TEXT_RULES.c1);
  if (LINE_SEPARATORS.test(text)) issues.push(NEW_TEXT_RULES.separators);
  if (BIDI_MARKS.test(text)) issues.push(NEW_TEXT_RULES.bidiMarks);
  const withoutFlagTags = text.includes("\u{1f3f4}") ? text.replace(EMOJI_TAG_SEQUENCES, "\u{1f3f4}") : text;
  if (INVISIBLE.test(withoutFlagTags)) issues.push(NEW_TEXT_RULES.invisible);
  if (NONCHARACTERS.test(text)) issues.push(NEW_TEXT_RULES.noncharacters);
  // An empty name is already refused as empty.
  if (options.name && text !== "" && !VISIBLE.test(text)) issues.push(NEW_TEXT_RULES.visible);
  return issues;
}

/**
 * Rules of text a person reads (names, group texts): what may hide or disguise content, or break
 * the layout it is shown in, is refused. Two layers, both applied to every new request (signup
 * event, webhook, import, update):
 *
 * - {@link fieldTextChecks}, the rules of 2026-11-30 (zod checks on each text field);
 * - {@link newTextIssues}, the rules added on 2026-12-01 (plain code, one check over the request).
 *
 * Neither applies to a stored request read back (re-driven, updated, offboarded): some release
 * accepted it, and tenants were stored before any text rule existed, so it is read by its shape
 * alone (src/provisioning/tenant.ts `parseStoredTenantOnboarding`). And a new request whose only
 * refused texts are the ones already stored for its tenant (a resend, a queued copy, an update
 * that keeps the name) is accepted: the rules bind text that would be newly stored
 * (src/provisioning/stored-text.ts).
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

/** The rules {@link fieldTextChecks} reports, word for word; each issue adds ": U+XXXX at character N". */
const FIELD_TEXT_RULES = {
  controls: "no control characters (U+0000-U+001F, U+007F)",
  controlsButLf: "no control characters (U+0000-U+001F, U+007F) except line feed",
  surrogates: "no lone UTF-16 surrogates (U+D800-U+DFFF unpaired)",
  bidiControls: "no bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)",
} as const;

/**
 * The string checks of the text rule of 2026-11-30 (control characters, lone surrogates, bidi
 * overrides and isolates), as zod checks of one field; new requests only. Each issue names the
 * first code point that breaks it and where, as the rules of 2026-12-01 do: "no control
 * characters (U+0000-U+001F, U+007F): U+0009 at character 4" (the message is written only when
 * the check fails).
 *
 * With `trimmedName`, for a name its schema trims (the display name): the checks judge the text
 * trimmed (String.prototype.trim: white space, line ends, a BOM), as it is stored and sent to IM,
 * but count positions in the text as the sender wrote it ("   Ac\u200bme": character 6, not 3);
 * they judge it by the rules of 2026-12-01 too ({@link newTextIssues}, as a name), and the last
 * check trims it. In place of `z.trim()`, so the checks are as many.
 *
 * @example
 * ```ts
 * const name = z.string().check(z.minLength(1), ...fieldTextChecks({ lineFeeds: false }));
 * const displayName = z.string().check(...fieldTextChecks({ lineFeeds: false, trimmedName: true }), z.minLength(1));
 * ```
 */
export function fieldTextChecks(options: { lineFeeds: boolean; trimmedName?: boolean }): z.core.$ZodCheck<string>[] {
  const trimmed = options.trimmedName === true;
  const checks = [
    options.lineFeeds ? located(C0_CONTROLS_BUT_LF, FIELD_TEXT_RULES.controlsButLf, trimmed) : located(C0_CONTROLS, FIELD_TEXT_RULES.controls, trimmed),
    located(LONE_SURROGATE, FIELD_TEXT_RULES.surrogates, trimmed),
    located(BIDI_CONTROLS, FIELD_TEXT_RULES.bidiControls, trimmed),
  ];
  if (!trimmed) return checks;
  const judgeThenTrim = z.check<string>((payload) => {
    for (const message of newTextIssues(payload.value, { name: true, trimmed: true })) {
      payload.issues.push({ code: "custom", message, input: payload.value, continue: true });
    }
    payload.value = payload.value.trim();
  });
  return [...checks, judgeThenTrim];
}

/** How many UTF-16 units of `text` a trim drops at its start. */
const leadTrimmed = (text: string) => text.length - text.trimStart().length;

/**
 * A check that `pattern` is not in the text (or in the text trimmed); its issue is `rule` and
 * where the first match is in the text as written.
 */
function located(pattern: RegExp, rule: string, trimmed: boolean): z.core.$ZodCheck<string> {
  return z.refine<string>((v) => !pattern.test(trimmed ? v.trim() : v), {
    error: (issue) => {
      const text = typeof issue.input === "string" ? issue.input : "";
      const lead = trimmed ? leadTrimmed(text) : 0;
      const at = lead + (pattern.exec(trimmed ? text.trim() : text)?.index ?? 0);
      // Code points before it (a lone surrogate counts as one), as newTextIssues counts.
      return `${rule}: ${codePointName(text.slice(at))} at character ${Array.from(text.slice(0, at)).length + 1}`;
    },
  });
}

/*
 * The rules added on 2026-12-01, and why each is drawn where it is:
 * - C1 controls (U+0080-U+009F, the rest of Unicode's Cc): terminal escapes (U+009B is CSI) and
 *   NEL, never text a person typed.
 * - U+2028/U+2029 (Zl, Zp): a line break a single-line name shows, and one that some JSON
 *   consumers (JavaScript before ES2019, JSONP) cannot carry in a string. Multi-line texts have
 *   the line feed.
 * - The bidirectional marks (U+200E LRM, U+200F RLM, U+061C ALM) are allowed in a text that has a
 *   right-to-left letter, one at a time, at either end of the text or beside a neutral or weak
 *   character (white space, punctuation, a symbol, a digit), never between two letters. A mark is
 *   an invisible strong character: beside a neutral it decides on which side that punctuation,
 *   space or digit is shown, which is what real mixed Hebrew/Arabic-Latin names carry them for
 *   (`אקמי בע"מ\u200f (Acme)`, pasted from Windows and phones). Between two letters it reorders
 *   strong characters as the overrides do (Trojan Source): an RLM splits a Latin word in a
 *   right-to-left paragraph ("א Pal\u200fPay" shows "PayPal א"), an LRM splits a Hebrew word in a
 *   left-to-right one ("שלו\u200eם" shows its letters out of order). Left open: beside a neutral a
 *   mark still decides which side of it two words go ("Pal -\u200f Pay" in a right-to-left
 *   paragraph shows "Pay - Pal"), because that is the very thing a mark is used for. In a text
 *   without a right-to-left letter (Bidi_Class R or AL: letters of the blocks Unicode assigns
 *   right-to-left by default) there is nothing for them to place, only a line to flip (an RLM
 *   first shows "Acme!" as "!Acme") or a bit to hide; two in a row carry no more than one does.
 * - Invisible characters: every Default_Ignorable_Code_Point and every format character (Cf):
 *   zero-width space (but below), word joiner, BOM, soft hyphen, Hangul fillers, tag characters (which hide
 *   ASCII), interlinear annotation (U+FFF9-U+FFFB), and the unassigned ones reserved for more of
 *   the same. A BOM is refused at the start of a text too: it is not part of a name (a CSV import
 *   leaves it there), and the issue says where it is. The display name reaches these rules
 *   trimmed (String.prototype.trim drops a leading BOM with the spaces); the admin's name and the
 *   group texts are not trimmed by their schema, so there it is refused, not dropped.
 *   Except the prepended concatenation marks (U+0600-U+0605 Arabic number signs and kin), which
 *   are format characters but visible, and, each only where text needs it (below), the joiners,
 *   the variation selectors, the Mongolian vowel separator and the tags of a flag.
 * - The zero-width space U+200B only between two letters or marks of one of the scripts written
 *   without spaces between words (Thai, Lao, Khmer, Myanmar), one at a time: there it is the word
 *   separator input methods and word processors insert ("บริษัท\u200bไทย").
 * - Tags (U+E0020-U+E007F) only as one of the subdivision flags Unicode recommends (RGI: England,
 *   Scotland, Wales: U+1F3F4, the tags of "gbeng", "gbsct" or "gbwls", cancel tag U+E007F). A
 *   well-formed tag sequence that is not RGI (two region letters, one to four letters or digits)
 *   is shown as a plain black flag, its tags hidden (UTS #51): "🏴" + tags "ign" hides "ign".
 * - Variation selectors: one, directly after a character it can vary (never at the start, after a
 *   space, a mark, an invisible character or another selector: a run of them after an emoji hides
 *   a byte per selector). U+FE0E/U+FE0F (text or emoji presentation) after an Emoji character,
 *   and after a digit, "#" or "*" only when the keycap mark U+20E3 follows ("1\ufe0f\u20e3"; a
 *   plain digit's selector changes nothing). U+FE00-U+FE0D (standardized variation sequences)
 *   only after the kinds of base StandardizedVariants.txt lists, up to the highest selector it
 *   defines for them: CJK compatibility ideographs written as a unified ideograph with U+FE00-
 *   U+FE02; math symbols (Sm), the script letters (chancery and roundhand, U+FE00/U+FE01) and the
 *   slashed zero; Myanmar and Manichaean letter forms (U+FE00); Phags-pa shapes (U+FE00-U+FE02);
 *   Egyptian hieroglyph rotations (U+FE00-U+FE06). Never after other letters: "A\ufe00c\ufe01m"
 *   shows as "Acm" and hides 4 bits per letter. This is by kind of base, not the exact table
 *   (about 1,300 sequences, mostly CJK, too big to bundle): a selector the table does not list
 *   for that exact symbol or ideograph passes, one per base. The ideographic selectors
 *   U+E0100-U+E01EF after an ideograph, any of the 240: the registered collections of the IVD
 *   (Adobe-Japan1, Hanyo-Denshi, Moji_Joho, KRName, ...) are how Japanese family names are
 *   written exactly, and which selector a collection registers for which ideograph is a table of
 *   tens of thousands of sequences that grows with each IVD release; one per ideograph. The
 *   Mongolian free variation selectors (U+180B-U+180D, U+180F) after a Mongolian character.
 * - Joiners: ZWJ U+200D and ZWNJ U+200C change what is shown only in scripts that join or form
 *   conjuncts and in emoji sequences, and there only where they change a join or a conjunct:
 *   - the Brahmic scripts that form conjuncts with a virama (Devanagari, Bengali, Sinhala,
 *     Malayalam, Myanmar, Khmer, ...: every script with a virama, Canonical_Combining_Class 9,
 *     but Thai and Lao, whose phinthu and Pali virama form no conjunct and which do not join):
 *     directly after the virama (half form "क्‍ष", explicit virama "क्‌ष", Sinhala "ශ්‍රී",
 *     Malayalam's chillu written the old way "അവന്‍" ending a word), or ZWJ directly before it
 *     (Bengali ya-phala "র‍্য", Kannada and Telugu ra without its reph) (The Unicode Standard,
 *     chapter 12, "Rendering Behavior" of ZWJ and ZWNJ). "क\u200cख" has no virama to act on;
 *   - the main Arabic block (Arabic, Persian, Urdu, ...: U+0620-U+06FF, whose Joining_Type the
 *     code lists): ZWNJ between two letters (Persian "می‌خواهم", "کتاب‌ها"); also after alef, dal,
 *     reh, waw (R), where it breaks no join, because Persian editors and keyboards put it before
 *     every suffix ("کار‌ها") and refusing it would refuse names as typed; it stays one, between
 *     letters. ZWJ never between a dual-joining letter and a letter (they join anyway), but after
 *     one before punctuation or a space, where it shows the joining form (the Persian
 *     abbreviation "ه‍.ش"), or after a letter that does not join forward, before a letter;
 *   - the other cursive scripts (Arabic letters outside the main block, Syriac, Mongolian, N'Ko,
 *     Adlam, ...: Joining_Type not listed here) between two letters or marks of the script;
 *   - in an emoji ZWJ sequence ZWJ joins two pictographs, the first with its selector or skin
 *     tone ("👨‍👩‍👧", "🏳️‍🌈", "👩🏽‍💻"). Any two, not only the RGI sequences: that is how new
 *     sequences are formed and sent before a font has them (a vendor's, or next year's), and an
 *     unsupported one shows its emoji side by side, both visible.
 *   ZWNJ between two Latin letters is refused: in Latin, Greek, Cyrillic or CJK a joiner only
 *   steers an optional ligature, so "Ac\u200cme" shows as "Acme" and is a different name that
 *   looks the same (and a bit hidden per letter). Never at the start or end of a text (but the
 *   chillu), never two in a row.
 * - The Mongolian vowel separator U+180E only between two Mongolian characters (it narrows the gap
 *   before a final A or E); elsewhere it is a zero-width space.
 * - Combining marks need a base: none at the start of a text or of a line (a mark after a space is
 *   how a lone accent is written). And at most 8 on one base (the selectors and joiners not
 *   counted): real orthographies stack fewer (Vietnamese 2 in NFD "Nguyễn"; Thai 2-3; Hebrew
 *   with dagesh, shin dot, vowel, meteg and cantillation 5, about 6 at most in Biblical text;
 *   Myanmar medials, vowel and tone 4 "မွှေး"; Tibetan stacks 3 "བསྒྲུབས", "ཧཱུྃ"), and "Zalgo"
 *   text stacks dozens that run over the lines above and below. UAX #15's stream-safe limit (30) is a buffer bound for
 *   normalization, not a readable stack.
 * - Noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF): reserved never to be text, like lone surrogates.
 * - A name shows at least one visible character: not only white space, invisible characters,
 *   combining marks without a base, or the Braille blank U+2800 (a known "empty name" trick).
 * Each issue names the first code point that breaks the rule and where: "U+200B at character 5"
 * (counted in code points from 1, in the text as sent: the display name is judged trimmed, but
 * its positions count the spaces the sender put before it). Never the
 * text itself: it may be long, or not meant for a log.
 * Left allowed on purpose: private use (Co: a glyph, or a box, never nothing; Hong Kong names
 * were written with HKSCS private-use characters), and unassigned code points outside the
 * default-ignorable ranges (Cn: this runtime's Unicode may be older than the sender's, and a new
 * emoji is unassigned to it).
 */
const MAX_MARKS_PER_BASE = 8;
const ZWNJ = "\u200c";
const ZWJ = "\u200d";
const MVS = "\u180e";
const ZWSP = "\u200b";
const KEYCAP = "\u20e3";
const BLACK_FLAG = "\u{1f3f4}";
const CANCEL_TAG = 0xe007f;
/** The RGI subdivision flags (UTS #51): their tag letters. */
const RGI_FLAG_TAGS = new Set(["gbeng", "gbsct", "gbwls"]);
/**
 * The scripts whose joiners change what is shown, by Script_Extensions (an Arabic comma or a
 * Devanagari danda belongs to its script): the cursive ones (ArabicShaping.txt: Arabic, Syriac,
 * Mongolian, N'Ko, Mandaic, Manichaean, Psalter Pahlavi, Phags-pa, Hanifi Rohingya, Sogdian,
 * Adlam, Chorasmian, Old Uyghur: the first {@link CURSIVE_SCRIPTS}) and every script with a
 * virama (Canonical_Combining_Class 9: Devanagari to Sinhala, Tibetan, Myanmar, Khmer, and the
 * rest of the Brahmic family; not Thai and Lao, which neither join nor form conjuncts).
 * Short names, to keep the bundles small.
 */
const JOINING_SCRIPTS =
  "Arab Syrc Mong Nkoo Mand Mani Phlp Phag Rohg Sogd Adlm Chrs Ougr Deva Beng Guru Gujr Orya Taml Telu Knda Mlym Sinh Tibt Mymr Tglg Hano Khmr Lana Bali Sund Batk Sylo Saur Rjng Java Mtei Khar Brah Kthi Cakm Shrd Khoj Sind Gran Newa Tirh Sidd Modi Takr Ahom Dogr Diak Nand Zanb Soyo Bhks Gonm Gong Kawi Tutg Tfng";
/** How many of {@link JOINING_SCRIPTS} join cursively; the others form conjuncts with a virama. */
const CURSIVE_SCRIPTS = 13;
/**
 * The rules' regular expressions, built on the first text judged that is not plain (printable
 * ASCII, Latin-1 letters), not at load: building a \p{...} class costs instructions (the first
 * one loads ICU's property data), and most cold starts judge no such text (2026-12-01: the webhook
 * bundle's cold start took 4.1M instructions more with them built at load, and 2.2M more with
 * them as literals in this function: V8 checks a literal, classes and all, when it parses).
 */
let C1_CONTROLS: RegExp, LINE_SEPARATORS: RegExp, BIDI_MARKS: RegExp, INVISIBLE: RegExp, NONCHARACTERS: RegExp,
  VISIBLE: RegExp, RTL_LETTER: RegExp, MARK: RegExp, VARIATION_SELECTOR: RegExp, MARK_OR_MODIFIER: RegExp,
  WORD_END: RegExp, EMOJI: RegExp, EMOJI_PRESENTABLE: RegExp, IDEOGRAPH: RegExp, MONGOLIAN: RegExp, NEUTRAL: RegExp,
  VIRAMA: RegExp, ARABIC: RegExp, NOT_DUAL_JOINING: RegExp, WORD_SPACED: RegExp[], STANDARDIZED_BASES: [RegExp, number][];
/** A `u` expression from its source: not a literal, which V8 would check, building its classes, when it parses the module. */
const unicode = (source: string) => new RegExp(source, "u");
function buildPatterns(): void {
  C1_CONTROLS = /[\u0080-\u009f]/;
  LINE_SEPARATORS = /[\u2028\u2029]/;
  BIDI_MARKS = /[\u061c\u200e\u200f]/;
  /** The invisible characters refused everywhere: not those judged by where they stand, not the visible number signs. */
  INVISIBLE = unicode(String.raw`(?![\p{Bidi_Control}\p{Join_Control}\p{Variation_Selector}\u180e\u{e0020}-\u{e007f}\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Default_Ignorable_Code_Point}\p{Cf}]`);
  NONCHARACTERS = unicode(String.raw`\p{Noncharacter_Code_Point}`);
  VISIBLE = unicode(String.raw`[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cs}\p{M}\u2800]`);
  /** A letter of the blocks whose characters are right-to-left (Bidi_Class R or AL) by default. */
  RTL_LETTER = unicode(String.raw`(?=\p{L})[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]`);
  /** A combining mark (the variation selectors are Mn too: their rule is judged first). */
  MARK = unicode(String.raw`\p{M}`);
  VARIATION_SELECTOR = unicode(String.raw`\p{Variation_Selector}`);
  /** What a joiner follows back to its base: marks, a selector, a skin tone. */
  MARK_OR_MODIFIER = unicode(String.raw`[\p{M}\p{Emoji_Modifier}]`);
  /** What may follow the ZWJ of a chillu written the old way: the end of a word. */
  WORD_END = unicode(String.raw`[\p{White_Space}\p{P}]`);
  EMOJI = unicode(String.raw`\p{Extended_Pictographic}`);
  EMOJI_PRESENTABLE = unicode(String.raw`\p{Emoji}`);
  IDEOGRAPH = unicode(String.raw`\p{Ideographic}`);
  MONGOLIAN = unicode(String.raw`\p{scx=Mong}`);
  /** What a bidi mark may stand beside: a character whose direction it decides, not a letter. */
  NEUTRAL = unicode(String.raw`[\p{White_Space}\p{P}\p{S}\p{Nd}\p{No}]`);
  /** The viramas (Canonical_Combining_Class 9) of the conjunct-forming scripts; not Thai's and Lao's. */
  VIRAMA = unicode(String.raw`[\u094d\u09cd\u0a4d\u0acd\u0b4d\u0bcd\u0c4d\u0ccd\u0d3b\u0d3c\u0d4d\u0dca\u0f84\u1039\u103a\u1714\u1715\u1734\u17d2\u1a60\u1b44\u1baa\u1bab\u1bf2\u1bf3\u2d7f\ua806\ua82c\ua8c4\ua953\ua9c0\uaaf6\uabed\u{10a3f}\u{11046}\u{11070}\u{1107f}\u{110b9}\u{11133}\u{11134}\u{111c0}\u{11235}\u{112ea}\u{1134d}\u{113ce}-\u{113d0}\u{11442}\u{114c2}\u{115bf}\u{1163f}\u{116b6}\u{1172b}\u{11839}\u{1193d}\u{1193e}\u{119e0}\u{11a34}\u{11a47}\u{11a99}\u{11c3f}\u{11d44}\u{11d45}\u{11d97}\u{11f41}\u{11f42}]`);
  ARABIC = unicode(String.raw`\p{sc=Arab}`);
  /**
   * The letters of the main Arabic block (U+0620-U+06FF) that do not join the letter after them
   * (ArabicShaping.txt Joining_Type R or U: alef, dal, reh, waw and their kin, teh marbuta, hamza,
   * yeh barree, ae, ...); the block's other letters are dual-joining (D).
   */
  NOT_DUAL_JOINING = /[\u0621-\u0625\u0627\u0629\u062f-\u0632\u0648\u0671-\u0677\u0688-\u0699\u06c0\u06c3-\u06cb\u06cd\u06cf\u06d2\u06d3\u06d5\u06ee\u06ef\u06fd\u06fe]/;
  /** The scripts written without spaces between words, where U+200B is the word separator. */
  WORD_SPACED = ["Thai", "Laoo", "Khmr", "Mymr"].map((name) => new RegExp(`\\p{sc=${name}}`, "u"));
  /**
   * The bases of the standardized variation sequences (StandardizedVariants.txt) by script or
   * kind, with the highest selector (U+FE00 + n) Unicode defines after them.
   */
  STANDARDIZED_BASES = [
    [IDEOGRAPH, 2], // CJK compatibility ideographs as sequences: U+FE00-U+FE02 after a unified ideograph
    [unicode(String.raw`[\p{Sm}\u2100-\u214f\u{1d400}-\u{1d7ff}0]`), 1], // math symbols, script letters (chancery/roundhand), slashed zero
    [unicode(String.raw`[\p{sc=Mymr}\p{sc=Mani}]`), 0], // Myanmar and Manichaean letter forms
    [unicode(String.raw`\p{sc=Phag}`), 2], // Phags-pa mirrored and reversed shapes
    [unicode(String.raw`\p{sc=Egyp}`), 6], // Egyptian hieroglyph rotations
  ];
  built = true;
}
let built = false;
/** One expression per joining script, built on the first joiner judged. */
let joiningScripts: RegExp[] | undefined;
/** Below U+0300 only the C1 controls and the soft hyphen fall under these rules: the rest skips the tests. */
const PLAIN_BELOW = 0x0300;

/** The rules {@link newTextIssues} reports, word for word; each issue adds ": U+XXXX at character N". */
export const NEW_TEXT_RULES = {
  c1: "no C1 control characters (U+0080-U+009F)",
  separators: "no line or paragraph separators (U+2028, U+2029)",
  bidiMarks: "bidirectional marks (U+200E, U+200F, U+061C) only in right-to-left text, one at a time, not between two letters",
  invisible: "no invisible format characters (such as U+200B, U+2060, U+FEFF, U+00AD, U+3164, tags outside a flag)",
  joiners: "joiners (U+200C, U+200D, U+180E) only inside a word of a script that joins, or an emoji sequence",
  variationSelectors: "variation selectors only one, after a character it varies",
  marks: `combining marks only on a base character, at most ${MAX_MARKS_PER_BASE} on one`,
  noncharacters: "no Unicode noncharacters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every plane)",
  visible: "at least one visible character (not only spaces or invisible characters)",
} as const;
type NewTextRule = keyof typeof NEW_TEXT_RULES;

/** Every text rule's words ({@link fieldTextChecks} and {@link newTextIssues}), built on first use. */
let textRules: Set<string> | undefined;
/** How a text-rule issue ends: the code point that breaks the rule and where. */
const LOCATED_ISSUE = / U\+[0-9A-F]{4,6} at character [1-9][0-9]*$/;

/**
 * Whether an issue's rule is one of the text rules ({@link fieldTextChecks}, {@link newTextIssues}):
 * the rule's own words, then ": U+XXXX at character N". Recognised by those words (the rules write
 * each issue from one constant), so the messages stay as they were. Lets the core accept a request
 * whose only refused texts are the ones stored for its tenant (src/provisioning/stored-text.ts).
 *
 * @example
 * ```ts
 * isTextRuleIssue(`${NEW_TEXT_RULES.invisible}: U+200B at character 5`); // true
 * isTextRuleIssue("at most 30 UTF-8 bytes (IM group Name)"); // false
 * ```
 */
export function isTextRuleIssue(rule: string): boolean {
  const located = LOCATED_ISSUE.exec(rule);
  if (located === null || rule[located.index - 1] !== ":") return false;
  textRules ??= new Set([...Object.values(FIELD_TEXT_RULES), ...Object.values(NEW_TEXT_RULES)]);
  return textRules.has(rule.slice(0, located.index - 1));
}

/**
 * The rules of 2026-12-01 that `text` breaks (see the comment above for each), each naming the
 * first code point that breaks it and its position; a `name` must also show a visible character.
 * Empty when it meets them all. With `trimmed`, the text is judged trimmed (as a schema that
 * trims it stores it), positions still counted in the text as sent. Plain code, not schemas: a tenant schema applies them in one
 * check (no schema built per field at load).
 *
 * @example
 * ```ts
 * newTextIssues("Acme\u200b", { name: true }); // [`${NEW_TEXT_RULES.invisible}: U+200B at character 5`]
 * newTextIssues("👨\u200d👩\u200d👧", { name: true }); // []
 * ```
 */
export function newTextIssues(sent: string, options: { name: boolean; trimmed?: boolean }): string[] {
  const found = new Map<NewTextRule, string>();
  const text = options.trimmed === true ? sent.trim() : sent;
  // Positions count in the text as sent: past the code points a trim dropped before it.
  const lead = text === sent ? 0 : Array.from(sent.slice(0, leadTrimmed(sent))).length;
  const chars = Array.from(text);
  const report = (rule: NewTextRule, i: number) => {
    if (!found.has(rule)) found.set(rule, `${NEW_TEXT_RULES[rule]}: ${codePointName(chars[i] ?? "")} at character ${lead + i + 1}`);
  };
  let hasRtl: boolean | undefined;
  let marks = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    const cp = c.codePointAt(0) ?? 0;
    if (cp < PLAIN_BELOW && cp !== 0xad && (cp < 0x80 || cp > 0x9f)) {
      marks = 0;
      continue;
    }
    if (!built) buildPatterns();
    if (C1_CONTROLS.test(c)) report("c1", i);
    else if (LINE_SEPARATORS.test(c)) report("separators", i);
    else if (NONCHARACTERS.test(c)) report("noncharacters", i);
    else if (BIDI_MARKS.test(c)) {
      hasRtl ??= RTL_LETTER.test(text);
      if (!(hasRtl && bidiMarkFits(chars, i))) report("bidiMarks", i);
    } else if (c === ZWJ || c === ZWNJ) {
      if (!joinerFits(chars, i)) report("joiners", i);
      continue; // a joiner inside a conjunct does not end its base's marks
    } else if (c === MVS) {
      if (!(MONGOLIAN.test(chars[i - 1] ?? "") && MONGOLIAN.test(chars[i + 1] ?? ""))) report("joiners", i);
    } else if (c === BLACK_FLAG) {
      i += rgiFlagTags(chars, i);
    } else if (cp >= 0xe0020 && cp <= CANCEL_TAG) report("invisible", i);
    else if (c === ZWSP) {
      if (!WORD_SPACED.some((script) => script.test(chars[i - 1] ?? "") && script.test(chars[i + 1] ?? ""))) report("invisible", i);
    }
    else if (INVISIBLE.test(c)) report("invisible", i);
    else if (VARIATION_SELECTOR.test(c)) {
      if (!selectorFits(c, chars[i - 1] ?? "", chars[i + 1])) report("variationSelectors", i);
      continue; // the keycap's selector comes before its enclosing mark
    } else if (MARK.test(c)) {
      if (i === 0 || chars[i - 1] === "\n" || ++marks > MAX_MARKS_PER_BASE) report("marks", i);
      continue;
    }
    marks = 0;
  }
  const issues = (Object.keys(NEW_TEXT_RULES) as NewTextRule[]).flatMap((rule) => found.get(rule) ?? []);
  // An empty name is already refused as empty.
  if (options.name && text !== "" && !shows(text)) issues.push(NEW_TEXT_RULES.visible);
  return issues;
}

/** Whether `text` has a visible character; printable ASCII answers without building the expressions. */
function shows(text: string): boolean {
  if (/[!-~]/.test(text)) return true;
  if (!built) buildPatterns();
  return VISIBLE.test(text);
}

/** "U+200B": how an issue names a code point. */
function codePointName(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** How many tags (with the cancel tag) follow the black flag at `i` as an RGI subdivision flag; 0 if none do. */
function rgiFlagTags(chars: string[], i: number): number {
  let letters = "";
  for (let j = i + 1; j < chars.length && j <= i + 7; j++) {
    const cp = chars[j]?.codePointAt(0) ?? 0;
    if (cp === CANCEL_TAG) return RGI_FLAG_TAGS.has(letters) ? j - i : 0;
    if (cp < 0xe0020 || cp > 0xe007e) return 0;
    letters += String.fromCodePoint(cp - 0xe0000);
  }
  return 0;
}

/** Whether the bidi mark at `i` stands beside a neutral or weak character, or at an end (see the comment above). */
function bidiMarkFits(chars: string[], i: number): boolean {
  const after = chars[i + 1];
  if (i > 0 && BIDI_MARKS.test(chars[i - 1] ?? "")) return false; // two in a row
  // What the mark follows is a character with its marks, selector, keycap or skin tone ("❤️", "1️⃣").
  let b = i - 1;
  while (b > 0 && MARK_OR_MODIFIER.test(chars[b] ?? "")) b--;
  const before = chars[b];
  return before === undefined || after === undefined || NEUTRAL.test(before) || NEUTRAL.test(after);
}

/** Whether the variation selector `selector` may follow `before`, and precede `after` (see the comment above). */
function selectorFits(selector: string, before: string, after: string | undefined): boolean {
  if (!VISIBLE.test(before)) return false; // start, space, mark, invisible character, another selector
  const cp = selector.codePointAt(0) ?? 0;
  if (cp === 0xfe0e || cp === 0xfe0f) {
    // The digits, "#" and "*" are Emoji only as the base of a keycap.
    return EMOJI_PRESENTABLE.test(before) && (!/[0-9#*]/.test(before) || after === KEYCAP);
  }
  if (cp >= 0xe0100) return IDEOGRAPH.test(before);
  if (cp < 0xfe00) return MONGOLIAN.test(before);
  return STANDARDIZED_BASES.some(([bases, highest]) => cp - 0xfe00 <= highest && bases.test(before));
}

/** Whether the ZWJ or ZWNJ at `i` stands where a script or an emoji sequence uses it (see the comment above). */
function joinerFits(chars: string[], i: number): boolean {
  const before = chars[i - 1] ?? "";
  const after = chars[i + 1];
  if (!(VISIBLE.test(before) || MARK.test(before))) return false; // start, space, invisible character, joiner
  // The base the joiner follows: back over its marks, selector and skin tone.
  let b = i - 1;
  while (b > 0 && MARK_OR_MODIFIER.test(chars[b] ?? "")) b--;
  const base = chars[b] ?? "";
  if (EMOJI.test(base)) return chars[i] === ZWJ && after !== undefined && EMOJI.test(after);
  joiningScripts ??= JOINING_SCRIPTS.split(" ").map((name) => new RegExp(`\\p{scx=${name}}`, "u"));
  const index = joiningScripts.findIndex((s) => s.test(base));
  const script = joiningScripts[index];
  if (script === undefined) return false;
  const zwj = chars[i] === ZWJ;
  if (base >= "\u0620" && base <= "\u06ff" && ARABIC.test(base)) {
    // ZWNJ breaks a join; after a letter that joins no further it is what Persian typing puts
    // before a suffix, and allowed there too (between letters, one at a time). ZWJ
    // shows a join the letters would not make: never after such a letter before another letter
    // (they join anyway), but before punctuation ("ه‍.ش", a Persian abbreviation), or after a
    // letter that does not join forward.
    const dual = !NOT_DUAL_JOINING.test(base);
    if (after === undefined) return false;
    if (!zwj) return script.test(after);
    return dual ? WORD_END.test(after) : script.test(after) || MARK.test(after);
  }
  if (index >= CURSIVE_SCRIPTS) {
    // A conjunct's joiner stands after the virama (half form "क्‍ष", explicit virama "क्‌ष",
    // Malayalam's chillu the old way "അവന്‍" ending a word), or ZWJ before it (Bengali ya-phala "র‍্য").
    if (VIRAMA.test(before)) {
      if (after !== undefined && (script.test(after) || MARK.test(after))) return true;
      // ZWJ: Malayalam's chillu the old way; ZWNJ: the explicit virama ending a word, as Malayalam
      // and other Indic input methods type it ("ബാങ്ക്‌ ഓഫ്‌").
      return after === undefined || WORD_END.test(after);
    }
    return zwj && after !== undefined && VIRAMA.test(after) && script.test(after);
  }
  return after !== undefined && (script.test(after) || MARK.test(after));
}

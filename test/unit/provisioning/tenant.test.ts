import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { ensureGroupSpecSchema } from "../../../src/providers/tencent-im/validation.ts";
import { tenantMarker } from "../../../src/provisioning/constants.ts";
import { assertNotImAppAdmin, IM_APP_ADMIN_RULE, parseStoredTenantOnboarding, parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { schemaIssues } from "../../../src/validation/issues.ts";

const valid = {
  tenantId: "acme-42",
  displayName: "Acme Corp",
  admin: { userId: "alice", name: "Alice" },
  members: [{ userId: "bob", role: "Admin" }],
  requestedAt: "2026-11-23T08:00:00Z",
  source: "signup",
};

function issuesOf(input: unknown): { field: string; rule: string }[] {
  try {
    parseTenantOnboarding(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  throw new Error("expected a ValidationError");
}

describe("parseTenantOnboarding", () => {
  it("accepts a valid request and trims the display name", () => {
    const t = parseTenantOnboarding({ ...valid, displayName: "  Acme Corp " });
    expect(t.displayName).toBe("Acme Corp");
    expect(t.members).toEqual([{ userId: "bob", role: "Admin" }]);
  });

  it.each([
    ["", "tenantId"],
    ["-starts-with-dash", "tenantId"],
    ["has space", "tenantId"],
    ["a".repeat(37), "tenantId"],
    ["ünïcode", "tenantId"],
  ])("rejects tenant id %j naming the field", (tenantId, field) => {
    const issues = issuesOf({ ...valid, tenantId });
    expect(issues.map((i) => i.field)).toEqual([field]);
    expect(issues[0]?.rule).toMatch(/1-36 characters/);
  });

  it("counts the display name in UTF-8 bytes, not characters (IM Name ≤ 30 bytes)", () => {
    expect(() => parseTenantOnboarding({ ...valid, displayName: "中".repeat(10) })).not.toThrow(); // 30 bytes
    const issues = issuesOf({ ...valid, displayName: "中".repeat(11) }); // 33 bytes, 11 characters
    expect(issues).toEqual([{ field: "displayName", rule: "at most 30 UTF-8 bytes (IM group Name)" }]);
  });

  it("bounds the introduction so that, with the marker of the longest tenant id, IM still takes it", () => {
    const tenantId = "t".repeat(36);
    const longest = "é".repeat(99); // 198 UTF-8 bytes
    expect(parseTenantOnboarding({ ...valid, tenantId, imGroup: { introduction: longest } }).imGroup?.introduction).toBe(longest);
    expect(issuesOf({ ...valid, tenantId, imGroup: { introduction: `${longest}a` } })).toEqual([{ field: "imGroup.introduction", rule: "at most 198 UTF-8 bytes" }]);
    // The IM client's own rule (240 bytes with the marker appended) accepts exactly that longest one.
    const spec = { type: "Public", name: "Acme", groupId: `tenant-${tenantId}`, ownerAccount: "alice", marker: tenantMarker(tenantId) };
    expect(schemaIssues(ensureGroupSpecSchema, { ...spec, introduction: longest })).toEqual([]);
    expect(schemaIssues(ensureGroupSpecSchema, { ...spec, introduction: `${longest}a` }).map((i) => i.field)).toEqual(["introduction"]);
  });

  it("names every broken field at once, with nested paths", () => {
    const issues = issuesOf({
      tenantId: "ok",
      displayName: "",
      admin: { userId: "x".repeat(33) },
      members: [{ userId: "@TGS#bad" }],
      requestedAt: "yesterday",
      source: "fax",
      extra: true,
    });
    const fields = issues.map((i) => i.field).sort();
    expect(fields).toEqual(["admin.userId", "displayName", "extra", "members.0.userId", "requestedAt", "source"]);
    expect(issues.find((i) => i.field === "extra")?.rule).toBe("unknown field");
    expect(issues.find((i) => i.field === "source")?.rule).toMatch(/must be one of "signup"/);
  });

  it("reports a missing field as required", () => {
    const { admin: _admin, ...rest } = valid;
    expect(issuesOf(rest)).toEqual([{ field: "admin", rule: "required" }]);
  });

  it("rejects more than 99 members and duplicate member ids", () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ userId: `u${i}` }));
    expect(issuesOf({ ...valid, members: many })[0]?.field).toBe("members");
    const dup = issuesOf({ ...valid, members: [{ userId: "bob" }, { userId: "alice" }] });
    expect(dup).toEqual([{ field: "members.1.userId", rule: "must be unique and differ from admin.userId" }]);
  });

  it("finds a repeated member id among the members too, not only a member equal to the admin", () => {
    const dup = issuesOf({ ...valid, members: [{ userId: "bob" }, { userId: "carol" }, { userId: "bob" }] });
    expect(dup).toEqual([{ field: "members.2.userId", rule: "must be unique and differ from admin.userId" }]);
  });

  it("accepts a request without members (the admin alone)", () => {
    const { members: _, ...alone } = valid;
    expect(parseTenantOnboarding(alone).members).toBeUndefined();
  });

  it("refuses IM's reserved account prefix at the start of a user id, and only there", () => {
    expect(issuesOf({ ...valid, admin: { userId: "@TLS#admin" } })).toEqual([{ field: "admin.userId", rule: expect.stringMatching(/^must not start with @TLS#/) }]);
    expect(parseTenantOnboarding({ ...valid, admin: { userId: "admin@TLS#" } }).admin.userId).toBe("admin@TLS#");
  });

  it("says in its message that the tenant request was refused", () => {
    expect(() => parseTenantOnboarding({ ...valid, tenantId: "" })).toThrow(/^tenant: invalid input: /);
    expect(() => assertNotImAppAdmin({ admin: "administrator", members: [] }, "administrator")).toThrow(/^tenant: invalid input: /);
  });

  it("never echoes the rejected value in the message", () => {
    const secretish = "SeCrEt-VaLuE-9f8e7d";
    try {
      parseTenantOnboarding({ ...valid, tenantId: `${secretish} !`, displayName: 42 });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(secretish);
      expect((e as Error).message).toMatch(/tenantId: .*displayName: must be a string/);
      return;
    }
    throw new Error("expected a ValidationError");
  });

  describe("text a person reads refuses control characters, lone surrogates and bidi overrides", () => {
    const RULES = {
      control: /^no control characters/,
      surrogate: /^no lone UTF-16 surrogates/,
      bidi: /^no bidirectional override/,
      c1: /^no C1 control characters \(U\+0080-U\+009F\)/,
      separator: /^no line or paragraph separators \(U\+2028, U\+2029\)/,
      bidiMark: /^bidirectional marks \(U\+200E, U\+200F, U\+061C\) only in right-to-left text, one at a time/,
      invisible: /^no invisible format characters/,
      joiner: /^joiners \(U\+200C, U\+200D, U\+180E\) only inside a word of a script that joins/,
      selector: /^variation selectors only one/,
      mark: /^combining marks only on a base character, at most 8 on one/,
      noncharacter: /^no Unicode noncharacters/,
    };
    const cases: [string, string, keyof typeof RULES][] = [
      ["NUL", "Acme\u0000Corp", "control"],
      ["escape", "Acme\u001b[31mCorp", "control"],
      ["DEL", "Acme\u007fCorp", "control"],
      ["lone high surrogate", "Acme \ud83d Corp", "surrogate"],
      ["lone low surrogate", "\ude00 Acme", "surrogate"],
      ["right-to-left override", "Acme\u202egnp.exe", "bidi"],
      ["first strong isolate", "Acme\u2068Corp\u2069", "bidi"],
      // Since 2026-12-01 (new requests only; stored tenants keep reading: see parseStoredTenantOnboarding).
      ["C1 next line", "Acme\u0085Corp", "c1"],
      ["C1 control sequence introducer", "Acme\u009b31mCorp", "c1"],
      ["line separator", "Acme\u2028Corp", "separator"],
      ["paragraph separator", "Acme\u2029Corp", "separator"],
      ["left-to-right mark in Latin text", "Acme\u200eCorp", "bidiMark"],
      ["two right-to-left marks in a row", "שלום\u200f\u200f 42", "bidiMark"],
      ["Arabic letter mark without an Arabic letter", "Acme\u061c 42", "bidiMark"],
      ["zero-width space", "Acme\u200bCorp", "invisible"],
      ["word joiner", "Acme\u2060Corp", "invisible"],
      ["byte order mark inside the text", "Acme\ufeffCorp", "invisible"],
      ["soft hyphen", "Acme\u00adCorp", "invisible"],
      ["Hangul filler", "Acme\u3164Corp", "invisible"],
      ["interlinear annotation", "Acme\ufff9x\ufffay\ufffb", "invisible"],
      ["tag characters outside an emoji flag (hidden ASCII)", "Acme\u{e0041}\u{e0042}", "invisible"],
      ["an emoji flag's tags without their cancel tag", "\u{1f3f4}\u{e0067}\u{e0062}", "invisible"],
      // Found by the review of 2026-12-01 (notes/probe.md D2, D3): accepted by the first version of the rules.
      ["hidden ASCII after a black flag (not a subdivision flag)", "A\u{1f3f4}\u{e0069}\u{e0067}\u{e006e}\u{e007f}", "invisible"],
      ["variation selectors hiding bytes after an emoji", "Hi 😀\ufe0f\ufe0f\ufe0f", "selector"],
      ["ZWNJ between Latin letters (looks like Acme)", "Ac\u200cme", "joiner"],
      ["ZWJs after a letter", "A\u200d\u200d\u200d", "joiner"],
      ["Mongolian vowel separator between Latin letters", "Ac\u180eme", "joiner"],
      ["stacked combining marks (Zalgo)", `A${"\u0336".repeat(9)}`, "mark"],
      ["a combining mark with no base, first", "\u20dfAcme", "mark"],
      ["noncharacter", "Acme\ufffe", "noncharacter"],
      ["noncharacter of another plane", "Acme\u{1ffff}", "noncharacter"],
    ];
    const withText = (field: string, text: string) => {
      switch (field) {
        case "displayName":
          return { ...valid, displayName: text.slice(0, 30) };
        case "admin.name":
          return { ...valid, admin: { userId: "alice", name: text } };
        default:
          return { ...valid, imGroup: { [field.slice("imGroup.".length)]: text } };
      }
    };
    for (const field of ["displayName", "admin.name", "imGroup.introduction", "imGroup.notification"]) {
      it.each(cases)(`${field}: %s is refused, naming the field and the rule`, (_label, text, rule) => {
        const issues = issuesOf(withText(field, text));
        expect(issues.map((i) => i.field)).toEqual([field]);
        expect(issues[0]?.rule).toMatch(RULES[rule]);
      });
    }

    it("accepts emoji (paired surrogates), accents and RTL script; line feeds only in multi-line texts", () => {
      expect(parseTenantOnboarding({ ...valid, displayName: "Café 😀 שלום" }).displayName).toBe("Café 😀 שלום");
      expect(parseTenantOnboarding({ ...valid, imGroup: { introduction: "line 1\nline 2", notification: "a\nb" } }).imGroup?.introduction).toBe("line 1\nline 2");
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "two\nlines" } }).map((i) => i.field)).toEqual(["admin.name"]);
      expect(issuesOf({ ...valid, imGroup: { notification: "tab\there" } }).map((i) => i.field)).toEqual(["imGroup.notification"]);
    });
  });

  describe("a name must show something: at least one visible character", () => {
    const VISIBLE = "at least one visible character (not only spaces or invisible characters)";
    const invisible = expect.stringMatching(/^no invisible format characters/);

    it.each([
      ["zero-width space alone", "\u200b", [invisible, VISIBLE]],
      ["zero-width spaces between spaces (the trim leaves them)", " \u200b\u200b ", [invisible, VISIBLE]],
      ["Hangul filler alone", "\u3164", [invisible, VISIBLE]],
      ["Braille blank alone", "\u2800", [VISIBLE]],
      ["a combining mark without a base", "\u0301", [expect.stringMatching(/^combining marks only on a base character/), VISIBLE]],
    ])("displayName: %s is refused, naming the field and the rule", (_label, displayName, rules) => {
      expect(issuesOf({ ...valid, displayName })).toEqual(rules.map((rule) => ({ field: "displayName", rule })));
    });

    it("admin.name (the IM nick) too: spaces alone or a zero-width space alone are refused", () => {
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "   " } })).toEqual([{ field: "admin.name", rule: VISIBLE }]);
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "\u200b" } })).toEqual([
        { field: "admin.name", rule: invisible },
        { field: "admin.name", rule: VISIBLE },
      ]);
    });

    it("the group texts may stay empty (they are optional texts, not names)", () => {
      expect(parseTenantOnboarding({ ...valid, imGroup: { introduction: "", notification: "" } }).imGroup).toEqual({ introduction: "", notification: "" });
    });

    it("names the first offending code point and where it is, in every text field", () => {
      expect(issuesOf({ ...valid, displayName: "Acme\u200bCorp" })).toEqual([{ field: "displayName", rule: expect.stringMatching(/^no invisible format characters .*: U\+200B at character 5$/) }]);
      // The display name is judged trimmed (as stored and sent to IM), but the position is in the
      // text as sent, the spaces before it counted (probe2 M1: it said 5 and 3 here).
      expect(issuesOf({ ...valid, displayName: "  Acme\u200b" })[0]?.rule).toMatch(/: U\+200B at character 7$/);
      expect(issuesOf({ ...valid, displayName: "   Ac\u200bme" })[0]?.rule).toMatch(/: U\+200B at character 6$/);
      expect(issuesOf({ ...valid, displayName: "\u3000\ufeff Acme\u202e" })[0]?.rule).toMatch(/^no bidirectional override .*: U\+202E at character 8$/);
      // Judged trimmed still: the spaces and a leading BOM a trim drops are no issue.
      expect(parseTenantOnboarding({ ...valid, displayName: "\ufeff  Acme \n" }).displayName).toBe("Acme");
      // A BOM a CSV import left before the admin's name: not trimmed there, and now findable.
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "\ufeffBob" } })).toEqual([
        { field: "admin.name", rule: expect.stringMatching(/^no invisible format characters .*: U\+FEFF at character 1$/) },
      ]);
      expect(issuesOf({ ...valid, imGroup: { notification: "line 1\nline\u200c 2" } })[0]?.rule).toMatch(/^joiners .*: U\+200C at character 12$/);
    });

    it("the rules of 2026-11-30 name the code point and where it is too (probe2 M1)", () => {
      expect(issuesOf({ ...valid, displayName: "Acme\u202eCorp" })).toEqual([
        { field: "displayName", rule: "no bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069): U+202E at character 5" },
      ]);
      expect(issuesOf({ ...valid, imGroup: { notification: "tab\there" } })).toEqual([
        { field: "imGroup.notification", rule: "no control characters (U+0000-U+001F, U+007F) except line feed: U+0009 at character 4" },
      ]);
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "Acme \ud83d Corp" } })).toEqual([
        { field: "admin.name", rule: "no lone UTF-16 surrogates (U+D800-U+DFFF unpaired): U+D83D at character 6" },
      ]);
      // Counted in code points: the emoji before the lone low surrogate is one character.
      expect(issuesOf({ ...valid, imGroup: { introduction: "😀\ude00" } })[0]?.rule).toMatch(/: U\+DE00 at character 2$/);
      expect(issuesOf({ ...valid, admin: { userId: "alice", name: "a\u0000b\u0001" } })[0]?.rule).toBe("no control characters (U+0000-U+001F, U+007F): U+0000 at character 2");
    });

    it("reports the new text rules together with the other broken fields", () => {
      const issues = issuesOf({ ...valid, tenantId: "bad id!", displayName: "Acme\u200b", admin: { userId: "alice", name: 42 } });
      expect(issues.map((i) => i.field).sort()).toEqual(["admin.name", "displayName", "tenantId"]);
    });
  });

  describe("legitimate text passes", () => {
    it.each([
      ["an emoji ZWJ sequence (family)", "👨\u200d👩\u200d👧 家族"],
      ["an emoji with its presentation selector (U+FE0F)", "I ❤\ufe0f Acme"],
      ["a skin-tone modifier", "👍🏽 Team"],
      ["a subdivision flag (emoji tag sequence)", "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}"],
      ["Persian with ZWNJ", "می\u200cخواهم"],
      ["Devanagari with ZWJ", "क्\u200dष टीम"],
      ["Malayalam chillu written with ZWJ", "അവന്\u200d"],
      ["Sinhala with ZWJ", "ශ්\u200dරී"],
      ["the rainbow flag (VS16 before the ZWJ)", "🏳\ufe0f\u200d🌈"],
      ["the flag of Wales", "🏴\u{e0067}\u{e0062}\u{e0077}\u{e006c}\u{e0073}\u{e007f}"],
      ["a Hebrew company name with an RLM before the Latin part", 'אקמי בע"מ\u200f (Acme)'],
      ["Arabic with an Arabic letter mark", "مرحبا\u061c 42"],
      ["Vietnamese, decomposed (two marks on one letter)", "Nguye\u0302\u0303n"],
      ["Hebrew with niqqud and cantillation", "שּׁ\u05b8\u05a3לוֹם"],
      ["a combining accent", "Cafe\u0301"],
      ["CJK and an ideographic space", "腾讯\u3000云"],
      ["Arabic and Hebrew letters", "مرحبا שלום"],
      ["Mongolian with its vowel separator and a variation selector", "ᠨᠠ\u180eᠠ ᠭ\u180b"],
      ["an Arabic number sign (a visible format character)", "\u0600١٢٣ عدد"],
      ["private use (a glyph the sender's fonts define)", "Acme \ue000"],
    ])("%s", (_label, text) => {
      expect(parseTenantOnboarding({ ...valid, displayName: text }).displayName).toBe(text);
      expect(parseTenantOnboarding({ ...valid, admin: { userId: "alice", name: text } }).admin.name).toBe(text);
      const imGroup = { introduction: `${text}\nline 2`, notification: `${text}\nline 2` };
      expect(parseTenantOnboarding({ ...valid, imGroup }).imGroup).toEqual(imGroup);
    });
  });

  describe("parseStoredTenantOnboarding: requests stored by earlier releases", () => {
    it.each([
      ["zero-width space", "Acme\u200bCorp"],
      ["zero-width space alone", "\u200b"],
      ["left-to-right mark in Latin text", "Acme\u200e 42"],
      ["line separator", "Acme\u2028Corp"],
      ["C1 control", "Acme\u0085Corp"],
      ["byte order mark", "Acme\ufeffCorp"],
      ["noncharacter", "Acme\ufffe"],
    ])("reads %s in every text field, as the earlier rule let it be stored", (_label, text) => {
      const stored = { ...valid, displayName: text, admin: { userId: "alice", name: text }, imGroup: { introduction: text, notification: text } };
      expect(parseStoredTenantOnboarding(stored)).toMatchObject({ displayName: text, admin: { name: text }, imGroup: { introduction: text, notification: text } });
      expect(() => parseTenantOnboarding(stored)).toThrow(ValidationError);
    });

    // Snapshots were stored from 2026-11-23 with no text rule at all (the first came 2026-11-30
    // 14:14 UTC), and the introduction limit shrank when the marker was appended: a stored request
    // is read by its shape, never by a text, byte, format or id rule.
    it.each([
      ["a CRLF introduction (an HTML textarea's line breaks)", { imGroup: { introduction: "Line one\r\nLine two" } }],
      ["a tab and a NUL in the display name", { displayName: "Acme\tCorp\u0000" }],
      ["a bidi override", { displayName: "Acme\u202e", admin: { userId: "alice", name: "\u202e" } }],
      ["a lone surrogate", { imGroup: { notification: "x\ud800" } }],
      ["an introduction over today's limit", { imGroup: { introduction: "x".repeat(240) } }],
      ["an empty name and a blank one", { displayName: "", admin: { userId: "alice", name: " " } }],
      ["a face URL that is no URL", { imGroup: { faceUrl: "not a url" } }],
      ["a user id with a space, a duplicate member", { admin: { userId: "al ice" }, members: [{ userId: "bob" }, { userId: "bob" }] }],
      ["a consumer group timeout out of range", { consumerGroup: { timeout: 0 } }],
    ])("reads %s, as an earlier release could store it", (_label, changes) => {
      const stored = { ...valid, ...changes };
      expect(parseStoredTenantOnboarding(stored)).toEqual(stored);
      expect(() => parseTenantOnboarding(stored)).toThrow(ValidationError);
    });

    it.each([
      ["a field no release knows", { legacyField: 1 }, [{ field: "legacyField", rule: "unknown field" }]],
      ["a text of the wrong type", { displayName: 42 }, [{ field: "displayName", rule: "must be a string" }]],
      ["a missing owner", { admin: undefined }, [{ field: "admin", rule: "required" }]],
      ["a source no release wrote", { source: "email" }, [{ field: "source", rule: expect.stringContaining("one of") }]],
    ])("refuses %s: no release stored it (ValidationError naming the field and the rule)", (_label, changes, issues) => {
      try {
        parseStoredTenantOnboarding({ ...valid, ...changes });
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues).toEqual(issues);
        return;
      }
      throw new Error("expected a ValidationError");
    });
  });

  describe("assertNotImAppAdmin", () => {
    it("names admin.userId or members.N.userId when it is the IM app admin account", () => {
      expect(() => assertNotImAppAdmin({ admin: "alice", members: ["bob"] }, "administrator")).not.toThrow();
      for (const [ids, fields] of [
        [{ admin: "administrator", members: [] }, ["admin.userId"]],
        [{ admin: "alice", members: ["bob", "administrator"] }, ["members.1.userId"]],
      ] as const) {
        try {
          assertNotImAppAdmin(ids, "administrator");
          throw new Error("expected a ValidationError");
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
          expect((e as ValidationError).issues).toEqual(fields.map((field) => ({ field, rule: IM_APP_ADMIN_RULE })));
        }
      }
    });

    it("refuses the account it is given each time, not one it was given before (its schema is kept per identifier)", () => {
      expect(() => assertNotImAppAdmin({ admin: "admin-a", members: [] }, "admin-a")).toThrow(ValidationError);
      expect(() => assertNotImAppAdmin({ admin: "admin-a", members: [] }, "admin-b")).not.toThrow();
      expect(() => assertNotImAppAdmin({ admin: "alice", members: ["admin-b"] }, "admin-b")).toThrow(ValidationError);
      expect(() => assertNotImAppAdmin({ admin: "admin-b", members: [] }, "admin-a")).not.toThrow();
      expect(() => assertNotImAppAdmin({ admin: "admin-a", members: [] }, "admin-a")).toThrow(ValidationError);
    });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { loadConfig } from "../../../src/config/config.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { parseTenantOnboarding } from "../../../src/provisioning/tenant.ts";
import { zodIssuesToValidationIssues } from "../../../src/validation/zod-issues.ts";
import { MINIMAL_SERVICE_ENV } from "../../support/service-env.ts";

const env = MINIMAL_SERVICE_ENV;

function issuesOf(schema: z.ZodMiniType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : zodIssuesToValidationIssues(result.error.issues, input);
}

describe("zodIssuesToValidationIssues: a missing value is 'required', whatever the schema", () => {
  it("a missing IM_DOMAIN (an enum) says required, not 'must be one of'", () => {
    const { IM_DOMAIN: _omitted, ...withoutDomain } = env;
    expect(() => loadConfig(withoutDomain)).toThrow(ConfigurationError);
    expect(() => loadConfig(withoutDomain)).toThrow(/IM_DOMAIN: required/);
    expect(() => loadConfig({ ...env, IM_DOMAIN: "example.com" })).toThrow(/IM_DOMAIN: must be one of/);
  });

  it.each([
    ["enum", z.strictObject({ a: z.enum(["x", "y"]) })],
    ["literal", z.strictObject({ a: z.literal("x") })],
    ["string", z.strictObject({ a: z.string() })],
    ["checked string", z.strictObject({ a: z.string().check(z.minLength(3)) })],
    ["union", z.strictObject({ a: z.union([z.string(), z.number()]) })],
    ["nested", z.strictObject({ a: z.strictObject({ b: z.enum(["x"]) }) })],
  ])("%s", (_label, schema) => {
    expect(issuesOf(schema, {})).toEqual([{ field: "a", rule: "required" }]);
    expect(issuesOf(schema, { a: [] })).not.toContainEqual({ field: "a", rule: "required" });
  });
});

describe("zodIssuesToValidationIssues: a rule the schema raised itself keeps its words", () => {
  it("a cross-field rule at a path that holds nothing is not 'required'", () => {
    const schema = z.object({ a: z.optional(z.string()) }).check(
      z.superRefine((v, ctx) => {
        if (v.a === undefined) ctx.addIssue({ code: "custom", path: ["changes"], message: "at least one change" });
      }),
    );
    expect(issuesOf(schema, {})).toEqual([{ field: "changes", rule: "at least one change" }]);
    expect(issuesOf(schema, { a: 1 })).toEqual([{ field: "a", rule: "must be a string" }]);
  });
});

describe("zodIssuesToValidationIssues never puts a value in a rule", () => {
  // A marker inside every value: if any rule quoted the input, the marker would show. (Key
  // names are reported, as "unknown field": they are the schema's vocabulary, not values.)
  const marked = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `QX${s}QX`);
  const anyValue = fc.oneof(
    marked,
    fc.array(marked, { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("userId", "name", "extra", "0"), marked, { maxKeys: 3 }),
    fc.constant(undefined),
  );

  it("tenant onboarding bodies with random values", () => {
    fc.assert(
      fc.property(
        fc.record({ tenantId: anyValue, displayName: anyValue, admin: anyValue, members: anyValue, groupType: anyValue }, { requiredKeys: [] }),
        (body) => {
          let message = "";
          try {
            parseTenantOnboarding(body);
          } catch (error) {
            message = JSON.stringify(error) + String(error);
          }
          expect(message).not.toContain("QX");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("environments with random values", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...Object.keys(env), "SLS_SIGNATURE_VERSION", "SLS_CONSUMER_GROUP_TIMEOUT", "IM_GROUP_TYPE"), marked),
        (overrides) => {
          let message = "";
          try {
            loadConfig({ ...env, ...overrides });
          } catch (error) {
            message = JSON.stringify(error) + String(error);
          }
          expect(message).not.toContain("QX");
        },
      ),
      { numRuns: 300 },
    );
  });
});

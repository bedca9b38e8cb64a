import { describe, expect, it } from "vitest";
import {
  imCredentialsSchema,
  isStandardWebhookSecret,
  slsCredentialsSchema,
  webhookSecretsSchema,
} from "../../../src/credentials/index.ts";
import { zodIssuesToValidationIssues } from "../../../src/validation/zod-issues.ts";
import type * as z from "zod/mini";

/** Parses and returns the `{ field, rule }` pairs the loader would report. */
function problems(schema: z.ZodMiniType<unknown>, input: unknown): { field: string; rule: string }[] {
  const result = schema.safeParse(input);
  return result.success ? [] : zodIssuesToValidationIssues(result.error.issues, input);
}

const key = (bytes: number): string => `whsec_${Buffer.alloc(bytes, 0xab).toString("base64")}`;

describe("SLS credentials schema", () => {
  it("says which fields are missing and which have the wrong type", () => {
    expect(problems(slsCredentialsSchema, { accessKeySecret: 5, securityToken: null })).toEqual([
      { field: "accessKeyId", rule: "required" },
      { field: "accessKeySecret", rule: "must be a string" },
      { field: "securityToken", rule: "must be a string" },
    ]);
  });

  it("rejects empty values and a pasted trailing newline", () => {
    expect(problems(slsCredentialsSchema, { accessKeyId: "", accessKeySecret: "secret\n" })).toEqual([
      { field: "accessKeyId", rule: "must not be empty" },
      { field: "accessKeySecret", rule: "must not start or end with whitespace" },
    ]);
  });

  it("names the root when the JSON is not an object", () => {
    expect(problems(slsCredentialsSchema, ["a"])).toEqual([{ field: "", rule: "must be an object" }]);
  });
});

describe("IM credentials schema", () => {
  it.each([
    [1400000000, 1400000000],
    ["1400000000", 1400000000],
  ])("accepts sdkAppId %j as the number %d", (sdkAppId, expected) => {
    expect(imCredentialsSchema.parse({ sdkAppId, secretKey: "k", adminIdentifier: "admin" }).sdkAppId).toBe(expected);
  });

  it.each([
    [0, "must be > 0"],
    ["0", "must be > 0"],
    [-3, "must be > 0"],
    [1.5, "must be an integer"],
    ["14e8", "must be a positive integer or a string of digits"],
    ["", "must be a positive integer or a string of digits"],
    [true, "must be a number or a string"],
    ["99999999999999999999", "must be <= 9007199254740991"],
  ])("rejects sdkAppId %j: %s", (sdkAppId, rule) => {
    expect(problems(imCredentialsSchema, { sdkAppId, secretKey: "k", adminIdentifier: "admin" })).toEqual([
      { field: "sdkAppId", rule },
    ]);
  });
});

describe("webhook secrets schema", () => {
  it("accepts one or more Standard Webhooks secrets", () => {
    expect(webhookSecretsSchema.parse({ secrets: [key(32), key(24)] })).toEqual({ secrets: [key(32), key(24)] });
  });

  it("needs at least one secret", () => {
    expect(problems(webhookSecretsSchema, { secrets: [] })).toEqual([{ field: "secrets", rule: "must have at least 1 item(s)" }]);
  });

  it.each([
    ["a 24-byte key", key(24), true],
    ["a 23-byte key", key(23), false],
    ["no prefix", Buffer.alloc(32).toString("base64"), false],
    ["a wrong-case prefix", key(32).replace("whsec_", "WHSEC_"), false],
    ["base64url characters", `whsec_${"-_".repeat(16)}`, false],
    ["missing padding", key(25).replace(/=+$/, ""), false],
    ["an empty key", "whsec_", false],
  ])("isStandardWebhookSecret: %s -> %s", (_label, value, valid) => {
    expect(isStandardWebhookSecret(value)).toBe(valid);
  });
});

describe("zodIssuesToValidationIssues never repeats the value", () => {
  const sentinel = "SENTINEL-c0ffee";
  it.each([
    ["sls", slsCredentialsSchema, { accessKeyId: ` ${sentinel}`, accessKeySecret: [sentinel] }],
    ["im", imCredentialsSchema, { sdkAppId: sentinel, secretKey: { sentinel }, adminIdentifier: 7 }],
    ["webhook", webhookSecretsSchema, { secrets: [sentinel, `whsec_${sentinel}`] }],
    ["webhook, not a list", webhookSecretsSchema, { secrets: sentinel }],
  ])("%s", (_label, schema, input) => {
    const found = problems(schema as z.ZodMiniType<unknown>, input);
    expect(found.length).toBeGreaterThan(0);
    expect(JSON.stringify(found)).not.toContain("c0ffee");
  });
});

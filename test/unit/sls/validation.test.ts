import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { createSlsClient } from "../../../src/providers/sls/client.ts";
import {
  consumerGroupNameSchema,
  consumerGroupSchema,
  consumerGroupUpdateSchema,
} from "../../../src/providers/sls/validation.ts";
import { slsLogstoreNameSchema, slsProjectNameSchema } from "../../../src/providers/sls/names.ts";
import { schemaIssues } from "../../../src/validation/issues.ts";

const projectNameIssues = (value: unknown) => schemaIssues(slsProjectNameSchema, value, "project");
const logstoreNameIssues = (value: unknown) => schemaIssues(slsLogstoreNameSchema, value, "logstore");
const consumerGroupNameIssues = (value: unknown) => schemaIssues(consumerGroupNameSchema, value, "name");
const consumerGroupSettingsIssues = (settings: object, partial = false) =>
  schemaIssues(partial ? consumerGroupUpdateSchema : consumerGroupSchema, { name: "g", ...settings });
import { staticCredentials } from "../../../src/credentials/types.ts";

describe("project names", () => {
  it.each(["abc", "my-project", "a1-2b", "a".repeat(63)])("accepts %s", (name) => {
    expect(projectNameIssues(name)).toEqual([]);
  });
  it.each([
    ["ab", "3-63 characters"],
    ["a".repeat(64), "3-63 characters"],
    ["my_project", "only a-z, 0-9 and -"],
    ["My-project", "only a-z, 0-9 and -"],
    ["-project", "must start and end with a lowercase letter or digit"],
    ["project-", "must start and end with a lowercase letter or digit"],
  ])("rejects %s: %s", (name, rule) => {
    expect(projectNameIssues(name)).toContainEqual({ field: "project", rule });
  });
  it("names the type rule for a non-string", () => {
    expect(projectNameIssues(42)).toEqual([{ field: "project", rule: "must be a string" }]);
  });
});

describe("logstore names", () => {
  it.each(["abc", "my_logstore", "my-logstore-1"])("accepts %s", (name) => {
    expect(logstoreNameIssues(name)).toEqual([]);
  });
  it.each([
    ["ab", "3-63 characters"],
    ["my.logstore", "only a-z, 0-9, _ and -"],
    ["_logstore", "must start and end with a lowercase letter or digit"],
  ])("rejects %s: %s", (name, rule) => {
    expect(logstoreNameIssues(name)).toContainEqual({ field: "logstore", rule });
  });
});

describe("consumer group names", () => {
  it.each(["g", "Tenant_42-a", "x".repeat(128)])("accepts %s", (name) => {
    expect(consumerGroupNameIssues(name)).toEqual([]);
  });
  it.each([
    ["", "1-128 characters"],
    ["x".repeat(129), "1-128 characters"],
    ["tenant 42", "only A-Z, a-z, 0-9, _ and -"],
    ["tenant/42", "only A-Z, a-z, 0-9, _ and -"],
  ])("rejects %j: %s", (name, rule) => {
    expect(consumerGroupNameIssues(name)).toContainEqual({ field: "name", rule });
  });
});

describe("consumer group settings", () => {
  it("accepts the bounds", () => {
    expect(consumerGroupSettingsIssues({ timeout: 1, order: true })).toEqual([]);
    expect(consumerGroupSettingsIssues({ timeout: 86_400, order: false })).toEqual([]);
  });
  it.each([
    [{ timeout: 0, order: true }, { field: "timeout", rule: "at least 1 second" }],
    [{ timeout: 86_401, order: true }, { field: "timeout", rule: "at most 86400 seconds" }],
    [{ timeout: 1.5, order: true }, { field: "timeout", rule: "must be an integer number of seconds" }],
    [{ timeout: "60", order: true }, { field: "timeout", rule: "must be an integer number of seconds" }],
    [{ timeout: 60, order: "yes" }, { field: "order", rule: "must be a boolean" }],
    [{ order: true }, { field: "timeout", rule: "required" }],
    [{ timeout: 60 }, { field: "order", rule: "required" }],
  ])("rejects %j", (settings, issue) => {
    expect(consumerGroupSettingsIssues(settings)).toContainEqual(issue);
  });
  it("lets absent fields pass when partial", () => {
    expect(consumerGroupSettingsIssues({ order: true }, true)).toEqual([]);
  });
  it("an update needs at least one setting", () => {
    expect(consumerGroupSettingsIssues({}, true)).toEqual([{ field: "settings", rule: "at least one of timeout, order" }]);
    expect(consumerGroupSettingsIssues({ timeout: 60 }, true)).toEqual([]);
  });
});

describe("client options", () => {
  const valid = {
    endpoint: "cn-shanghai.log.aliyuncs.com",
    project: "my-project",
    logstore: "my-logstore",
    credentials: staticCredentials({ accessKeyId: "id", accessKeySecret: "secret" }),
    signature: { version: "v1" as const },
  };

  it("names every broken option at once", () => {
    let caught: unknown;
    try {
      createSlsClient({ ...valid, project: "P", endpoint: "https://cn-shanghai.log.aliyuncs.com", connectTo: "ftp://x" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const fields = (caught as ValidationError).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(["project", "endpoint", "connectTo"]));
  });

  it.each([
    ["an endpoint with a scheme", { endpoint: "https://cn-shanghai.log.aliyuncs.com" }, "endpoint", "a host name such as cn-shanghai.log.aliyuncs.com (no scheme, no path)"],
    ["an endpoint label ending in a hyphen", { endpoint: "cn-shanghai-.log.aliyuncs.com" }, "endpoint", "a host name such as cn-shanghai.log.aliyuncs.com (no scheme, no path)"],
    ["a connectTo that is not http(s)", { connectTo: "ftp://x" }, "connectTo", "an http: or https: URL"],
    ["a zero attempt timeout", { attemptTimeoutMs: 0 }, "attemptTimeoutMs", "must be > 0"],
    ["a v4 region with capitals", { signature: { version: "v4", region: "CN" } }, "signature.region", "a region id such as cn-shanghai"],
  ])("refuses %s, naming the field and the rule", (_label, change, field, rule) => {
    expect(() => createSlsClient({ ...valid, ...(change as object) })).toThrow(new RegExp(`^SLS client options: invalid input: ${field.replace(".", "\\.")}: ${rule.replace(/[()]/g, "\\$&")}$`));
  });

  it("requires a region id for v4", () => {
    expect(() => createSlsClient({ ...valid, signature: { version: "v4", region: "" } })).toThrow(/signature.region/);
  });

  it("accepts valid options", () => {
    createSlsClient(valid).close();
  });
});

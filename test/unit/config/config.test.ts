import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import { ConfigurationError } from "../../../src/errors.ts";
import { MINIMAL_SERVICE_ENV } from "../../support/service-env.ts";

const env = MINIMAL_SERVICE_ENV;

describe("loadConfig", () => {
  it("applies defaults", () => {
    const c = loadConfig(env);
    expect(c.sls.signature).toEqual({ version: "v1", algorithm: "hmac-sha1" });
    expect(c.sls.consumerGroupTimeout).toBe(60);
    expect(c.sls.consumerGroupOrder).toBe(false);
    expect(c.im.groupType).toBe("Private");
    expect(c.im.rateLimitPerSecond).toBe(190);
    expect(c.webhookRequestBudgetMs).toBe(3_000);
  });

  it("the webhook budget leaves the providers time beyond the safety margin", () => {
    expect(loadConfig({ ...env, WEBHOOK_REQUEST_BUDGET_MS: "2500" }).webhookRequestBudgetMs).toBe(2_500);
    expect(() => loadConfig({ ...env, WEBHOOK_REQUEST_BUDGET_MS: "2000" })).toThrow(/WEBHOOK_REQUEST_BUDGET_MS: at least PROVISION_SAFETY_MARGIN_MS \+ 500/);
    expect(loadConfig({ ...env, WEBHOOK_REQUEST_BUDGET_MS: "1000", PROVISION_SAFETY_MARGIN_MS: "200" }).webhookRequestBudgetMs).toBe(1_000);
  });

  it("parses v4, numbers and booleans", () => {
    const c = loadConfig({ ...env, SLS_SIGNATURE_VERSION: "v4", SLS_REGION: "cn-shanghai", SLS_CONSUMER_GROUP_TIMEOUT: "300", SLS_CONSUMER_GROUP_ORDER: "true" });
    expect(c.sls.signature).toEqual({ version: "v4", region: "cn-shanghai" });
    expect(c.sls.consumerGroupTimeout).toBe(300);
    expect(c.sls.consumerGroupOrder).toBe(true);
  });

  it("names each bad variable and its rule", () => {
    try {
      loadConfig({ ...env, SLS_PROJECT: "Bad_Project", IM_DOMAIN: "im.example.com", SLS_SIGNATURE_VERSION: "v4", OUTCOME_TABLE_NAME: undefined });
      throw new Error("expected ConfigurationError");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      const { issues } = e as ConfigurationError;
      expect([...new Set(issues.map((i) => i.field))].sort()).toEqual(["IM_DOMAIN", "OUTCOME_TABLE_NAME", "SLS_PROJECT", "SLS_REGION"]);
      // The SLS client's own project name rules, each broken one named.
      expect(issues.filter((i) => i.field === "SLS_PROJECT").map((i) => i.rule)).toEqual([
        "only a-z, 0-9 and -",
        "must start and end with a lowercase letter or digit",
      ]);
      expect((e as Error).message).not.toContain("Bad_Project");
    }
  });

  it("allows connectTo overrides only on loopback, so production cannot be pointed elsewhere by accident", () => {
    expect(loadConfig({ ...env, SLS_CONNECT_TO: "http://127.0.0.1:4010" }).sls.connectTo).toBe("http://127.0.0.1:4010");
    expect(() => loadConfig({ ...env, IM_CONNECT_TO: "http://10.0.0.5:80" })).toThrow(/IM_CONNECT_TO/);
  });

  it("reads one logstore or a comma-separated list, each named once", () => {
    expect(loadConfig(env).sls.logstores).toEqual(["tenant_events"]);
    expect(loadConfig({ ...env, SLS_LOGSTORE: "events-a,events-b" }).sls.logstores).toEqual(["events-a", "events-b"]);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE: "events-a,events-a" })).toThrow(/SLS_LOGSTORE: each logstore at most once/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE: "events-a,,b" })).toThrow(/SLS_LOGSTORE: logstore 2: 3-63 characters; SLS_LOGSTORE: logstore 2: must start and end with a lowercase letter or digit; SLS_LOGSTORE: logstore 3: 3-63 characters$/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE: "events-a,Events.b" })).toThrow(/^environment: SLS_LOGSTORE: logstore 2: only a-z, 0-9, _ and -; SLS_LOGSTORE: logstore 2: must start and end/);
    // Optional since the logstore registry: without it the registry alone names the logstores.
    const { SLS_LOGSTORE: _unset, ...withoutList } = env;
    expect(loadConfig(withoutList).sls.logstores).toEqual([]);
  });

  it("reads the fleet's IM budget and refuses one without headroom under IM's 200/s", () => {
    expect(loadConfig(env).im.fleetMaxProcesses).toBe(18);
    const c = loadConfig({ ...env, IM_RATE_LIMIT_PER_SECOND: "180", IM_FLEET_MAX_PROCESSES: "8" });
    expect(c.im).toMatchObject({ rateLimitPerSecond: 180, fleetMaxProcesses: 8 });
    expect(() => loadConfig({ ...env, IM_RATE_LIMIT_PER_SECOND: "200" })).toThrow(/IM_RATE_LIMIT_PER_SECOND: at most 195/);
    expect(() => loadConfig({ ...env, IM_RATE_LIMIT_PER_SECOND: "0" })).toThrow(/IM_RATE_LIMIT_PER_SECOND: at least 1/);
    expect(() => loadConfig({ ...env, IM_FLEET_MAX_PROCESSES: "0" })).toThrow(/IM_FLEET_MAX_PROCESSES/);
    expect(() => loadConfig({ ...env, IM_FLEET_MAX_PROCESSES: "2.5" })).toThrow(/IM_FLEET_MAX_PROCESSES/);
  });

  it("enforces the Community GroupId prefix rule", () => {
    expect(() => loadConfig({ ...env, IM_GROUP_TYPE: "Community" })).toThrow(/IM_GROUP_ID_PREFIX: must start with @TGS#_/);
    expect(loadConfig({ ...env, IM_GROUP_TYPE: "Community", IM_GROUP_ID_PREFIX: "@TGS#_t-" }).im.groupIdPrefix).toBe("@TGS#_t-");
    expect(() => loadConfig({ ...env, IM_GROUP_ID_PREFIX: "@TGS#x" })).toThrow(/IM_GROUP_ID_PREFIX: must not start with @TGS# \(reserved, except Community\) \(IM_GROUP_TYPE\)/);
  });

  it("bounds the name prefixes so the longest tenant id still gives a valid GroupId and consumer group name", () => {
    // GroupId ≤ 48 bytes and consumer group name ≤ 128 characters, less a 36-character tenant id.
    expect(loadConfig({ ...env, IM_GROUP_ID_PREFIX: "p".repeat(12), SLS_CONSUMER_GROUP_PREFIX: "c".repeat(92) }).im.groupIdPrefix).toHaveLength(12);
    expect(() => loadConfig({ ...env, IM_GROUP_ID_PREFIX: "p".repeat(13) })).toThrow(/IM_GROUP_ID_PREFIX: must have at most 12 characters/);
    expect(() => loadConfig({ ...env, IM_GROUP_ID_PREFIX: "t p-" })).toThrow(/IM_GROUP_ID_PREFIX: printable ASCII without spaces/);
    expect(() => loadConfig({ ...env, SLS_CONSUMER_GROUP_PREFIX: "c".repeat(93) })).toThrow(/SLS_CONSUMER_GROUP_PREFIX: must have at most 92 characters/);
    expect(() => loadConfig({ ...env, SLS_CONSUMER_GROUP_PREFIX: "t." })).toThrow(/SLS_CONSUMER_GROUP_PREFIX: only A-Z, a-z, 0-9, _ and -/);
  });

  it("takes every IM group type but AVChatRoom (it takes no members)", () => {
    for (const type of ["Private", "Work", "Public", "ChatRoom", "Meeting"]) expect(loadConfig({ ...env, IM_GROUP_TYPE: type }).im.groupType).toBe(type);
    expect(() => loadConfig({ ...env, IM_GROUP_TYPE: "AVChatRoom" })).toThrow(/IM_GROUP_TYPE: must be one of "Private", "Work", "Public", "ChatRoom", "Meeting", "Community"$/);
  });

  it("checks SLS_ENDPOINT and SLS_REGION with the SLS client's rules", () => {
    expect(() => loadConfig({ ...env, SLS_ENDPOINT: "https://cn-shanghai.log.aliyuncs.com" })).toThrow(/SLS_ENDPOINT: a host name such as cn-shanghai.log.aliyuncs.com \(no scheme, no path\)/);
    expect(() => loadConfig({ ...env, SLS_SIGNATURE_VERSION: "v4", SLS_REGION: "CN_1" })).toThrow(/SLS_REGION: a region id such as cn-shanghai/);
  });

  it("SLS_LOGSTORE_AUTO_CREATE is off by default; on, it names the prefix, ttl and shards of the logstores it creates", () => {
    expect(loadConfig(env).sls.logstoreAutoCreate).toBeUndefined();
    // The settings of a switched-off growth are still checked (a typo fails now, not when switched on).
    expect(loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE: "false", SLS_LOGSTORE_AUTO_CREATE_PREFIX: "x-" }).sls.logstoreAutoCreate).toBeUndefined();
    expect(loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE: "true" }).sls.logstoreAutoCreate).toEqual({ prefix: "tenant-events-", ttl: 30, shardCount: 2 });
    expect(
      loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE: "true", SLS_LOGSTORE_AUTO_CREATE_PREFIX: "t".repeat(57), SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS: "3650", SLS_LOGSTORE_AUTO_CREATE_SHARDS: "10" }).sls.logstoreAutoCreate,
    ).toEqual({ prefix: "t".repeat(57), ttl: 3650, shardCount: 10 });
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE: "yes" })).toThrow(/SLS_LOGSTORE_AUTO_CREATE: must be one of "true", "false"/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE_PREFIX: "t".repeat(58) })).toThrow(/SLS_LOGSTORE_AUTO_CREATE_PREFIX: 1-57 characters/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE_PREFIX: "-events-" })).toThrow(/SLS_LOGSTORE_AUTO_CREATE_PREFIX: must start with a lowercase letter or digit/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE_PREFIX: "Events-" })).toThrow(/SLS_LOGSTORE_AUTO_CREATE_PREFIX: only a-z, 0-9, _ and -/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS: "3651" })).toThrow(/SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS/);
    expect(() => loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE_SHARDS: "11" })).toThrow(/SLS_LOGSTORE_AUTO_CREATE_SHARDS/);
  });
});

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
      const fields = (e as ConfigurationError).issues.map((i) => i.field).sort();
      expect(fields).toEqual(["IM_DOMAIN", "OUTCOME_TABLE_NAME", "SLS_PROJECT", "SLS_REGION"]);
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
    expect(() => loadConfig({ ...env, SLS_LOGSTORE: "events-a,,b" })).toThrow(/SLS_LOGSTORE/);
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
    expect(() => loadConfig({ ...env, IM_GROUP_ID_PREFIX: "@TGS#x" })).toThrow(/reserved/);
  });
});

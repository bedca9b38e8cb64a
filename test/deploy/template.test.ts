/**
 * Packages the service with osls (offline, no AWS credentials, no network needed) and checks the
 * CloudFormation template it produces: functions, table, queue, EventBridge wiring, schedule,
 * HTTP API routes (access log, default throttling), the alarms and their encrypted topic, and
 * least-privilege IAM per function (test/audit/iam.test.ts checks the roles against the calls the
 * code makes).
 *
 * cfn-lint: the npm package `cfn-lint` (1.9.7, the only one on npm; the maintained cfn-lint is a
 * Python tool) installs, but its bundled resource specification is years old: on this template it
 * rejects valid properties (SqsManagedSseEnabled, PayloadFormatVersion, Events::Rule EventBusName,
 * MetricTransformation Unit), so it is not run; these structural checks stand in for it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleOptions, HANDLERS } from "../../scripts/esbuild-options.ts";
import { serverlessEsbuildOptions } from "../../scripts/serverless-esbuild.ts";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config/config.ts";
import { outcomeTableDefinition } from "../../src/local/dynamodb-table.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createProvisionMetrics } from "../../src/observability/metrics.ts";
import { PACKAGE_REGION as REGION, PACKAGE_STAGE as STAGE, ROOT, packageService, type PackagedService } from "../support/packaged-template.ts";

const SERVICE = "tenant-provisioner";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, Json>;
interface Resource {
  Type: string;
  Properties?: Obj;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Obj;
}

let outDir: string;
let template: Template;
let resources: Record<string, Resource>;
let state: { service: { custom: { esbuild: Obj }; provider: { region: string; stage: string } } };
let sources: Record<string, Record<string, string>>;
let packaged: PackagedService | undefined;

beforeAll(async () => {
  packaged = await packageService();
  outDir = packaged.outDir;
  template = packaged.template as Template;
  resources = template.Resources;
  state = JSON.parse(readFileSync(join(outDir, "serverless-state.json"), "utf8"));
  sources = Object.fromEntries(HANDLERS.map((name) => [name, unzip(readFileSync(join(outDir, `${name}.zip`)))]));
}, 180_000);

afterAll(() => {
  packaged?.cleanup();
});

// ------------------------------------------------------------------ helpers

/** The text of every file in a zip (stored or deflated), by name. */
function unzip(zip: Buffer): Record<string, string> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip");
  const files: Record<string, string> = {};
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = zip.readUInt16LE(eocd + 10); i > 0; i--) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("bad central directory");
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    if (!name.endsWith("/")) files[name] = (method === 8 ? inflateRawSync(data) : data).toString("utf8");
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return files;
}

/** The one line `write` prints (the logger and the EMF metrics write to stdout / stderr). */
function captureLine(write: () => void): string {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  const chunks: string[] = [];
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof stream.write;
  }
  try {
    write();
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i]!));
  }
  const lines = chunks.join("").split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1);
const fnId = (name: string) => `${pascal(name)}LambdaFunction`;

function resource(id: string, type?: string): Resource {
  const r = resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  if (type) expect(r.Type, id).toBe(type);
  return r;
}

function props(id: string, type?: string): Obj {
  return resource(id, type).Properties ?? {};
}

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/**
 * Renders an intrinsic as a string a test can compare: `Ref X` → `${X}`, `GetAtt X.A` → `${X.A}`,
 * `Sub` → its template, `Join` → the joined parts. Every logical id it names must exist.
 */
function render(value: Json): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const [key, arg] = Object.entries(value)[0] ?? [];
    if (key === "Ref" && typeof arg === "string") {
      if (!arg.startsWith("AWS::")) resource(arg);
      return `\${${arg}}`;
    }
    if (key === "Fn::GetAtt" && Array.isArray(arg)) {
      resource(String(arg[0]));
      return `\${${arg[0]}.${arg[1]}}`;
    }
    if (key === "Fn::Sub" && typeof arg === "string") {
      for (const [, name] of arg.matchAll(/\$\{([^}]+)\}/g)) {
        if (!name!.startsWith("AWS::")) resource(name!.split(".")[0]!);
      }
      return arg;
    }
    if (key === "Fn::Join" && Array.isArray(arg) && Array.isArray(arg[1])) {
      return arg[1].map(render).join(String(arg[0]));
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

interface Statement {
  Effect: string;
  Action?: Json;
  Resource?: Json;
  Principal?: Json;
  Condition?: Json;
}

/** Every IAM policy statement anywhere in the template, with where it was found. */
function allStatements(): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const walk = (node: Json, where: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if ((k === "PolicyDocument" || k === "AssumeRolePolicyDocument") && v && typeof v === "object" && !Array.isArray(v)) {
          for (const s of list(v.Statement as Json)) found.push({ where: `${where}.${k}`, statement: s as unknown as Statement });
        } else walk(v, `${where}.${k}`);
      }
    }
  };
  for (const [id, r] of Object.entries(resources)) walk((r.Properties ?? {}) as Json, id);
  return found;
}

/** A role's grants as `action → sorted rendered resources`. */
function grants(roleId: string): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const policy of list(props(roleId, "AWS::IAM::Role").Policies as Json) as Obj[]) {
    for (const s of list((policy.PolicyDocument as Obj).Statement) as unknown as Statement[]) {
      expect(s.Effect, `${roleId} statements are all Allow`).toBe("Allow");
      expect(s.Condition, `${roleId}: no conditions to reason about`).toBeUndefined();
      for (const action of list(s.Action) as string[]) {
        for (const r of list(s.Resource)) (out[action] ??= new Set()).add(render(r));
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([a, rs]) => [a, [...rs].sort()]));
}

const logsOf = (fn: string) => [
  `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${${pascal(fn)}LogGroup}`,
  `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${${pascal(fn)}LogGroup}:log-stream:*`,
];
const TABLE = "${OutcomeTable.Arn}";
const INDEX = "${OutcomeTable.Arn}/index/unfinished";
const QUEUE = "${SignupQueue.Arn}";
const SLS = "${SlsCredentialsSecret}";
const IM = "${ImCredentialsSecret}";
const WEBHOOK = "${WebhookSigningSecret}";
const OUTCOME_BUS = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default";

function expected(fn: string, rest: Record<string, string[]>): Record<string, string[]> {
  const all: Record<string, string[]> = { "logs:CreateLogStream": logsOf(fn), "logs:PutLogEvents": logsOf(fn), ...rest };
  return Object.fromEntries(Object.entries(all).map(([a, rs]) => [a, [...rs].sort()]));
}

const provisionTable = {
  "dynamodb:GetItem": [TABLE],
  "dynamodb:PutItem": [TABLE],
  "dynamodb:UpdateItem": [TABLE],
  "dynamodb:Query": [TABLE],
};

const EXPECTED_GRANTS: Record<string, Record<string, string[]>> = {
  signup: expected("signup", {
    ...provisionTable,
    "events:PutEvents": [OUTCOME_BUS],
    "secretsmanager:GetSecretValue": [SLS, IM],
    "sqs:ReceiveMessage": [QUEUE],
    "sqs:DeleteMessage": [QUEUE],
    "sqs:GetQueueAttributes": [QUEUE],
  }),
  webhook: expected("webhook", {
    ...provisionTable,
    "events:PutEvents": [OUTCOME_BUS],
    "secretsmanager:GetSecretValue": [SLS, IM, WEBHOOK],
    "sqs:SendMessage": [QUEUE],
  }),
  status: expected("status", { "dynamodb:Query": [TABLE] }),
  offboard: expected("offboard", {
    ...provisionTable,
    "events:PutEvents": [OUTCOME_BUS],
    "secretsmanager:GetSecretValue": [SLS, IM],
  }),
  backfill: expected("backfill", {
    ...provisionTable,
    "events:PutEvents": [OUTCOME_BUS],
    "dynamodb:Query": [TABLE, INDEX],
    "secretsmanager:GetSecretValue": [SLS, IM],
  }),
};

// ------------------------------------------------------------------ tests

describe("osls package (offline, no AWS credentials)", () => {
  it("builds one esbuild bundle per function with the shared bundle options", () => {
    console.info(`osls package took ${packaged!.seconds.toFixed(1)} s`);
    expect(state.service.provider.stage).toBe(STAGE);
    expect(state.service.provider.region).toBe(REGION);
    expect(state.service.custom.esbuild.config).toBe("./scripts/serverless-esbuild.ts");
    const options = serverlessEsbuildOptions();
    for (const [key, value] of Object.entries(bundleOptions)) expect(options[key as keyof typeof options], key).toBe(value);
    expect(options.exclude).toEqual([]);
    for (const name of HANDLERS) {
      const files = sources[name]!;
      // The zip is the bundle alone: no node_modules, nothing installed next to it.
      expect(Object.keys(files), `${name}.zip`).toEqual([`handlers/${name}.js`]);
      const code = files[`handlers/${name}.js`]!;
      expect(code.length).toBeLessThan(2 * 1024 * 1024);
      // bundleOptions reached the bundle: CJS, minified, the AWS SDK and middy inside.
      expect(code).toMatch(/module\.exports\s*=/);
      expect(code.length / code.split("\n").length, `${name} is minified (mean line length)`).toBeGreaterThan(500);
      expect(code).not.toMatch(/require\(["'](@aws-sdk\/(client|lib)-|@middy\/|@aws-lambda-powertools\/|zod)/);
    }
  });

  it("has the four functions on nodejs24.x arm64, each with its own role and log group", () => {
    const functions = ofType("AWS::Lambda::Function");
    expect(functions.map(([id]) => id).sort()).toEqual(HANDLERS.map(fnId).sort());
    for (const name of HANDLERS) {
      const p = props(fnId(name), "AWS::Lambda::Function");
      expect(p.Runtime).toBe("nodejs24.x");
      expect(p.Architectures).toEqual(["arm64"]);
      expect(p.Handler).toBe(`handlers/${name}.handler`);
      expect(p.FunctionName).toBe(`${SERVICE}-${STAGE}-${name}`);
      expect(p.Role).toEqual({ "Fn::GetAtt": [`${pascal(name)}Role`, "Arn"] });
      const logGroup = props(`${pascal(name)}LogGroup`, "AWS::Logs::LogGroup");
      expect(logGroup.LogGroupName).toBe(`/aws/lambda/${SERVICE}-${STAGE}-${name}`);
      expect(logGroup.RetentionInDays).toBeGreaterThan(0);
    }
    expect(props(fnId("webhook")).Timeout).toBeLessThanOrEqual(29);
    expect(props(fnId("backfill")).Timeout).toBe(300);
    expect(props(fnId("backfill")).ReservedConcurrentExecutions).toBe(1);
    expect(resources.IamRoleLambdaExecution, "no shared default role").toBeUndefined();
  });

  it("gives every function an environment that loadConfig accepts", () => {
    const value = (v: Json): string => {
      if (typeof v === "string") return v;
      const ref = (v as Obj).Ref as string;
      const r = resource(ref);
      if (r.Type === "AWS::SecretsManager::Secret") return `arn:aws:secretsmanager:${REGION}:123456789012:secret:${r.Properties!.Name}-AbCdEf`;
      if (r.Type === "AWS::DynamoDB::Table") return String(r.Properties!.TableName);
      if (r.Type === "AWS::SQS::Queue") return `https://sqs.${REGION}.amazonaws.com/123456789012/${r.Properties!.QueueName}`;
      throw new Error(`unexpected reference ${JSON.stringify(v)}`);
    };
    for (const name of HANDLERS) {
      const vars = (props(fnId(name)).Environment as Obj).Variables as Obj;
      const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, value(v)]));
      expect(() => loadConfig(env), name).not.toThrow();
      expect(vars.OUTCOME_TABLE_NAME).toEqual({ Ref: "OutcomeTable" });
      expect(vars.SLS_SECRET_ID).toEqual({ Ref: "SlsCredentialsSecret" });
      expect(vars.IM_SECRET_ID).toEqual({ Ref: "ImCredentialsSecret" });
      expect(vars.WEBHOOK_SECRET_ID).toEqual({ Ref: "WebhookSigningSecret" });
      if (name === "webhook") expect(vars.SIGNUP_QUEUE_URL).toEqual({ Ref: "SignupQueue" });
      else expect(vars.SIGNUP_QUEUE_URL).toBeUndefined();
    }
  });

  it("sets only variables the configuration reads (or the runtime's), and the logstore auto-create settings loadConfig reads as set: off by default", () => {
    // Read by the logger and by Node, not by loadConfig.
    const runtime = ["LOG_LEVEL", "NODE_OPTIONS"];
    for (const name of HANDLERS) {
      const vars = (props(fnId(name)).Environment as Obj).Variables as Obj;
      expect(Object.keys(vars).filter((v) => !CONFIG_VARIABLES.includes(v) && !runtime.includes(v)), name).toEqual([]);
      const strings = Object.fromEntries(Object.entries(vars).filter(([, v]) => typeof v === "string")) as Record<string, string>;
      const env = { ...strings, SLS_SECRET_ID: "s", IM_SECRET_ID: "i", WEBHOOK_SECRET_ID: "w", OUTCOME_TABLE_NAME: "outcomes" };
      expect(vars.SLS_LOGSTORE_AUTO_CREATE, name).toBe("false");
      expect(loadConfig(env).sls.logstoreAutoCreate, name).toBeUndefined();
      // Switched on, the template's own prefix, ttl and shards are what the service uses.
      expect(loadConfig({ ...env, SLS_LOGSTORE_AUTO_CREATE: "true" }).sls.logstoreAutoCreate, name).toEqual({
        prefix: vars.SLS_LOGSTORE_AUTO_CREATE_PREFIX,
        ttl: Number(vars.SLS_LOGSTORE_AUTO_CREATE_TTL_DAYS),
        shardCount: Number(vars.SLS_LOGSTORE_AUTO_CREATE_SHARDS),
      });
    }
  });

  it("sets V8 heap limits in every function's NODE_OPTIONS that Node accepts and that fit the function's memory", () => {
    for (const name of HANDLERS) {
      const p = props(fnId(name));
      const nodeOptions = ((p.Environment as Obj).Variables as Obj).NODE_OPTIONS;
      expect(typeof nodeOptions, name).toBe("string");
      // Naming either flag makes the nodejs24.x runtime pass none of its own (sized from memorySize).
      expect(nodeOptions, name).toMatch(/--max-old-space-size=\d+/);
      expect(nodeOptions, name).toMatch(/--max-semi-space-size=\d+/);
      const run = spawnSync(process.execPath, ["-e", "process.stdout.write(String(require('node:v8').getHeapStatistics().heap_size_limit))"], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: String(nodeOptions) },
        encoding: "utf8",
      });
      expect(run.status, `${name}: ${run.stderr}`).toBe(0);
      const heapLimitMb = Number(run.stdout) / 2 ** 20;
      // The heap may use at most half the function's memory: code, buffers and sockets need the rest.
      expect(heapLimitMb, name).toBeLessThanOrEqual(Number(p.MemorySize) / 2);
    }
  });

  it("gives the backfill's young generation room for what a tenant holds while it is worked on", () => {
    // Measured (npm run bench, backfill timeline and GC counts): ~0.7 MB allocated per tenant, at
    // most 195 tenants/s (IM's highest pace). With a 4 MB semi-space a scavenge came every ~27 ms
    // and promoted what each tenant holds across its provider calls (~165 ms), a major GC every
    // 0.55 s; the pauses made IM slots lapse. At least ~55 ms between scavenges (8 MB) halves both.
    const allocatedMbPerSecond = 0.7 * 195;
    const nodeOptions = String(((props(fnId("backfill")).Environment as Obj).Variables as Obj).NODE_OPTIONS);
    const semiSpaceMb = Number(/--max-semi-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    expect((semiSpaceMb / allocatedMbPerSecond) * 1000).toBeGreaterThanOrEqual(55);
  });

  it("defines the outcome table exactly as src/local/dynamodb-table.ts, with PITR and TTL on expiresAt", () => {
    const table = resource("OutcomeTable", "AWS::DynamoDB::Table");
    const p = table.Properties!;
    const def = outcomeTableDefinition(String(p.TableName));
    expect(p.TableName).toBe(`${SERVICE}-${STAGE}-outcomes`);
    expect(p.BillingMode).toBe(def.BillingMode);
    expect(p.AttributeDefinitions).toEqual(def.AttributeDefinitions);
    expect(p.KeySchema).toEqual(def.KeySchema);
    expect(p.GlobalSecondaryIndexes).toEqual(def.GlobalSecondaryIndexes);
    expect((p.GlobalSecondaryIndexes as Obj[]).map((i) => i.IndexName)).toEqual(["unfinished", "failures"]);
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
    expect(table.DeletionPolicy).toBe("Retain");
  });

  it("has the signup queue with an encrypted DLQ, a redrive policy and a visibility of 6x the function timeout", () => {
    const queue = props("SignupQueue", "AWS::SQS::Queue");
    const dlq = props("SignupDeadLetterQueue", "AWS::SQS::Queue");
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { "Fn::GetAtt": ["SignupDeadLetterQueue", "Arn"] }, maxReceiveCount: 5 });
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(Number(dlq.MessageRetentionPeriod)).toBeGreaterThan(Number(queue.MessageRetentionPeriod));
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(props(fnId("signup")).Timeout));

    const mappings = ofType("AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { "Fn::GetAtt": ["SignupQueue", "Arn"] },
      FunctionName: { "Fn::GetAtt": [fnId("signup"), "Arn"] },
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(mapping.Properties!.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
    // The mapping is created after the role that lets it poll.
    expect(list(mapping.DependsOn)).toContain("SignupRole");
  });

  it("routes TenantSignedUp and TenantOffboarded events to the queue, and only that rule may send to it", () => {
    const rule = props("TenantSignedUpRule", "AWS::Events::Rule");
    // Pinned to one source: an offboarding removes resources, so no other publisher on the bus may trigger one.
    expect(rule.EventPattern).toEqual({ source: ["saas.signup"], "detail-type": ["TenantSignedUp", "TenantOffboarded"] });
    expect(rule.EventBusName).toBe("default");
    expect(rule.Targets).toEqual([{ Id: "signup-queue", Arn: { "Fn::GetAtt": ["SignupQueue", "Arn"] } }]);

    const policies = ofType("AWS::SQS::QueuePolicy");
    expect(policies).toHaveLength(1);
    const policy = props("SignupQueuePolicy");
    expect(policy.Queues).toEqual([{ Ref: "SignupQueue" }]);
    expect((policy.PolicyDocument as Obj).Statement).toEqual([
      {
        Sid: "TenantSignedUpRuleSendMessage",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: { "Fn::GetAtt": ["SignupQueue", "Arn"] },
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["TenantSignedUpRule", "Arn"] } } },
      },
    ]);
  });

  it("runs the backfill every 5 minutes, without async retries", () => {
    const schedules = ofType("AWS::Events::Rule").filter(([, r]) => r.Properties?.ScheduleExpression);
    expect(schedules).toHaveLength(1);
    const [id, schedule] = schedules[0]!;
    expect(schedule.Properties!.ScheduleExpression).toBe("rate(5 minutes)");
    expect(schedule.Properties!.State).toBe("ENABLED");
    expect((schedule.Properties!.Targets as Obj[]).map((t) => t.Arn)).toEqual([{ "Fn::GetAtt": [fnId("backfill"), "Arn"] }]);
    const permission = ofType("AWS::Lambda::Permission").find(([, r]) => JSON.stringify(r.Properties?.SourceArn) === JSON.stringify({ "Fn::GetAtt": [id, "Arn"] }));
    expect(permission?.[1].Properties).toMatchObject({ Principal: "events.amazonaws.com", FunctionName: { "Fn::GetAtt": [fnId("backfill"), "Arn"] } });
    const [, invokeConfig] = ofType("AWS::Lambda::EventInvokeConfig")[0]!;
    expect(invokeConfig.Properties).toMatchObject({ FunctionName: { Ref: fnId("backfill") }, MaximumRetryAttempts: 0 });
  });

  it("exposes POST /webhooks/tenant-signup and IAM-authorised GET and DELETE /tenants/{tenantId} on the HTTP API", () => {
    const routes = Object.fromEntries(ofType("AWS::ApiGatewayV2::Route").map(([, r]) => [String(r.Properties!.RouteKey), r.Properties!]));
    expect(Object.keys(routes).sort()).toEqual(["DELETE /tenants/{tenantId}", "GET /tenants/{tenantId}", "POST /webhooks/tenant-signup"]);
    const offboard = routes["DELETE /tenants/{tenantId}"]!;
    expect(offboard.AuthorizationType).toBe("AWS_IAM");
    const integrationOf = (route: Obj) => props(render(route.Target as Json).replace(/^integrations\/\$\{(.+)\}$/, "$1"), "AWS::ApiGatewayV2::Integration");
    const webhook = routes["POST /webhooks/tenant-signup"]!;
    const status = routes["GET /tenants/{tenantId}"]!;
    expect(webhook.AuthorizationType ?? "NONE").toBe("NONE");
    expect(status.AuthorizationType).toBe("AWS_IAM");
    expect(integrationOf(webhook)).toMatchObject({ IntegrationUri: { "Fn::GetAtt": [fnId("webhook"), "Arn"] }, PayloadFormatVersion: "2.0" });
    expect(integrationOf(status)).toMatchObject({ IntegrationUri: { "Fn::GetAtt": [fnId("status"), "Arn"] }, PayloadFormatVersion: "2.0" });
    expect(integrationOf(offboard)).toMatchObject({ IntegrationUri: { "Fn::GetAtt": [fnId("offboard"), "Arn"] }, PayloadFormatVersion: "2.0" });
  });

  it("alarms (to an SNS topic) when anything reaches the DLQ", () => {
    const alarm = props("SignupDeadLetterQueueAlarm", "AWS::CloudWatch::Alarm");
    expect(alarm).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": ["SignupDeadLetterQueue", "QueueName"] } }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [{ Ref: "AlarmTopic" }],
    });
    resource("AlarmTopic", "AWS::SNS::Topic");
  });
});

describe("deploy hygiene", () => {
  const params = () => (state.service as unknown as { initialServerlessConfig: { params: { default: Obj } } }).initialServerlessConfig.params.default;

  it("logs every HTTP API request as one JSON line to a log group with retention", () => {
    const stage = resource("HttpApiStage", "AWS::ApiGatewayV2::Stage");
    const access = stage.Properties!.AccessLogSettings as Obj;
    expect(access.DestinationArn).toEqual({ "Fn::GetAtt": ["HttpApiLogGroup", "Arn"] });
    expect(list(stage.DependsOn)).toContain("HttpApiLogGroup");
    const format = JSON.parse(String(access.Format)) as Record<string, string>;
    for (const [field, variable] of Object.entries({ requestId: "requestId", status: "status", routeKey: "routeKey", ip: "identity.sourceIp", integrationError: "integrationErrorMessage" })) {
      expect(format[field], field).toBe(`$context.${variable}`);
    }
    const group = props("HttpApiLogGroup", "AWS::Logs::LogGroup");
    expect(group.LogGroupName).toBe(`/aws/http-api/${SERVICE}-${STAGE}`);
    expect(group.RetentionInDays).toBe(params().logRetentionInDays);
  });

  it("throttles every HTTP API route by default, at the rate and burst of the params", () => {
    const settings = props("HttpApiStage").DefaultRouteSettings as Obj;
    expect(settings.ThrottlingRateLimit).toBe(params().httpApiThrottleRate);
    expect(settings.ThrottlingBurstLimit).toBe(params().httpApiThrottleBurst);
    expect(Number(settings.ThrottlingRateLimit)).toBeGreaterThan(0);
    expect(Number(settings.ThrottlingBurstLimit)).toBeGreaterThanOrEqual(Number(settings.ThrottlingRateLimit));
    // No route overrides the default with looser limits.
    for (const [id, route] of ofType("AWS::ApiGatewayV2::Route")) expect(route.Properties!.RouteSettings, id).toBeUndefined();
  });

  it("encrypts the alarm topic with a key CloudWatch alarms may use (not alias/aws/sns, whose policy cannot let them)", () => {
    const topic = props("AlarmTopic", "AWS::SNS::Topic");
    expect(topic.KmsMasterKeyId).toEqual({ Ref: "AlarmTopicKey" });
    const key = props("AlarmTopicKey", "AWS::KMS::Key");
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (key.KeyPolicy as Obj).Statement as Obj[];
    expect(statements.map((s) => s.Sid)).toEqual(["AccountAdministersTheKey", "CloudWatchAlarmsPublish"]);
    const [account, cloudwatch] = statements as [Obj, Obj];
    expect(render((account.Principal as Obj).AWS as Json)).toBe("arn:${AWS::Partition}:iam::${AWS::AccountId}:root");
    expect(cloudwatch).toEqual({
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      // In a key policy "*" is the key itself.
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(props("AlarmTopicKeyAlias", "AWS::KMS::Alias")).toEqual({ AliasName: `alias/${SERVICE}-${STAGE}-alarms`, TargetKeyId: { Ref: "AlarmTopicKey" } });
  });

  it("has the DLQ, needs-attention, IM throttling, logstores-exhausted and backfill alarms, each described and sent to the topic", () => {
    const alarms = Object.fromEntries(ofType("AWS::CloudWatch::Alarm").map(([id, r]) => [id, r.Properties!]));
    expect(Object.keys(alarms).sort()).toEqual([
      "AnnouncementsUndeliveredAlarm",
      "BackfillErrorsAlarm",
      "ImThrottlingAlarm",
      "LogstoresExhaustedAlarm",
      "SignupDeadLetterQueueAlarm",
      "StepsNeedingAttentionAlarm",
    ]);
    // The core's EMF StepFailed for a step that found every logstore full (src/observability/metrics.ts).
    expect(alarms.LogstoresExhaustedAlarm).toMatchObject({
      Namespace: "TenantProvisioner",
      MetricName: "StepFailed",
      Dimensions: [
        { Name: "service", Value: "tenant-provisioner" },
        { Name: "provider", Value: "sls" },
        { Name: "code", Value: "LogstoresExhausted" },
      ],
      Threshold: 0,
    });
    for (const [id, alarm] of Object.entries(alarms)) {
      expect(String(alarm.AlarmDescription).length, `${id} says what it means and what to do`).toBeGreaterThan(120);
      expect(alarm.AlarmActions, id).toEqual([{ Ref: "AlarmTopic" }]);
      expect(alarm.OKActions, id).toEqual([{ Ref: "AlarmTopic" }]);
      expect(alarm.TreatMissingData, id).toBe("notBreaching");
      expect(String(alarm.AlarmName)).toMatch(new RegExp(`^${SERVICE}-${STAGE}-`));
    }
    expect(alarms.BackfillErrorsAlarm).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: fnId("backfill") } }],
      Statistic: "Sum",
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  /** The metric filters counting into `alarm`'s metric: one per function that provisions, each counting 1 per line. */
  function logFiltersFeeding(alarm: Obj): Obj[] {
    const filters = ofType("AWS::Logs::MetricFilter")
      .map(([, r]) => r.Properties!)
      .filter((f) => (f.MetricTransformations as Obj[])[0]?.MetricName === alarm.MetricName);
    expect(filters.map((f) => render(f.LogGroupName as Json)).sort()).toEqual(["signup", "webhook", "offboard", "backfill"].map((n) => `\${${pascal(n)}LogGroup}`).sort());
    for (const filter of filters) {
      expect(filter.MetricTransformations).toEqual([{ MetricNamespace: alarm.Namespace, MetricName: alarm.MetricName, MetricValue: "1", Unit: "Count" }]);
    }
    return filters;
  }

  it("alarms on steps ended FAILED_PERMANENT or CONFLICT, from the `step finished` lines of every function that provisions", () => {
    const alarm = props("StepsNeedingAttentionAlarm");
    expect(alarm).toMatchObject({ Statistic: "Sum", Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
    const filters = logFiltersFeeding(alarm);
    for (const filter of filters) {
      const terms = [...String(filter.FilterPattern).matchAll(/\$\.(\w+) = "([^"]*)"/g)].map(([, field, value]) => `${field}=${value}`);
      expect(terms).toEqual(["message=step finished", "status=FAILED_PERMANENT", "status=CONFLICT"]);
      expect(String(filter.FilterPattern)).toMatch(/^\{ \(\$\.message = "[^"]+"\) && \(\(\$\.status = "[^"]+"\) \|\| \(\$\.status = "[^"]+"\)\) \}$/);
    }
    // The fields the filter reads are top-level in the line the core's logger writes.
    const line = JSON.parse(captureLine(() => createLogger().warn("step finished", { tenantId: "t1", step: "im-group", status: "CONFLICT" }))) as Obj;
    expect(line).toMatchObject({ message: "step finished", status: "CONFLICT" });
    expect(readFileSync(join(ROOT, "src/provisioning/provision.ts"), "utf8")).toMatch(/\("step finished", \{[^}]*\bstatus: result\.status/);
  });

  it("alarms on outcome events given up, from the core's `outcome announcement gave up` line in every function that reconciles", () => {
    const alarm = props("AnnouncementsUndeliveredAlarm");
    expect(alarm).toMatchObject({ Namespace: "TenantProvisioner", MetricName: "AnnouncementsUndelivered", Statistic: "Sum", Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
    expect(String(alarm.AlarmDescription)).toMatch(/cli -- retry/);
    const filters = logFiltersFeeding(alarm);
    for (const filter of filters) {
      expect(filter.FilterPattern).toBe('{ $.message = "outcome announcement gave up" }');
    }
    // The core writes exactly that message (announce.ts), as a top-level field of the logger's line.
    expect(readFileSync(join(ROOT, "src/provisioning/announce.ts"), "utf8")).toContain('logger?.error("outcome announcement gave up", fields)');
    const line = JSON.parse(captureLine(() => createLogger().error("outcome announcement gave up", { tenantId: "t1", code: "AccessDeniedException" }))) as Obj;
    expect(line).toMatchObject({ message: "outcome announcement gave up" });
  });

  it("alarms on the rate of IM 10006 (throttled) answers, on the exact EMF metric the service emits", () => {
    const alarm = props("ImThrottlingAlarm");
    const emf = JSON.parse(captureLine(() => createProvisionMetrics().sink.providerRetry("tencent-im", "10006"))) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    } & Record<string, string>;
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(alarm.Namespace).toBe(directive!.Namespace);
    expect(alarm.MetricName).toBe(directive!.Metrics[0]!.Name);
    expect(alarm.Dimensions).toEqual(directive!.Dimensions[0]!.map((name) => ({ Name: name, Value: emf[name] })));
    expect(alarm).toMatchObject({ Statistic: "Sum", Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3, ComparisonOperator: "GreaterThanThreshold" });
    expect(alarm.Threshold).toBe(params().imThrottleAlarmPerMinute);
  });

  it("creates the three secrets empty (no value in the template) and keeps them on stack deletion", () => {
    const secrets = ofType("AWS::SecretsManager::Secret");
    expect(secrets.map(([id]) => id).sort()).toEqual(["ImCredentialsSecret", "SlsCredentialsSecret", "WebhookSigningSecret"]);
    for (const [id, secret] of secrets) {
      expect(secret.Properties!.SecretString, id).toBeUndefined();
      expect(secret.Properties!.GenerateSecretString, id).toBeUndefined();
      expect(String(secret.Properties!.Name)).toMatch(new RegExp(`^${SERVICE}/${STAGE}/`));
      expect(secret.DeletionPolicy).toBe("Retain");
    }
  });
});

describe("least privilege", () => {
  it("has no wildcard Action or Resource in any Allow statement (log streams of one log group aside)", () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(10);
    const logGroups = new Set(ofType("AWS::Logs::LogGroup").map(([id]) => id));
    for (const { where, statement } of statements) {
      expect(["Allow", "Deny"], where).toContain(statement.Effect);
      // A Deny with a wildcard only takes away (e.g. the deployment bucket's TLS-only policy).
      if (statement.Effect === "Deny") continue;
      for (const action of list(statement.Action) as string[]) {
        expect(typeof action, where).toBe("string");
        expect(action, where).not.toMatch(/[*?]/);
      }
      expect(statement.Principal, `${where}: no anonymous principal`).not.toBe("*");
      if (statement.Principal && typeof statement.Principal === "object") {
        expect(JSON.stringify(statement.Principal), where).not.toContain('"*"');
      }
      if (where.endsWith("AssumeRolePolicyDocument")) continue;
      const rs = list(statement.Resource);
      expect(rs.length, `${where}: names its resources`).toBeGreaterThan(0);
      for (const r of rs) {
        const arn = render(r);
        const logStreams = /^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\$\{(\w+)\}:log-stream:\*$/.exec(arn);
        if (logStreams) {
          expect(logGroups.has(logStreams[1]!), `${where}: ${arn} is one log group's streams`).toBe(true);
          continue;
        }
        expect(arn, where).not.toMatch(/[*?]/);
      }
    }
  });

  it("has exactly one role per function and no other IAM identities or policies", () => {
    expect(ofType("AWS::IAM::Role").map(([id]) => id).sort()).toEqual(HANDLERS.map((n) => `${pascal(n)}Role`).sort());
    expect(ofType("AWS::IAM::Policy")).toEqual([]);
    expect(ofType("AWS::IAM::ManagedPolicy")).toEqual([]);
    expect(ofType("AWS::IAM::User")).toEqual([]);
    for (const name of HANDLERS) {
      const role = props(`${pascal(name)}Role`);
      expect(role.ManagedPolicyArns, name).toBeUndefined();
      expect((role.AssumeRolePolicyDocument as Obj).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
    }
  });

  it.each(HANDLERS)("%s role allows exactly the calls its code makes, on its resources only", (name) => {
    expect(grants(`${pascal(name)}Role`)).toEqual(EXPECTED_GRANTS[name]);
  });

  it("points every grant at the intended resources", () => {
    resource("OutcomeTable", "AWS::DynamoDB::Table");
    resource("SignupQueue", "AWS::SQS::Queue");
    resource("SlsCredentialsSecret", "AWS::SecretsManager::Secret");
    resource("ImCredentialsSecret", "AWS::SecretsManager::Secret");
    resource("WebhookSigningSecret", "AWS::SecretsManager::Secret");
    const secretIds = new Set(ofType("AWS::SecretsManager::Secret").map(([id]) => `\${${id}}`));
    for (const name of HANDLERS) {
      for (const [action, rs] of Object.entries(grants(`${pascal(name)}Role`))) {
        const service = action.split(":")[0];
        for (const r of rs) {
          if (service === "dynamodb") expect([TABLE, INDEX], `${name} ${action}`).toContain(r);
          if (service === "sqs") expect(r, `${name} ${action}`).toBe(QUEUE);
          if (service === "secretsmanager") expect(secretIds.has(r), `${name} ${action} ${r}`).toBe(true);
          if (service === "logs") expect(r, `${name} ${action}`).toContain(`\${${pascal(name)}LogGroup}`);
        }
      }
    }
    // The status function reads outcomes only; the signup function never sends to the queue.
    expect(Object.keys(grants("StatusRole")).some((a) => a.startsWith("secretsmanager:") || a.startsWith("sqs:"))).toBe(false);
    expect(grants("SignupRole")["sqs:SendMessage"]).toBeUndefined();
    expect(grants("BackfillRole")["sqs:SendMessage"]).toBeUndefined();
    expect(grants("WebhookRole")["sqs:ReceiveMessage"]).toBeUndefined();
  });
});

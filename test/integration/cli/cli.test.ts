/**
 * The operator CLI as an operator runs it: a child process (`node scripts/cli.ts …`), its exit
 * code, stdout and stderr. `status --aws` reads a real (dynalite) table given only its name.
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type CliCommand } from "../../../scripts/cli-args.ts";
import { useDynalite } from "../../support/dynalite.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../../scripts/cli.ts");

/** Runs the CLI in an empty directory (no .local/stack.json) with exactly `env` (plus PATH). */
async function cli(args: string[], env: Record<string, string> = {}, dir?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = dir ?? (await mkdtemp(join(tmpdir(), "cli-")));
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const STACK_LINE = /^\s+at /m;

describe("operator CLI: usage", () => {
  it("--help lists every command and exits 0", async () => {
    const out = await cli(["--help"]);
    expect(out.code).toBe(0);
    for (const name of ["send-webhook", "status", "backfill", "replay-dlq"]) expect(out.stdout).toContain(name);
  });

  // `npm run cli -- logstores list | head -3` printed an unhandled EPIPE and a stack trace.
  it("stops quietly when its reader closes the pipe (| head): exit 0, no stack trace", async () => {
    const child = spawn(process.execPath, [CLI, "--help"], { cwd: await mkdtemp(join(tmpdir(), "cli-")), stdio: ["ignore", "pipe", "pipe"] });
    // Closed long before the child has started, so its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(code).toBe(0);
  });

  it("<command> --help prints that command's usage and exits 0", async () => {
    const out = await cli(["status", "--help"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^usage: npm run cli -- status TENANT_ID/);
    expect(out.stdout).toContain("--table");
  });

  it("an unknown option prints the error and the usage line, exits 2, no stack trace", async () => {
    const out = await cli(["status", "t-1", "--bogus"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("--bogus");
    expect(out.stderr).toContain("usage: npm run cli -- status");
    expect(out.stderr).not.toMatch(STACK_LINE);
  });

  it("an unknown command, no command, a missing argument or a bad number: exit 2 with usage, no stack trace", async () => {
    for (const args of [["frobnicate"], [], ["status"], ["backfill", "--budget-ms", "soon"], ["replay-dlq", "--max"]]) {
      const out = await cli(args);
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toContain("usage: npm run cli --");
      expect(out.stderr, args.join(" ")).not.toMatch(STACK_LINE);
    }
    // Over the documented maximum: named as the option typed (it read "limit: integer from 1 to
    // 1000", the store's field), refused before any table is looked for.
    const over = await cli(["failures", "--limit", "5000", "--aws", "--table", "t"]);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/^error: --limit: at most 1000\n/);
  });

  // They were raw ENOENT / SyntaxError / "tenants.forEach is not a function" errors, exit 1.
  it("a --tenants or --file that is missing, not JSON or of the wrong shape: exit 2 naming the option, before the stack is looked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cli-files-"));
    const notJson = join(dir, "not.json");
    const object = join(dir, "object.json");
    const array = join(dir, "array.json");
    await writeFile(notJson, "secret-ish text, not JSON");
    await writeFile(object, "{}");
    await writeFile(array, "[]");
    for (const [args, rule] of [
      [["backfill", "--tenants", join(dir, "missing.json")], "--tenants: cannot read"],
      [["backfill", "--tenants", notJson], "--tenants: " + notJson + " is not valid JSON"],
      [["backfill", "--tenants", object], "must hold a JSON array"],
      [["send-webhook", "--file", array], "--file: " + array + " must hold a JSON object"],
      [["send-webhook", "--file", notJson], "is not valid JSON"],
    ] as const) {
      const out = await cli([...args]);
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toContain(rule);
      expect(out.stderr).not.toContain("secret-ish");
      expect(out.stderr, args.join(" ")).not.toMatch(STACK_LINE);
    }
  });

  // `replay-dlq --dlq-url not-a-url` reached the AWS SDK, which printed a TypeError stack trace.
  it("a --dlq-url, --queue-url or --url that is not an http(s) URL: exit 2 naming the option, no stack trace", async () => {
    for (const [args, option] of [
      [["replay-dlq", "--aws", "--dlq-url", "not-a-url"], "--dlq-url"],
      [["replay-dlq", "--aws", "--dlq-url", "http://127.0.0.1:1/q", "--queue-url", "file:///etc/passwd"], "--queue-url"],
      [["send-webhook", "--aws", "--url", "nowhere"], "--url"],
    ] as const) {
      const out = await cli([...args]);
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toContain(`${option}: must be an http(s) URL`);
      expect(out.stderr, args.join(" ")).not.toMatch(STACK_LINE);
    }
  });

  it("without a local stack, a command says to run npm start (exit 2), not a stack trace", async () => {
    const out = await cli(["status", "t-1"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("npm start");
    expect(out.stderr).not.toMatch(STACK_LINE);
  });
});

describe("operator CLI: a .local/stack.json whose stack is gone", () => {
  // It printed only "Error: connect ECONNREFUSED 127.0.0.1:4567" after Ctrl-C had stopped npm start.
  it("says the local stack does not answer and to run npm start (exit 1, no stack trace)", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "cli-gone-"));
    const dead = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const base = `http://127.0.0.1:${dead}`;
    const env = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_ENDPOINT_URL_DYNAMODB: base, AWS_ENDPOINT_URL_SECRETS_MANAGER: base, OUTCOME_TABLE_NAME: "tenant-outcomes", WEBHOOK_SECRET_ID: "local/webhook" };
    await mkdir(join(cwd, ".local"));
    await writeFile(join(cwd, ".local/stack.json"), JSON.stringify({ env, webhookUrl: `${base}/webhooks/tenant-signup`, statusUrl: "", backfillUrl: "", signupQueueUrl: "", dlqUrl: "" }));
    for (const args of [["status", "t-1"], ["send-webhook"]]) {
      const out = await cli(args, {}, cwd);
      expect(out.code, args.join(" ")).toBe(1);
      expect(out.stderr, args.join(" ")).toContain("does not answer: is `npm start` running?");
      // Named by the command, the cause spelled out (send-webhook said only "TypeError: fetch failed").
      expect(out.stderr, args.join(" ")).toMatch(new RegExp(`^error: ${args[0]}: .*ECONNREFUSED`));
      expect(out.stderr).not.toMatch(STACK_LINE);
    }
  });
});

describe("operator CLI: status --aws", () => {
  const newTable = useDynalite();

  // It printed "error: ResourceNotFoundException: Requested resource not found", naming neither the
  // command nor what was not found.
  it("a table that does not exist: exit 1 naming the command and pointing at --table", async () => {
    const { client } = await newTable();
    const endpoint = String(await client.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`));
    const env = { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
    const out = await cli(["status", "t-1", "--aws", "--table", "no-such-table"], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: status: ResourceNotFoundException: /);
    expect(out.stderr).toContain("check --table (or OUTCOME_TABLE_NAME) and the region");
    expect(out.stderr).not.toMatch(STACK_LINE);
  });

  it("needs only the table name (no provider configuration, no secrets)", async () => {
    const { store, tableName, client } = await newTable();
    await store.registerTenant("cli-t1", { tenantId: "cli-t1" }, "signup", ["sls-consumer-group", "im-group"]);
    const endpoint = String(await client.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`));
    const env = { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

    const out = await cli(["status", "cli-t1", "--aws"], { ...env, OUTCOME_TABLE_NAME: tableName });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ tenantId: "cli-t1", source: "signup", steps: [{ status: "PENDING" }, { status: "PENDING" }] });
    // The same view as GET /tenants/{id}: it lacked desired, generation and succeeded (an
    // offboarded tenant read like a present one), and showed store fields GET does not.
    const shown = JSON.parse(out.stdout) as Record<string, unknown> & { steps: Record<string, unknown>[] };
    expect(shown).toMatchObject({ desired: "PRESENT", generation: 1, succeeded: false });
    expect(Object.keys(shown.steps[0] ?? {})).not.toContain("planHash");

    const byFlag = await cli(["status", "cli-t1", "--aws", "--table", tableName], env);
    expect(byFlag.code).toBe(0);
    const unknown = await cli(["status", "never-seen", "--aws", "--table", tableName], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: status: tenant never-seen is not recorded\n");

    // A tenant id the service refuses is a bad argument (exit 2, usage), not a failure (exit 1); the
    // message names the field and its rule and never echoes the value.
    const refused = await cli(["status", "bad id!", "--aws", "--table", tableName], env);
    expect(refused.code).toBe(2);
    // Named by the command the operator ran, not by the store method that checked it ("getTenant:").
    expect(refused.stderr).toMatch(/^error: status: invalid input: tenantId: /);
    expect(refused.stderr).not.toContain("getTenant");
    expect(refused.stderr).toContain("usage: npm run cli -- status");
    expect(refused.stderr).not.toContain("bad id!");
    expect(refused.stderr).not.toMatch(STACK_LINE);

    // `failures --aws` needs only the table too (it needed every provider setting and secret id,
    // the configuration error an operator meets on a bad day, with only a table name at hand).
    const failures = await cli(["failures", "--aws"], { ...env, OUTCOME_TABLE_NAME: tableName });
    expect(failures.stderr).toBe("");
    expect(failures.code).toBe(0);
    expect(failures.stdout).toContain("0 failure(s)");
    expect((await cli(["failures", "--aws", "--table", tableName], env)).code).toBe(0);
  });
});

describe("operator CLI: the AWS region with --aws", () => {
  const newTable = useDynalite();

  /** An AWS config file with one profile, and env that reads no other (no ~/.aws, no instance metadata). */
  async function awsFiles(config: string, credentials = ""): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), "cli-aws-"));
    await writeFile(join(dir, "config"), config);
    await writeFile(join(dir, "credentials"), credentials);
    return { AWS_CONFIG_FILE: join(dir, "config"), AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"), AWS_EC2_METADATA_DISABLED: "true" };
  }

  // An operator whose profile holds the region (as `aws configure` writes it) got "AWS_REGION:
  // is required" from the outcome table while the SDK clients of the same run used the profile.
  it("takes the region as the AWS SDK does: AWS_REGION, else the profile's region", async () => {
    const { store, tableName, client } = await newTable();
    await store.registerTenant("cli-r1", { tenantId: "cli-r1" }, "signup", ["sls-consumer-group", "im-group"]);
    const endpoint = String(await client.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`));
    const files = await awsFiles("[profile ops]\nregion = eu-west-1\n", "[ops]\naws_access_key_id = local\naws_secret_access_key = local\n");
    const env = { ...files, AWS_PROFILE: "ops", AWS_ENDPOINT_URL_DYNAMODB: endpoint };
    const out = await cli(["status", "cli-r1", "--aws", "--table", tableName], env);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ tenantId: "cli-r1" });
  });

  it("AWS_REGION wins over the profile's region; without it the profile's region signs the calls", async () => {
    // A stand-in DynamoDB that records the region each request is signed for (SigV4 scope).
    const regions: string[] = [];
    const server = createServer((req, res) => {
      regions.push(/Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "(none)");
      req.resume();
      req.on("end", () => {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", message: "Requested resource not found" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const files = await awsFiles("[profile ops]\nregion = ap-southeast-9\n", "[ops]\naws_access_key_id = local\naws_secret_access_key = local\n");
      const env = { ...files, AWS_PROFILE: "ops", AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
      await cli(["status", "cli-r2", "--aws", "--table", "outcomes"], { ...env, AWS_REGION: "eu-central-1" });
      expect(new Set(regions)).toEqual(new Set(["eu-central-1"]));
      regions.length = 0;
      await cli(["status", "cli-r2", "--aws", "--table", "outcomes"], env);
      expect(new Set(regions)).toEqual(new Set(["ap-southeast-9"]));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Only AWS_DEFAULT_REGION (the AWS CLI's variable, which the JavaScript SDK does not read): the
  // table said "AWS_REGION: is required", replay-dlq "Region is missing", send-webhook
  // "Secrets Manager is unavailable ...; try again later".
  it("without one: exit 2 naming AWS_REGION and the profile, and why AWS_DEFAULT_REGION is not enough", async () => {
    const files = await awsFiles("[default]\noutput = json\n");
    const env = { ...files, AWS_DEFAULT_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", WEBHOOK_SECRET_ID: "hooks" };
    for (const args of [
      ["status", "t-1", "--aws", "--table", "outcomes"],
      ["replay-dlq", "--aws", "--dlq-url", "http://127.0.0.1:1/q"],
      ["send-webhook", "--aws", "--url", "http://127.0.0.1:1/hook"],
    ]) {
      const out = await cli(args, env);
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toMatch(/^error: no AWS region: set AWS_REGION, or a region in AWS profile "default"/);
      expect(out.stderr, args.join(" ")).toContain("AWS_DEFAULT_REGION is set, but the AWS SDK for JavaScript does not read it");
      expect(out.stderr, args.join(" ")).not.toMatch(STACK_LINE);
    }
    // Without AWS_DEFAULT_REGION the message does not mention it.
    const { AWS_DEFAULT_REGION: _unset, ...plain } = env;
    const out = await cli(["status", "t-1", "--aws", "--table", "outcomes"], { ...plain, AWS_PROFILE: "ops" });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: no AWS region: set AWS_REGION, or a region in AWS profile "ops"/);
    expect(out.stderr).not.toContain("AWS_DEFAULT_REGION");
  });
});

describe("command-line parsing", () => {
  const noop: CliCommand = { name: "noop", summary: "does nothing", usage: "[--n N]", options: { n: { type: "string" } }, positionals: { min: 0, max: 1 }, run: async () => {} };

  it("passes known options and positionals to the command", () => {
    const line = parseCommandLine(["noop", "x", "--n", "3", "--aws"], [noop]);
    expect(line).toMatchObject({ kind: "run", positionals: ["x"], values: { n: "3", aws: true } });
  });

  it("refuses a value-less string option and too many positionals", () => {
    expect(parseCommandLine(["noop", "--n"], [noop]).kind).toBe("usage-error");
    expect(parseCommandLine(["noop", "a", "b"], [noop]).kind).toBe("usage-error");
  });
});

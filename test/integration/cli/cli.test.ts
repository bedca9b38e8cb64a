/**
 * The operator CLI as an operator runs it: a child process (`node scripts/cli.ts …`), its exit
 * code, stdout and stderr. `status --aws` reads a real (dynalite) table given only its name.
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type CliCommand } from "../../../scripts/cli-args.ts";
import { useDynalite } from "../../support/dynalite.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "../../../scripts/cli.ts");

/** Runs the CLI in an empty directory (no .local/stack.json) with exactly `env` (plus PATH). */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = await mkdtemp(join(tmpdir(), "cli-"));
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
  });

  it("without a local stack, a command says to run npm start (exit 2), not a stack trace", async () => {
    const out = await cli(["status", "t-1"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("npm start");
    expect(out.stderr).not.toMatch(STACK_LINE);
  });
});

describe("operator CLI: status --aws", () => {
  const newTable = useDynalite();

  it("needs only the table name (no provider configuration, no secrets)", async () => {
    const { store, tableName, client } = await newTable();
    await store.registerTenant("cli-t1", { tenantId: "cli-t1" }, "signup", ["sls-consumer-group", "im-group"]);
    const endpoint = String(await client.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`));
    const env = { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

    const out = await cli(["status", "cli-t1", "--aws"], { ...env, OUTCOME_TABLE_NAME: tableName });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ tenantId: "cli-t1", source: "signup", steps: [{ status: "PENDING" }, { status: "PENDING" }] });

    const byFlag = await cli(["status", "cli-t1", "--aws", "--table", tableName], env);
    expect(byFlag.code).toBe(0);
    const unknown = await cli(["status", "never-seen", "--aws", "--table", tableName], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("not recorded");

    // A tenant id the service refuses is a bad argument (exit 2, usage), not a failure (exit 1); the
    // message names the field and its rule and never echoes the value.
    const refused = await cli(["status", "bad id!", "--aws", "--table", tableName], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("tenantId");
    expect(refused.stderr).toContain("usage: npm run cli -- status");
    expect(refused.stderr).not.toContain("bad id!");
    expect(refused.stderr).not.toMatch(STACK_LINE);
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

/**
 * `npm run cli -- logstores add|list`, run as the real CLI process with --aws against the local
 * stack (dynalite and the SLS sandbox): `add` counts what SLS already holds in each logstore,
 * `list` shows the registry; mistakes exit 2 with the usage, an unknown logstore exits 1.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureOutcomeTable } from "../../../src/local/dynamodb-table.ts";
import { LOCAL } from "../../../src/local/stack.ts";
import { useLocalStack } from "../../support/local-stack.ts";

const fx = useLocalStack({ slsLogstoreCount: 3 });
const run = promisify(execFile);
let table = "";

beforeAll(async () => {
  // An empty registry of its own (the stack registers its logstores in its table).
  const ddb = new DynamoDBClient({ endpoint: fx.stack.dynamodb.endpoint, region: LOCAL.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  table = `cli-logstores-${randomUUID().slice(0, 8)}`;
  await ensureOutcomeTable(ddb, table);
  ddb.destroy();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["scripts/cli.ts", "logstores", ...args], {
      env: { ...process.env, ...fx.stack.env, OUTCOME_TABLE_NAME: table },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const STACK_LINE = /^\s+at /m;
const store = (i: number) => `${LOCAL.slsLogstorePrefix}${i}`;

describe("npm run cli -- logstores", () => {
  it("add registers logstores with the groups SLS already holds counted; list shows them; adding again leaves them", { timeout: 120_000 }, async () => {
    const sls = fx.service().slsClientFor(store(0));
    await sls.createConsumerGroup({ name: "tenant-old-1", timeout: 60, order: false }, { deadline: Date.now() + 10_000 });
    await sls.createConsumerGroup({ name: "made-by-hand", timeout: 60, order: false }, { deadline: Date.now() + 10_000 });

    const added = await cli("add", store(0), store(1), "--aws");
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain(`added ${store(0)}: 2 consumer group(s) at SLS, 1 of them tenants'`);
    expect(added.stdout).toContain(`added ${store(1)}: 0 consumer group(s) at SLS, 0 of them tenants'`);
    expect((await cli("add", store(2), "--capacity", "5", "--aws")).code).toBe(0);

    const listed = await cli("list", "--aws");
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split("\n")).toEqual([`${store(0)}\t2/30\t-`, `${store(1)}\t0/30\t-`, `${store(2)}\t0/5\t-`, "3 logstore(s), room for 63 more consumer group(s)"]);

    const again = await cli("add", store(1), "--capacity", "9", "--aws");
    expect(again.stdout).toContain(`already registered, left as it is: ${store(1)}`);
    expect((await cli("list", "--aws")).stdout).toContain(`${store(1)}\t0/30\t-`);
  });

  it("a logstore SLS does not have is refused (exit 1, named), and nothing is registered", { timeout: 120_000 }, async () => {
    const out = await cli("add", "no-such-logstore", "--aws");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("LogStoreNotExist");
    expect(out.stderr).not.toMatch(STACK_LINE);
    expect((await cli("list", "--aws")).stdout).not.toContain("no-such-logstore");
  });

  it("mistakes print the usage and exit 2: unknown option, unknown action, no names, bad name, bad capacity", { timeout: 120_000 }, async () => {
    const cases = [["list", "--bogus"], ["frob"], ["add"], ["add", "Bad Name"], ["add", store(1), "--capacity", "0"], ["list", store(1)], []];
    const outs = await Promise.all(cases.map((args) => cli(...args, "--aws")));
    for (const [i, out] of outs.entries()) {
      const args = cases[i]!;
      expect(out.code, args.join(" ")).toBe(2);
      expect(out.stderr, args.join(" ")).toContain("usage: npm run cli -- logstores add NAME... [--capacity N] [--aws] | list [--aws]");
      expect(out.stderr, args.join(" ")).not.toMatch(STACK_LINE);
    }
    // A bad name is named by its position and rule; the operator's text is not echoed back.
    const named = await cli("add", store(1), "Bad Name", "--aws");
    expect(named.stderr).toMatch(/^error: logstores add: invalid input: NAME 2: only a-z, 0-9, _ and -; NAME 2: must start and end with a lowercase letter or digit\n/);
    expect(named.stderr).not.toContain("Bad Name");
    expect((await cli("frob-x1", "--aws")).stderr).not.toContain("frob-x1");
    // Over the registry's limit: named as the option, before SLS is asked (it was `logstores.0.capacity`, after).
    const slsCalls = fx.stack.sls.state().calls;
    const tooBig = await cli("add", store(1), "--capacity", "5000", "--aws");
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/^error: --capacity: at most 1000 /);
    expect(fx.stack.sls.state().calls).toEqual(slsCalls);
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run cli -- logstores add NAME\.\.\. \[--capacity N\] \[--aws\] \| list \[--aws\]/);
    expect(help.stdout).toContain("--capacity N");
  });
});

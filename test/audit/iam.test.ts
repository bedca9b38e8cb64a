/**
 * The IAM audit. Runs after every other test file (a later vitest group, see vitest.config.ts):
 * every AWS call a handler made during the handler, integration and reliability tests (recorded by
 * test/support/iam/record-aws-calls.ts) is checked against that function's role in the template
 * `npm run package` builds, with IAM's own matching. Locally nothing enforces IAM; this is where a
 * call the deployed role would refuse fails, naming the handler, the action and the resource.
 * When the whole suite ran, every grant must also have been exercised by some call, or be listed
 * below as unreachable from a test, so the roles stay minimal.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HANDLERS } from "../../scripts/esbuild-options.ts";
import { checkedCalls, deniedCalls, grantCoverage, grantsOf, type CheckedCall, type UnreachableGrant } from "../support/iam/audit.ts";
import { ResolvedStack, iamMatches, type Template } from "../support/iam/policy.ts";
import type { RecordedCall } from "../support/iam/record-aws-calls.ts";
import { IAM_AUDIT_DIR_VARIABLE } from "../support/iam/run-dir.ts";
import { PACKAGE_REGION, PACKAGE_STAGE, ROOT, packagedTemplate } from "../support/packaged-template.ts";

const ACCOUNT = "123456789012";

/**
 * Grants no test can exercise, because the Lambda service, not the function's code, makes these
 * calls with the function's role. Each must still match a grant (a stale entry fails).
 */
const UNREACHABLE_GRANTS: UnreachableGrant[] = [
  { functions: "*", action: "logs:CreateLogStream", why: "the Lambda runtime creates the function's log stream" },
  { functions: "*", action: "logs:PutLogEvents", why: "the Lambda runtime ships the function's stdout to CloudWatch Logs" },
  // The SQS event source mapping polls the queue with the function's role (AWS documents exactly
  // these three); src/local/sqs-event-source.ts stands in for it, outside the function's code.
  { functions: ["signup"], action: "sqs:ReceiveMessage", why: "the SQS event source mapping receives batches for the function" },
  { functions: ["signup"], action: "sqs:DeleteMessage", why: "the SQS event source mapping deletes the records the function acknowledged" },
  { functions: ["signup"], action: "sqs:GetQueueAttributes", why: "the SQS event source mapping reads the queue's attributes" },
];

const runDir = process.env[IAM_AUDIT_DIR_VARIABLE];
let stack: ResolvedStack;
/** Distinct (handler, action, resource). */
let calls: CheckedCall[] = [];
/** Every recorded call, with what its conditions need (e.g. a different partition key each). */
let observed: CheckedCall[] = [];
let unsupported: string[] = [];
let wholeSuiteRan = false;
let missingFiles: string[] = [];
const summary = { denied: 0, grants: 0, exercised: 0, unreachable: 0, unexercised: 0 };

function readLines(prefix: string): string[] {
  if (!runDir || !existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((f) => f.startsWith(prefix))
    .sort()
    .flatMap((f) => readFileSync(join(runDir, f), "utf8").split("\n").filter(Boolean));
}

function suiteTestFiles(dir = join(ROOT, "test")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "audit" ? [] : suiteTestFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

beforeAll(async () => {
  stack = new ResolvedStack((await packagedTemplate()) as Template, { region: PACKAGE_REGION, account: ACCOUNT, stackName: `tenant-provisioner-${PACKAGE_STAGE}` });
  ({ observed, calls, unsupported } = checkedCalls(stack, readLines("calls-").map((line) => JSON.parse(line) as RecordedCall)));
  const ran = new Set(readLines("files-"));
  missingFiles = suiteTestFiles()
    .filter((f) => !ran.has(f))
    .map((f) => relative(ROOT, f))
    .sort();
  wholeSuiteRan = missingFiles.length === 0;
}, 180_000);

afterAll(() => {
  const line =
    `IAM audit: ${calls.length} distinct (handler, action, resource) calls checked against the packaged roles, ${summary.denied} denied; ` +
    (wholeSuiteRan
      ? `${summary.grants} grants: ${summary.exercised} exercised, ${summary.unreachable} unreachable by tests (allow-listed), ${summary.unexercised} never exercised`
      : `grant coverage not checked (${missingFiles.length} suite files did not run)`);
  console.info(line);
  if (runDir) writeFileSync(join(runDir, "summary.txt"), `${line}\n`);
});

const HANDLER_NAMES = HANDLERS;

describe("IAM: every AWS call a handler makes is allowed by its function's role", () => {
  it("recorded calls from the handlers under test (the recorder is live)", () => {
    expect(runDir, `${IAM_AUDIT_DIR_VARIABLE} is set by vitest.config.ts`).toBeTruthy();
    expect(calls.length, "no handler made an AWS call in this run: the audit checks what the suite records (run it with npm test)").toBeGreaterThan(0);
    for (const [id, fn] of stack.ofType("AWS::Lambda::Function")) {
      const handler = /^handlers\/(\w+)\.handler$/.exec(String(fn.Properties?.Handler))?.[1];
      expect(handler, `${id}'s handler is a handlers/<name>.ts module`).toBeDefined();
      if (wholeSuiteRan) expect(calls.some((c) => c.handler === handler), `${handler} made AWS calls in the suite`).toBe(true);
    }
  });

  it("understands every call (service, action and resource)", () => {
    expect(unsupported).toEqual([]);
  });

  it.each(HANDLER_NAMES)("%s: its role allows every call it made", (handler) => {
    const denied = deniedCalls(stack, handler, observed);
    summary.denied += denied.length;
    expect(denied).toEqual([]);
  });

  it.each(HANDLER_NAMES)("%s: every AWS client it calls through is bounded by the invocation deadline", (handler) => {
    const unbounded = calls.filter((c) => c.handler === handler && !c.deadlineBound).map((c) => `${c.client}: ${c.action} on ${c.arn}`);
    expect(unbounded, "build the client with awsClientOptions() (src/aws/client-options.ts)").toEqual([]);
  });
});

describe("IAM: every grant is exercised by the suite, or listed as unreachable", () => {
  it.each(HANDLER_NAMES)("%s: no grant is unused", (handler) => {
    // Only the whole suite can show a grant unused (the afterAll line says when it was skipped).
    if (!wholeSuiteRan) return;
    const coverage = grantCoverage(stack, handler, calls, UNREACHABLE_GRANTS);
    summary.grants += coverage.grants;
    summary.exercised += coverage.exercised;
    summary.unreachable += coverage.unreachable;
    summary.unexercised += coverage.unused.length;
    expect(coverage.unused).toEqual([]);
  });

  it("lists no unreachable grant that the roles do not have", () => {
    for (const u of UNREACHABLE_GRANTS) {
      const handlers = u.functions === "*" ? [...HANDLER_NAMES] : u.functions;
      for (const handler of handlers) {
        expect(grantsOf(stack, handler).some((g) => iamMatches(u.action, g.action, true)), `${handler} ${u.action} (${u.why})`).toBe(true);
      }
    }
  });
});

afterAll(() => {
  // The run dir is this run's alone; the reporter prints summary.txt, then it may go.
  if (runDir && process.env.KEEP_IAM_AUDIT_DIR !== "1") {
    for (const f of readdirSync(runDir)) if (f !== "summary.txt") rmSync(join(runDir, f), { force: true });
  }
});

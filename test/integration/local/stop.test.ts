/**
 * `npm start` stopping with work in flight: it says it is stopping and is gone within its grace
 * period, though a provider call hangs (it waited for every call in flight, silently: 28 s with an
 * 8 s IM latency, so users pressed Ctrl-C again to no effect and reached for kill -9).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { LocalStackState } from "../../../src/local/local-service.ts";
import { until } from "../../handlers/harness.ts";

const START = join(import.meta.dirname, "../../../scripts/start.ts");
const CLI = join(import.meta.dirname, "../../../scripts/cli.ts");

it("Ctrl-C with a provider call hanging: says it is stopping, exits within its 5 s grace", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "local-stop-"));
  const ports = ["LOCAL_HTTP_PORT", "LOCAL_SQS_PORT", "LOCAL_DYNAMODB_PORT", "LOCAL_SECRETS_PORT", "LOCAL_SLS_PORT", "LOCAL_IM_PORT", "LOCAL_EVENTBRIDGE_PORT"];
  const env = { PATH: process.env.PATH ?? "", ...Object.fromEntries(ports.map((p) => [p, "0"])), LOCAL_BACKFILL_EVERY_MS: "0" };
  const child = spawn(process.execPath, [START], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    await until(() => output.includes("is running locally") || child.exitCode !== null, "npm start to come up", 60_000);
    const state = JSON.parse(await readFile(join(cwd, ".local/stack.json"), "utf8")) as LocalStackState;
    // Every IM group creation hangs: the webhook's provisioning stays in flight.
    const faults = await fetch(`${state.env.IM_CONNECT_TO}/__sandbox/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rules: [{ kind: "hang", operation: "create_group" }] }) });
    expect(faults.status).toBe(200);
    const sender = spawn(process.execPath, [CLI, "send-webhook", "--tenant", "stop-1"], { cwd, env, stdio: "ignore" });
    // Wait until the hanging create_group call is in flight.
    const createGroupCalls = async () => ((await (await fetch(`${state.env.IM_CONNECT_TO}/__sandbox/state`)).json()) as { counters: { calls: Record<string, number> } }).counters.calls["create_group"] ?? 0;
    for (let i = 0; i < 300 && (await createGroupCalls()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await createGroupCalls()).toBeGreaterThan(0);
    const signalledAt = Date.now();
    child.kill("SIGINT");
    await exited;
    sender.kill();
    expect(output).toContain("stopping: finishing the work in flight");
    expect(Date.now() - signalledAt).toBeLessThan(9_000);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}, 90_000);

/**
 * `osls package` run the way CI (and a developer without AWS credentials) runs it: from a scratch
 * service dir, offline, with no AWS variables in the environment. Shared by the template test and
 * the IAM audit, so the audit checks the roles of exactly the template the deploy would use; the
 * first packaging in a run leaves the template in the run's audit dir for the other to reuse.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { IAM_AUDIT_DIR_VARIABLE } from "./iam/run-dir.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The stage and region every packaging in the suite uses. */
export const PACKAGE_STAGE = "ci";
export const PACKAGE_REGION = "eu-central-1";

/** A finished `osls package`: its output dir and how long it took. */
export interface PackagedService {
  /** `<scratch service dir>/.serverless`: the template, serverless-state.json and the zips. */
  outDir: string;
  seconds: number;
  /** The CloudFormation template (parsed `cloudformation-template-update-stack.json`). */
  template: unknown;
  /** Removes the scratch service dir. */
  cleanup(): void;
}

/**
 * Packages the service. osls empties `<service dir>/.serverless` on every package, and
 * serverless-esbuild works in `<service dir>/.esbuild`: packaging happens in a scratch service dir
 * whose entries link to the working tree, so it never touches a developer's (or a concurrent
 * run's) output.
 *
 * @example
 * ```ts
 * const packaged = await packageService();
 * const template = JSON.parse(readFileSync(join(packaged.outDir, "cloudformation-template-update-stack.json"), "utf8"));
 * ```
 */
export async function packageService(): Promise<PackagedService> {
  const serviceDir = mkdtempSync(join(tmpdir(), "tp-service-"));
  for (const entry of readdirSync(ROOT)) {
    if ([".git", ".serverless", ".esbuild", "serverless.yml"].includes(entry)) continue;
    symlinkSync(join(ROOT, entry), join(serviceDir, entry));
  }
  copyFileSync(join(ROOT, "serverless.yml"), join(serviceDir, "serverless.yml")); // osls wants a real file
  const outDir = join(serviceDir, ".serverless");
  // No AWS credentials or profile reach the package step: it must not need any.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^AWS_/.test(k) || k === "AWS_CA_BUNDLE") env[k] = v;
  }
  const started = performance.now();
  try {
    await promisify(execFile)(
      process.execPath,
      [join(ROOT, "node_modules/osls/bin/serverless.js"), "package", "--stage", PACKAGE_STAGE, "--region", PACKAGE_REGION],
      { cwd: serviceDir, env, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    rmSync(serviceDir, { recursive: true, force: true });
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`osls package failed:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const text = readFileSync(join(outDir, "cloudformation-template-update-stack.json"), "utf8");
  const shared = sharedTemplatePath();
  if (shared) {
    mkdirSync(dirname(shared), { recursive: true });
    writeFileSync(shared, text);
  }
  return { outDir, seconds, template: JSON.parse(text) as unknown, cleanup: () => rmSync(serviceDir, { recursive: true, force: true }) };
}

/** Where this run's packaged template is left for the IAM audit (undefined outside vitest's config). */
function sharedTemplatePath(): string | undefined {
  const dir = process.env[IAM_AUDIT_DIR_VARIABLE];
  return dir ? join(dir, "cloudformation-template.json") : undefined;
}

/**
 * This run's packaged template: the one the template test already packaged, or a fresh package.
 *
 * @example
 * ```ts
 * const template = await packagedTemplate();
 * ```
 */
export async function packagedTemplate(): Promise<unknown> {
  const shared = sharedTemplatePath();
  if (shared && existsSync(shared)) return JSON.parse(readFileSync(shared, "utf8")) as unknown;
  const packaged = await packageService();
  packaged.cleanup();
  return packaged.template;
}

// @ts-check
/**
 * Mutation testing (`npm run mutate`, not part of `npm test`: it reruns the related tests once
 * per mutant, far too slow for CI on 2 cores). One module at a time is the practical unit:
 *
 *   npm run mutate -- --mutate src/http/retry.ts
 *
 * The score per module and how it was measured are in README ("Mutation testing").
 */
import { mkdirSync, symlinkSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const tempDirName = ".stryker-tmp";
// The vector tests read ../shared/vectors beside the repository. Stryker runs the tests in a
// copy at .stryker-tmp/sandbox-*/, where ../shared is .stryker-tmp/shared: point it at the
// real one so the copy sees the same files.
const shared = resolve(root, "..", "shared");
const sharedInSandbox = join(root, tempDirName, "shared");
if (existsSync(shared) && !existsSync(sharedInSandbox)) {
  mkdirSync(join(root, tempDirName), { recursive: true });
  symlinkSync(shared, sharedInSandbox, "dir");
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // vitest.stryker.config.ts leaves out the suites that cost minutes per rerun and kill nothing
  // in this scope (README "Mutation testing").
  vitest: { configFile: "vitest.stryker.config.ts", related: false, pool: "forks" },
  plugins: ["@stryker-mutator/vitest-runner"],
  mutate: [
    "src/providers/**/*.ts",
    "src/http/**/*.ts",
    "src/outcomes/**/*.ts",
    "src/webhook/**/*.ts",
    "src/provisioning/**/*.ts",
    "handlers/**/*.ts",
    // Types and re-exports hold no behaviour.
    "!**/types.ts",
    "!**/index.ts",
  ],
  // Only the tests that reach a mutant run for it; mutants reached only while a module loads
  // (constants) would need every test, so they are left out.
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  // The machine is 2 cores shared with other work: two test runners at most.
  concurrency: 2,
  // Tests start real local servers; a mutant that makes one hang is a kill by timeout.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 15,
  // Later runs re-test only mutants whose code or tests changed.
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  tempDirName,
  cleanTempDir: true,
  ignorePatterns: ["bench/.out", "bench/results", "coverage", ".local", "dist", ".build", ".serverless", ".esbuild"],
  reporters: ["clear-text", "progress", "html", "json"],
  clearTextReporter: { logTests: false, allowEmojis: false },
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 85, low: 70, break: null },
};

import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { IAM_AUDIT_DIR_VARIABLE } from "./test/support/iam/run-dir.ts";

// Used only by Stryker (stryker.config.mjs), never by `npm test`. Stryker reruns, per mutant,
// every test that reached it. Left out, measured on 2026-11-30 (README "Mutation testing"):
const leftOut = [
  // IAM audit: reads what the other files recorded, so it cannot run on its own.
  "test/audit/**",
  // Packaged CloudFormation template and fleet budget: packaging costs ~18 s per rerun and the
  // tests read the template and config constants, not the mutated behaviour.
  "test/deploy/**",
  // Whole-service chaos (37 s per rerun) and the bad-input corpus over HTTP (10 s): the same code
  // paths are reached by the focused handler, store and client tests.
  "test/reliability/chaos.test.ts",
  "test/reliability/bad-input.test.ts",
  // Source-text checks (layering, constant-time compare) would read the instrumented copy, and
  // the bundle check runs esbuild: none runs mutated code.
  "test/unit/architecture/**",
  "test/unit/security/**",
  "test/unit/bundle/**",
];

// STRYKER_TESTS (comma-separated globs) narrows the run to a module's own tests, e.g. the store's:
// a score so measured is a lower bound (a mutant only the whole-service tests kill counts as
// survived), at a fraction of the time.
const only = process.env.STRYKER_TESTS?.split(",").filter((glob) => glob.length > 0);

process.env[IAM_AUDIT_DIR_VARIABLE] ??= join(tmpdir(), `tp-iam-audit-stryker-${process.pid}-${Date.now()}`);

export default defineConfig({
  test: {
    // The caps of vitest.config.ts (for a hang on a loaded 2-core machine); a mutant that hangs is
    // stopped earlier by Stryker's own timeout (timeoutMS, timeoutFactor).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    restoreMocks: true,
    env: { [IAM_AUDIT_DIR_VARIABLE]: process.env[IAM_AUDIT_DIR_VARIABLE] },
    setupFiles: ["./test/support/iam/record-aws-calls.ts"],
    include: only?.length ? only : ["test/**/*.test.ts"],
    exclude: leftOut,
  },
});

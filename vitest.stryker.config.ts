import { defineConfig } from "vitest/config";
import suite from "./vitest.config.ts";

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

// The suite's own settings (hang caps, pool, setup file, environment), without its projects,
// coverage and reporters: Stryker runs one flat list of files and measures coverage itself. A
// mutant that hangs is stopped earlier by Stryker's own timeout (timeoutMS, timeoutFactor).
const { testTimeout, hookTimeout, pool, restoreMocks, env, setupFiles } = suite.test ?? {};

export default defineConfig({
  test: {
    testTimeout,
    hookTimeout,
    pool,
    restoreMocks,
    env,
    setupFiles,
    include: only?.length ? only : ["test/**/*.test.ts"],
    exclude: leftOut,
  },
});

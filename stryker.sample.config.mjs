// @ts-check
/**
 * A uniform random sample of mutants, for an estimate where running every mutant would take too
 * long (README "Mutation testing"): STRYKER_SAMPLE names the sample's location list (see
 * scripts/stryker/sample-ignorer.mjs). Results go to their own report and leave the incremental
 * file of the exact runs alone (its ignored mutants would otherwise be reused as ignored).
 */
import base from "./stryker.config.mjs";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  plugins: [...(base.plugins ?? []), "./scripts/stryker/sample-ignorer.mjs"],
  ignorers: ["sample"],
  // Its own incremental file: a run stopped early keeps what it finished.
  incremental: true,
  incrementalFile: "reports/stryker-sample-incremental.json",
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation-sample/mutation.json" },
};

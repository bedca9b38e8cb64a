// @ts-check
/**
 * A Stryker ignorer that keeps only a sample of the mutants (`npm run mutate -- -c
 * stryker.sample.config.mjs`, see README "Mutation testing"): the file named by STRYKER_SAMPLE
 * lists mutant locations (`{ file, start: [line, column], end: [line, column] }`, lines from 1,
 * columns from 0, as Babel counts). A node is ignored when no listed location lies inside it.
 * Ignoring a node ignores everything inside it, so the nodes that enclose a listed location stay
 * (their mutants are tested too; the estimate counts only the listed ones).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

/** @type {Map<string, { start: [number, number]; end: [number, number] }[]>} */
const byFile = new Map();
const samplePath = process.env.STRYKER_SAMPLE;
if (samplePath) {
  for (const entry of JSON.parse(readFileSync(samplePath, "utf8"))) {
    const list = byFile.get(entry.file) ?? [];
    list.push(entry);
    byFile.set(entry.file, list);
  }
}

/** @param {[number, number]} a @param {[number, number]} b */
const before = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "sample", {
    shouldIgnore(path) {
      const loc = path.node.loc;
      const fileName = path.hub?.file?.opts?.filename;
      if (!loc || !fileName) return undefined;
      const listed = byFile.get(relative(process.cwd(), fileName).split("\\").join("/"));
      if (!listed) return "not in the sample";
      /** @type {[number, number]} */
      const start = [loc.start.line, loc.start.column];
      /** @type {[number, number]} */
      const end = [loc.end.line, loc.end.column];
      const holdsOne = listed.some((m) => before(start, m.start) && before(m.end, end));
      return holdsOne ? undefined : "not in the sample";
    },
  }),
];

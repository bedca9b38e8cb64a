import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { IAM_AUDIT_DIR_VARIABLE } from "./iam/run-dir.ts";

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, which CI reads as the
 * run's result (vitest's own summary is coloured and laid out for people). Before it, the IAM
 * audit's one-line summary (test/audit/iam.test.ts), when the audit ran; the run's audit dir is
 * removed then.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    const auditDir = process.env[IAM_AUDIT_DIR_VARIABLE];
    if (auditDir && existsSync(auditDir)) {
      const summary = join(auditDir, "summary.txt");
      if (existsSync(summary)) process.stdout.write(`\n${readFileSync(summary, "utf8").trim()}`);
      if (process.env.KEEP_IAM_AUDIT_DIR !== "1") rmSync(auditDir, { recursive: true, force: true });
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

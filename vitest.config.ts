import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real local servers (sandboxes, dynalite); give them room on a
    // shared 2-core machine without hiding a hang.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    restoreMocks: true,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});

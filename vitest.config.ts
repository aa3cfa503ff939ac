import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The datasets' self-checks run alone afterwards (vitest.datasets.config.ts).
    exclude: ["test/datasets/**", "**/node_modules/**"],
    // Integration tests start real sandboxes; two cores do not gain from more parallel files.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});

import { defineConfig } from "vitest/config";

/**
 * Files that generate with the embedded model end to end. They run one at a time, after the others: llama.cpp's
 * threads spin while they wait for each other, so two model processes on two cores slowed a learn run 6x
 * (28 s alone, 172 s beside `bench run`) and once stalled a single 96-token call past its 120 s timeout in CI.
 */
const EMBEDDED_MODEL_FILES = [
  "test/integration/bench-run.test.ts",
  "test/integration/learn-cli.test.ts",
  "test/integration/local-model.test.ts",
  "test/integration/queue.test.ts",
  "test/integration/review-cli.test.ts",
  "test/integration/review-web.test.ts",
  "test/integration/solve-cli.test.ts",
];

const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: "forks",
  // What a test waits for (a sandbox's end, a freed place, a process) can take seconds on a loaded 2-core
  // machine; vitest's default of 1 s made those waits fixed sleeps in disguise.
  expect: { poll: { timeout: 10_000 } },
} as const;

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["./test/temp-dir-setup.ts"],
    projects: [
      {
        test: {
          ...shared,
          name: "main",
          include: ["test/**/*.test.ts"],
          // The datasets' self-checks run alone afterwards (vitest.datasets.config.ts).
          exclude: ["test/datasets/**", "**/node_modules/**", ...EMBEDDED_MODEL_FILES],
          // Integration tests start real sandboxes; two cores do not gain from more parallel files.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "embedded-model",
          include: EMBEDDED_MODEL_FILES,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

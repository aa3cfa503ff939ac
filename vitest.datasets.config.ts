import { defineConfig } from "vitest/config";

// The self-check of every dataset: minutes of CPU, run on its own after the other tests so their load cannot
// stretch the reference timings it measures (EvalPlus caps a phase at 61 s; MBPP+'s Mbpp/599 takes 43 s).
export default defineConfig({
  test: {
    include: ["test/datasets/**/*.test.ts"],
    maxWorkers: 1,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
    globalSetup: ["./test/temp-dir-setup.ts"],
  },
});

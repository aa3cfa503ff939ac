import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { evaluateSamples, loadDataset } from "../../src/bench/index.ts";
import { DATASETS_DIR, datasetsUnavailableReason, OUTPUT_CHECK_TIME_LIMITS } from "../helpers/datasets.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const missing = datasetsUnavailableReason() ?? sandboxUnavailableReason();
// Cold: the reference outputs and times are computed here, as on a first run.
const groundTruthDir = mkdtempSync(join(tmpdir(), "litmus-ground-truth-"));

describe.skipIf(missing)(`every dataset's reference solutions pass (${missing ?? "all tasks, real sandboxes"})`, () => {
  test.each([
    ["humaneval", 164],
    ["humaneval+", 164],
    ["humaneval+mini", 164],
    ["mbpp", 974],
    ["mbpp-sanitized", 427],
    ["mbpp+", 378],
  ])("%s: all %i reference solutions pass", { timeout: 600_000 }, async (name, tasks) => {
    const dataset = await loadDataset(name, { datasetsDir: DATASETS_DIR, download: false });
    const summary = await evaluateSamples({
      dataset,
      tasks: dataset.tasks,
      samples: "self-check",
      groundTruthDir,
      timeLimits: OUTPUT_CHECK_TIME_LIMITS,
    });
    expect([summary.samples, summary.passAtK, summary.failures, summary.referenceFailures]).toEqual([
      tasks,
      { "pass@1": 1 },
      [],
      [],
    ]);
    if (summary.basePassAtK) expect(summary.basePassAtK).toEqual({ "pass@1": 1 });
  });
});

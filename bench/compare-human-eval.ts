// The HumanEval self-check of litmus (sandboxed) against openai/human-eval's check_correctness (unsandboxed),
// on the same machine in the same run, rounds alternating so machine noise hits both alike.
//
//   node bench/compare-human-eval.ts --human-eval PATH_TO_HUMAN_EVAL_CHECKOUT [--rounds 5] [--workers 2]
//
// Datasets come from $LITMUS_DATASETS_DIR (default ../shared/datasets). human-eval's code is never part of
// litmus: point --human-eval at a checkout of github.com/openai/human-eval.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { evaluateSamples, loadDataset } from "../src/index.ts";

const { values } = parseArgs({
  options: {
    "human-eval": { type: "string" },
    rounds: { type: "string", default: "5" },
    workers: { type: "string", default: "2" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
if (!values["human-eval"]) throw new Error("give --human-eval PATH (a checkout of github.com/openai/human-eval)");
const workers = Number(values.workers);
const rounds = Number(values.rounds);
const datasetsDir = process.env.LITMUS_DATASETS_DIR ?? new URL("../../shared/datasets", import.meta.url).pathname;
const dataset = await loadDataset("humaneval", { datasetsDir, download: false });
const groundTruthDir = mkdtempSync(join(tmpdir(), "litmus-ground-truth-"));

async function litmusSeconds(): Promise<{ seconds: number; passed: number }> {
  const summary = await evaluateSamples({
    dataset,
    tasks: dataset.tasks,
    samples: "self-check",
    workers,
    groundTruthDir,
  });
  return { seconds: summary.durationMs / 1000, passed: summary.perTask.filter((task) => task.c === task.n).length };
}

function humanEvalSeconds(): { seconds: number; passed: number } {
  const output = execFileSync(
    values.python as string,
    [
      new URL("./human_eval_baseline.py", import.meta.url).pathname,
      values["human-eval"] as string,
      dataset.path,
      String(workers),
    ],
    { encoding: "utf8" },
  );
  const result = JSON.parse(output) as { seconds: number; passed: number };
  return { seconds: result.seconds, passed: result.passed };
}

const cold = await litmusSeconds(); // computes and caches the reference timings: reported, not a round
console.error(`litmus, first run (reference timings computed): ${cold.seconds.toFixed(2)} s, ${cold.passed}/164 pass`);
const rows: Array<{ round: number; humanEval: number; litmus: number }> = [];
for (let round = 1; round <= rounds; round++) {
  const baseline = humanEvalSeconds();
  const ours = await litmusSeconds();
  if (baseline.passed !== 164 || ours.passed !== 164)
    throw new Error(`not all canonical solutions passed: human-eval ${baseline.passed}, litmus ${ours.passed}`);
  rows.push({ round, humanEval: baseline.seconds, litmus: ours.seconds });
  console.error(`round ${round}: human-eval ${baseline.seconds.toFixed(2)} s, litmus ${ours.seconds.toFixed(2)} s`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const humanEval = median(rows.map((row) => row.humanEval));
const litmus = median(rows.map((row) => row.litmus));
console.log(
  JSON.stringify(
    {
      workers,
      rounds: rows,
      median: {
        humanEvalSeconds: humanEval,
        litmusSeconds: litmus,
        speedup: Math.round((humanEval / litmus) * 100) / 100,
      },
      litmusFirstRunSeconds: cold.seconds,
    },
    null,
    2,
  ),
);

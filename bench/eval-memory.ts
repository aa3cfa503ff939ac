// Memory of `litmus bench eval` as the number of samples grows: the samples file is streamed and results are
// written as they come, so the peak memory of the litmus process should not grow with the samples.
//
//   node bench/eval-memory.ts [--per-task 1,4,16]
//
// Each size is a HumanEval samples file with N samples per task (alternately the reference completion and a
// wrong one), scored by the real CLI; the peak RSS of the litmus process comes from GNU time (/usr/bin/time).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";

const { values } = parseArgs({ options: { "per-task": { type: "string", default: "1,4,16" } } });
const datasetsDir = process.env.LITMUS_DATASETS_DIR ?? new URL("../../shared/datasets", import.meta.url).pathname;
const problems = gunzipSync(readFileSync(join(datasetsDir, "humaneval/HumanEval.jsonl.gz")))
  .toString("utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as { task_id: string; canonical_solution: string });
const bin = new URL("../bin/litmus.js", import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), "litmus-eval-memory-"));
const rows: Array<{ samples: number; peakRssMiB: number; seconds: number; passAt1: number }> = [];

for (const perTask of (values["per-task"] as string).split(",").map(Number)) {
  const path = join(directory, `samples-${perTask}.jsonl`);
  const lines: string[] = [];
  for (const problem of problems) {
    for (let i = 0; i < perTask; i++) {
      const completion = i % 2 === 0 ? problem.canonical_solution : "    return None\n";
      lines.push(JSON.stringify({ task_id: problem.task_id, completion }));
    }
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  const started = performance.now();
  const stderrFile = join(directory, `time-${perTask}.txt`);
  const stdout = execFileSync(
    "/usr/bin/time",
    [
      "-f",
      "%M",
      "-o",
      stderrFile,
      process.execPath,
      bin,
      "bench",
      "eval",
      path,
      "--dataset",
      "humaneval",
      "--k",
      "1",
      "--json",
    ],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, LITMUS_DATASETS_DIR: datasetsDir },
    },
  );
  const summary = JSON.parse(stdout) as { samples: number; passAtK: Record<string, number> };
  const peakKiB = Number(readFileSync(stderrFile, "utf8").trim().split("\n").at(-1));
  rows.push({
    samples: summary.samples,
    peakRssMiB: Math.round(peakKiB / 1024),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    passAt1: summary.passAtK["pass@1"] ?? Number.NaN,
  });
  console.error(`${summary.samples} samples: peak RSS ${Math.round(peakKiB / 1024)} MiB`);
}
console.log(JSON.stringify(rows, null, 2));

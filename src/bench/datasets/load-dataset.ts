import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { LitmusError } from "../../errors.ts";
import { loadTaskFile, type Task } from "../../loop/index.ts";
import { loadTaskSuite } from "../task-suite-bench.ts";
import { type BenchTask, DIFFICULTIES, type Difficulty } from "./bench-task.ts";
import { detectFormat, RAW_INPUT_FIELDS, tasksOf } from "./formats.ts";
import { type LocateDatasetOptions, locateDataset } from "./locate-dataset.ts";
import { readRecords } from "./read-records.ts";
import type { DatasetFormat } from "./registry.ts";

/** A dataset read into bench tasks. */
export interface Dataset {
  /** The known name ("humaneval+") or the path it was read from. */
  name: string;
  path: string;
  /** sha256 of the file (of the tasks, for task files): results are only comparable for the same data. */
  sha256: string;
  format: DatasetFormat | "litmus";
  tasks: BenchTask[];
}

/** Finds (see locateDataset) and reads a dataset. */
export async function loadDataset(nameOrPath: string, options: LocateDatasetOptions = {}): Promise<Dataset> {
  const located = await locateDataset(nameOrPath, options);
  const name = located.known?.name ?? nameOrPath;
  if ((await stat(located.path)).isDirectory() || /\.ya?ml$/.test(located.path)) {
    const tasks = (await stat(located.path)).isDirectory()
      ? await loadTaskSuite(located.path)
      : [await loadTaskFile(located.path)];
    // Task files change in place: their content, not their path, identifies the version (and its cached timings).
    const sha256 = createHash("sha256").update(JSON.stringify(tasks)).digest("hex");
    return { name, path: located.path, sha256, format: "litmus", tasks: tasks.map(benchTaskOf(name)) };
  }
  const records = await readRecords(located.path, RAW_INPUT_FIELDS);
  if (records.length === 0) throw new LitmusError("BAD_INPUT", `${located.path} holds no tasks`);
  const format = located.known?.format ?? detectFormat(records[0]?.record, located.path);
  const tasks = withDifficulty(tasksOf(format, records, name, basename(located.path)));
  return { name, path: located.path, sha256: located.sha256, format, tasks };
}

/** A litmus task as a bench task: its hidden tests score (its visible tests when it has none). */
function benchTaskOf(dataset: string): (task: Task) => BenchTask {
  return (task) => {
    const scoring = task.hiddenTests ?? task.tests;
    if (!scoring) throw new LitmusError("BAD_INPUT", `task ${task.id} has no tests to score a solution with`);
    return {
      id: task.id,
      dataset,
      language: task.language,
      prompt: task.prompt,
      entryPoint: task.entryPoint,
      signature: task.signature,
      starter: task.starter,
      samplePrefix: task.starter ?? "",
      canonicalSolution: task.solution,
      visibleTests: task.hiddenTests ? task.tests : null,
      scoring: { kind: "tests", tests: scoring },
      split: null,
      difficulty: difficultyTag(task.tags),
      tags: task.tags,
    };
  };
}

/** `difficulty:easy|medium|hard` among a task's tags. */
function difficultyTag(tags: string[]): Difficulty | null {
  const tag = tags.find((candidate) => candidate.startsWith("difficulty:"))?.slice("difficulty:".length);
  return (DIFFICULTIES as readonly string[]).includes(tag ?? "") ? (tag as Difficulty) : null;
}

/**
 * Difficulty by the size of the reference solution: the shortest third of the dataset's tasks are "easy", the
 * longest third "hard". A proxy (the datasets carry no labels), but a stable one: it depends on the whole
 * dataset, not on the subset run.
 */
function withDifficulty(tasks: BenchTask[]): BenchTask[] {
  const sizeOf = (task: BenchTask) => codeLines(task.canonicalSolution, task.starter);
  const sizes = tasks.map(sizeOf).sort((a, b) => a - b);
  const easyUpTo = sizes[Math.floor(sizes.length / 3)] ?? 0;
  const mediumUpTo = sizes[Math.floor((2 * sizes.length) / 3)] ?? 0;
  return tasks.map((task) => {
    const size = sizeOf(task);
    return { ...task, difficulty: size <= easyUpTo ? "easy" : size <= mediumUpTo ? "medium" : "hard" };
  });
}

/** Non-blank lines the reference solution adds to the starter. */
function codeLines(solution: string | null, starter: string | null): number {
  const added = solution && starter && solution.startsWith(starter) ? solution.slice(starter.length) : (solution ?? "");
  return added.split("\n").filter((line) => line.trim() !== "").length;
}

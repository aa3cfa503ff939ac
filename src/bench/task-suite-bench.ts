import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { LitmusError } from "../errors.ts";
import { loadTaskFile, type Outcome, type SolveOptions, solve, type Task } from "../loop/index.ts";
import { round } from "./stats.ts";

/** How one task of a suite went. */
export interface TaskResult {
  taskId: string;
  /** The attempt that passed the visible tests, or `null`. */
  solvedAtAttempt: number | null;
  attempts: number;
  hiddenPassed: boolean | null;
  diagnoses: string[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  durationMs: number;
}

/** The success rates of a model on a task suite within 1 attempt and within all of them. */
export interface TaskSuiteReport {
  model: string;
  tasks: number;
  maxAttempts: number;
  /** Share of tasks whose first attempt passed the visible tests (attempt 1 does not depend on maxAttempts). */
  successAt1: number;
  /** Share of tasks solved within `maxAttempts`. */
  successAtMax: number;
  /** Share of tasks whose final code passed the hidden tests too. */
  hiddenPassRate: number;
  results: TaskResult[];
  durationMs: number;
}

/** Reads every task file (.yaml, .yml, .json) in `directory`, sorted by name. */
export async function loadTaskSuite(directory: string): Promise<Task[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot read the task directory ${directory}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  if (names.length === 0) throw new LitmusError("BAD_INPUT", `${directory} holds no task files (.yaml, .yml, .json)`);
  return Promise.all(names.map((name) => loadTaskFile(join(directory, name))));
}

/** Solves every task with the same settings and reports success at 1 and at `maxAttempts` attempts. */
export async function benchmarkTaskSuite(
  tasks: Task[],
  options: Omit<SolveOptions, "onEvent"> & { onTaskEnd?: (result: TaskResult, index: number) => void },
): Promise<TaskSuiteReport> {
  const started = performance.now();
  const results: TaskResult[] = [];
  for (const [index, task] of tasks.entries()) {
    const result = resultOf(await solve(task, options));
    results.push(result);
    options.onTaskEnd?.(result, index);
  }
  const share = (count: number) => round(count / results.length, 3);
  return {
    model: options.model.spec,
    tasks: results.length,
    maxAttempts: options.maxAttempts ?? 3,
    successAt1: share(results.filter((result) => result.solvedAtAttempt === 1).length),
    successAtMax: share(results.filter((result) => result.solvedAtAttempt !== null).length),
    hiddenPassRate: share(results.filter((result) => result.hiddenPassed === true).length),
    results,
    durationMs: round(performance.now() - started, 0),
  };
}

function resultOf(outcome: Outcome): TaskResult {
  const passed = outcome.attempts.find((attempt) => attempt.diagnosis.kind === "ok");
  return {
    taskId: outcome.taskId,
    solvedAtAttempt: passed?.n ?? null,
    attempts: outcome.attempts.length,
    hiddenPassed: outcome.hidden === null ? null : outcome.hidden.kind === "ok",
    diagnoses: outcome.attempts.map((attempt) => attempt.diagnosis.kind),
    inputTokens: outcome.usage.inputTokens,
    outputTokens: outcome.usage.outputTokens,
    costUsd: outcome.usage.costUsd,
    durationMs: round(outcome.durationMs, 0),
  };
}

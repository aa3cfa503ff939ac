import { LitmusError } from "../../errors.ts";
import { type BenchTask, SPLITS, type Split } from "./bench-task.ts";

export interface TaskSelection {
  /** Task ids (a number n stands for Mbpp/n and HumanEval/n where the dataset has it). */
  tasks?: string[];
  /** MBPP's split: prompt, test, validation or train. */
  split?: string;
  /** The first N tasks (after the other filters), in the dataset's order. */
  limit?: number;
}

/** The tasks a run covers: by id, split and count, in the dataset's order; a precise error for a bad choice. */
export function selectTasks(tasks: BenchTask[], selection: TaskSelection, datasetName: string): BenchTask[] {
  let selected = tasks;
  if (selection.split !== undefined) {
    const split = parseSplit(selection.split);
    if (tasks.every((task) => task.split === null))
      throw new LitmusError(
        "BAD_INPUT",
        `${datasetName} has no splits; --split applies to MBPP, sanitized MBPP and MBPP+`,
      );
    selected = selected.filter((task) => task.split === split);
  }
  if (selection.tasks !== undefined && selection.tasks.length > 0) {
    const byId = new Map(tasks.map((task) => [task.id, task]));
    const wanted = new Set<string>();
    for (const id of selection.tasks) {
      const resolved = [id, `Mbpp/${id}`, `HumanEval/${id}`].find((candidate) => byId.has(candidate));
      if (resolved === undefined) {
        const examples = tasks
          .slice(0, 3)
          .map((task) => task.id)
          .join(", ");
        throw new LitmusError(
          "BAD_INPUT",
          `--tasks: ${datasetName} has no task "${id}" (its ids look like ${examples})`,
        );
      }
      wanted.add(resolved);
    }
    selected = selected.filter((task) => wanted.has(task.id));
  }
  if (selection.limit !== undefined) selected = selected.slice(0, selection.limit);
  if (selected.length === 0) throw new LitmusError("BAD_INPUT", `no task of ${datasetName} matches the selection`);
  return selected;
}

function parseSplit(text: string): Split {
  if (!(SPLITS as readonly string[]).includes(text))
    throw new LitmusError("BAD_INPUT", `unknown split "${text}"; use one of: ${SPLITS.join(", ")}`);
  return text as Split;
}

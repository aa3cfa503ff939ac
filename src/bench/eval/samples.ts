import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { LitmusError } from "../../errors.ts";
import type { BenchTask } from "../datasets/bench-task.ts";

/**
 * One line of a samples file, in the human-eval / EvalPlus format: a `completion` appended to the task's
 * prompt, or a whole `solution`. Other fields are kept and copied to the results.
 */
const SampleLineSchema = z.looseObject({
  task_id: z.union([z.string(), z.number().int()]),
  completion: z.string().optional(),
  solution: z.string().optional(),
});

export type SampleLine = z.infer<typeof SampleLineSchema>;

/** A sample read from a file: where it was, what it says, and the program it stands for. */
export interface BenchSample {
  /** 1-based line in the samples file (0 for samples made in memory, such as self-checks). */
  line: number;
  record: SampleLine;
  task: BenchTask;
  program: string;
}

/**
 * Reads a samples file line by line (never all of it: a file of 100 000 samples costs no more memory than one
 * of ten) and pairs each sample with its task. Samples of tasks outside `tasks` (a subset) are skipped; a
 * task id the dataset does not have is an error naming the line.
 */
export async function* readSamples(
  path: string,
  tasks: ReadonlyMap<string, BenchTask>,
  dataset: { name: string; ids: ReadonlySet<string> },
): AsyncGenerator<BenchSample> {
  for await (const { line, record } of sampleLines(path)) {
    const task = tasks.get(taskIdOf(record, dataset, `${path}:${line}`));
    if (!task) continue; // outside the subset being evaluated
    yield { line, record, task, program: programOf(record, task) };
  }
}

/** The samples of a file with their line numbers, validated one by one. */
async function* sampleLines(path: string): AsyncGenerator<{ line: number; record: SampleLine }> {
  const input = createReadStream(path, { encoding: "utf8" });
  await new Promise<void>((resolve, reject) => {
    input.once("open", () => resolve());
    input.once("error", (error: NodeJS.ErrnoException) =>
      reject(new LitmusError("BAD_INPUT", `cannot read the samples file ${path}: ${error.code ?? error.message}`)),
    );
  });
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() !== "") yield { line, record: parseSampleLine(text, `${path}:${line}`) };
  }
}

/** The dataset's id for a sample's task, or an error naming the line. */
function taskIdOf(record: SampleLine, dataset: { name: string; ids: ReadonlySet<string> }, where: string): string {
  const taskId = normalizeTaskId(record.task_id, dataset.ids);
  if (taskId === null) {
    throw new LitmusError(
      "BAD_INPUT",
      `${where}: task_id ${JSON.stringify(record.task_id)} is not a task of ${dataset.name}`,
    );
  }
  return taskId;
}

/**
 * Reads a samples file once, without keeping it, to count its samples of `tasks` (for progress and ETA) and
 * find the tasks it covers (only those need reference outputs); a bad line is reported before any work starts.
 */
export async function scanSamples(
  path: string,
  tasks: ReadonlyMap<string, BenchTask>,
  dataset: { name: string; ids: ReadonlySet<string> },
): Promise<{ count: number; taskIds: Set<string> }> {
  let count = 0;
  const taskIds = new Set<string>();
  for await (const { line, record } of sampleLines(path)) {
    const taskId = taskIdOf(record, dataset, `${path}:${line}`);
    if (!tasks.has(taskId)) continue;
    taskIds.add(taskId);
    count++;
  }
  return { count, taskIds };
}

/** The program a sample stands for: its `solution`, or the task's prompt followed by its `completion`. */
function programOf(record: SampleLine, task: BenchTask): string {
  if (record.solution !== undefined) return record.solution;
  return task.samplePrefix + (record.completion ?? "");
}

function parseSampleLine(text: string, where: string): SampleLine {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `${where}: not a JSON line: ${(error as Error).message}`);
  }
  const parsed = SampleLineSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LitmusError(
      "BAD_INPUT",
      `${where}: ${issue?.path.join(".") || "the sample"}: ${issue?.message ?? "invalid"} (a sample is {"task_id", "completion"} or {"task_id", "solution"})`,
    );
  }
  if (parsed.data.completion === undefined && parsed.data.solution === undefined) {
    throw new LitmusError("BAD_INPUT", `${where}: a sample needs "completion" or "solution"`);
  }
  return parsed.data;
}

/** MBPP samples in the wild number their tasks (`2`, `"2"`) where litmus says "Mbpp/2". */
function normalizeTaskId(taskId: string | number, ids: ReadonlySet<string>): string | null {
  const text = String(taskId);
  if (ids.has(text)) return text;
  if (/^\d+$/.test(text) && ids.has(`Mbpp/${text}`)) return `Mbpp/${text}`;
  return null;
}

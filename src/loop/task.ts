import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import { parseBytes, parseDuration } from "../sandbox/index.ts";

/** The languages a task can be in: the sandbox's, less bash (no test harness for it). */
export const TASK_LANGUAGES = ["python", "javascript", "typescript"] as const;

/**
 * The longest task text (or visible tests) a server takes from a client: far more than any model here reads,
 * and it bounds the work the server does on it before a model sees it (a 4 MB task once stalled the server
 * for 3 s, tokenizing on its event loop).
 */
export const MAX_CLIENT_TASK_CHARS = 64 * 1024;

const identifier = z.string().regex(/^[A-Za-z_$][\w$]*$/, "must be an identifier like is_palindrome");

const TestsFileSchema = z
  .strictObject({
    asserts: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Test statements, one per entry, such as `assert add(2, 3) == 5`."),
    code: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A test module: top-level asserts and/or test_* functions (Python), or a script using `assert` (JavaScript).",
      ),
    file: z
      .string()
      .min(1)
      .optional()
      .describe("A test file with the same content as `code`, relative to the task file."),
    examples: z
      .array(z.strictObject({ input: z.array(z.unknown()), output: z.unknown() }))
      .min(1)
      .optional()
      .describe("Calls of the entry point: positional arguments and the expected return value."),
  })
  .refine((tests) => Object.values(tests).filter((value) => value !== undefined).length === 1, {
    message: "give exactly one of asserts, code, file or examples",
  });

const DurationText = z.string().refine((text) => !Number.isNaN(safely(() => parseDuration(text))), {
  message: "must be a duration like 10s or 500ms",
});
const BytesText = z.string().refine((text) => !Number.isNaN(safely(() => parseBytes(text))), {
  message: "must be a size like 256M or 1G",
});

/** The task file format (YAML or JSON), published as schemas/task.schema.json. */
export const TaskFileSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[\w.-]+$/, "letters, digits, dots, dashes and underscores only")
      .optional(),
    prompt: z.string().min(1).describe("What to build, as a user would ask for it."),
    language: z.enum(TASK_LANGUAGES).default("python"),
    entryPoint: identifier.optional().describe("The function or class the tests call."),
    signature: z
      .string()
      .min(1)
      .optional()
      .describe("The exact first line of the entry point, such as `def f(x: int) -> int:`."),
    starter: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Code the solution starts from (imports, the signature, a docstring): a completion model continues it, a chat model is asked to complete it.",
      ),
    solution: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A reference solution, never shown to the model: `litmus bench eval --self-check` proves the tests with it, and it times them.",
      ),
    tags: z.array(z.string()).default([]),
    tests: TestsFileSchema.optional().describe("Visible tests: shown to the model and run on every attempt."),
    hiddenTests: TestsFileSchema.optional().describe("Used only to score the final code; never shown to the model."),
    limits: z
      .strictObject({ timeout: DurationText.optional(), memory: BytesText.optional() })
      .optional()
      .describe("Per run of code and tests; defaults are the sandbox's."),
  })
  .superRefine((task, context) => {
    if ((task.tests?.examples || task.hiddenTests?.examples) && !task.entryPoint) {
      context.addIssue({
        code: "custom",
        path: ["entryPoint"],
        message: "input/output examples call the entry point: name it",
      });
    }
  })
  .meta({ title: "litmus task", description: "A coding task for `litmus solve --task FILE`." });

/** The JSON Schema of task files (as accepted: defaults are optional), published as schemas/task.schema.json. */
export function taskJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TaskFileSchema, { io: "input" });
}

export type TaskLanguage = (typeof TASK_LANGUAGES)[number];

/** Tests in one of the forms the harness runs: test source code, or input/output examples. */
export type TaskTests =
  | { kind: "code"; code: string }
  | { kind: "examples"; examples: { input: unknown[]; output: unknown }[] };

/** A task, validated and with test files read. */
export interface Task {
  id: string;
  prompt: string;
  language: TaskLanguage;
  entryPoint: string | null;
  signature: string | null;
  /** Code the solution starts from (and a completion model continues). */
  starter: string | null;
  /** A reference solution: scoring and self-checks only, never shown to the model. */
  solution: string | null;
  tags: string[];
  tests: TaskTests | null;
  hiddenTests: TaskTests | null;
  limits: { timeoutMs?: number; memoryBytes?: number };
}

/** Reads a task file (.yaml, .yml or .json); an invalid file is a BAD_INPUT error naming the field. */
export async function loadTaskFile(path: string): Promise<Task> {
  const text = await readText(path, "task file");
  let data: unknown;
  try {
    data = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `the task file ${path} cannot be parsed: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  return parseTask(data, { source: path, baseDir: dirname(resolve(path)) });
}

/**
 * Validates a task given as data (from a file, an HTTP body, ...). `tests.file` is read relative to `baseDir`,
 * and refused without one.
 */
export async function parseTask(data: unknown, options: { source: string; baseDir?: string }): Promise<Task> {
  const parsed = TaskFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join(".") : "the top level";
    throw new LitmusError("BAD_INPUT", `${options.source}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  const file = parsed.data;
  const baseDir = options.baseDir;
  return {
    id: file.id ?? "task",
    prompt: file.prompt.trim(),
    language: file.language,
    entryPoint: file.entryPoint ?? null,
    signature: file.signature ?? null,
    starter: file.starter ?? null,
    solution: file.solution ?? null,
    tags: file.tags,
    tests: file.tests ? await testsOf(file.tests, baseDir, `${options.source}: tests.file`) : null,
    hiddenTests: file.hiddenTests
      ? await testsOf(file.hiddenTests, baseDir, `${options.source}: hiddenTests.file`)
      : null,
    limits: {
      ...(file.limits?.timeout ? { timeoutMs: parseDuration(file.limits.timeout) } : {}),
      ...(file.limits?.memory ? { memoryBytes: parseBytes(file.limits.memory) } : {}),
    },
  };
}

/** Reads a test file given on the command line (`--tests FILE`). */
export async function loadTestsFile(path: string): Promise<TaskTests> {
  return { kind: "code", code: await readText(path, "tests file") };
}

async function testsOf(
  tests: z.infer<typeof TestsFileSchema>,
  baseDir: string | undefined,
  field: string,
): Promise<TaskTests> {
  if (tests.examples)
    return { kind: "examples", examples: tests.examples.map(({ input, output }) => ({ input, output })) };
  if (tests.asserts) return { kind: "code", code: `${tests.asserts.join("\n")}\n` };
  if (tests.file) {
    // Only a task file may name other files: a task from elsewhere (an HTTP body) must not read the host's.
    if (baseDir === undefined)
      throw new LitmusError("BAD_INPUT", `${field}: only task files can name test files; give the tests inline`);
    return { kind: "code", code: await readText(resolve(baseDir, tests.file), "tests file") };
  }
  return { kind: "code", code: tests.code ?? "" };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

function safely(parse: () => number): number {
  try {
    return parse();
  } catch {
    return Number.NaN;
  }
}

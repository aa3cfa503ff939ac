import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { LitmusError } from "../errors.ts";
import type { LearnStep } from "../learn/index.ts";
import {
  loadTaskFile,
  loadTestsFile,
  type Outcome,
  parseTask,
  type SolveEvent,
  solve,
  TASK_LANGUAGES,
  type Task,
} from "../loop/index.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import { RunStore } from "../store/index.ts";
import { exitCodeForOutcome } from "./exit-codes.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { nonNegativeInteger, positiveInteger, temperature, writeJson } from "./options.ts";
import {
  addPlaybookOptions,
  checkPlaybookOptions,
  describeLearnStep,
  openCommandPlaybook,
  type PlaybookCommandOptions,
} from "./playbook-options.ts";
import type { SolveTestsOptions } from "./solve-tests.ts";

interface SolveCommandOptions extends ModelCommandOptions, PlaybookCommandOptions, SolveTestsOptions {
  generate: "code" | "tests";
  task?: string;
  tests?: string;
  lang?: string;
  maxAttempts: number;
  samples: number;
  maxTokens: number;
  temperature?: number;
  seed: number;
  cache?: boolean;
  out?: string;
  store: boolean;
  json?: boolean;
}

const EXTENSIONS = { python: "py", javascript: "js", typescript: "ts" } as const;

export function registerSolveCommand(program: Command): void {
  const command = program
    .command("solve")
    .description("Generate code for a task, run it against its tests in the sandbox, and repair it until they pass")
    .argument("[task]", "what to build, in words (or use --task FILE)")
    .option("--task <file>", "a task file (YAML or JSON; schema: schemas/task.schema.json)")
    .option("--tests <file>", "visible tests: assert lines or test_* functions (Python), assert calls (JavaScript)")
    .option("--lang <language>", `language: ${TASK_LANGUAGES.join(", ")} (default: the task's, else python)`)
    .option(
      "--generate <what>",
      "code (the default), or tests: tests for --code, only the good ones kept",
      generated,
      "code",
    )
    .option("--code <file>", "with --generate tests: the correct code to write tests for")
    .option("--mutants <n>", "with --generate tests: mutants each test file is judged on", nonNegativeInteger, 25);
  addPlaybookOptions(addModelOptions(command))
    .option("--max-attempts <n>", "attempts before giving up", positiveInteger, 3)
    .option("--samples <n>", "candidates drawn per attempt (best-of-n)", positiveInteger, 1)
    .option("--max-tokens <n>", "output tokens per generation", positiveInteger, 512)
    .option("--temperature <t>", "sampling temperature, 0 to 2 (default 0, or 0.8 with --samples > 1)", temperature)
    .option("--seed <n>", "sampling seed", positiveInteger, 1)
    .option("--cache", "reuse identical model answers from the response cache (and save new ones)")
    .option("--out <dir>", "write the final code and metadata.json there")
    .option("--no-store", "do not record the run in the run store")
    .option("--json", "print one JSON document on stdout")
    .action(async (text: string | undefined, options: SolveCommandOptions, command: Command) => {
      if (options.generate === "tests") {
        // One greedy sample rarely gives a small model a good test: draw four unless told.
        const samples = command.getOptionValueSource("samples") === "default" ? 4 : options.samples;
        const { solveTestsCommand } = await import("./solve-tests.ts");
        process.exitCode = await solveTestsCommand({ ...options, samples });
      } else process.exitCode = await solveCommand(text, options);
    });
}

async function solveCommand(text: string | undefined, options: SolveCommandOptions): Promise<number> {
  checkPlaybookOptions(options);
  const task = await taskOf(text, options);
  const { model, modelTimeoutMs } = await openCommandModel(options);
  let store: RunStore | undefined;
  try {
    store = options.store ? RunStore.open() : undefined;
    progress(
      `model ${model.spec} (${model.promptStyle === "completion" ? "base model: completion prompts" : "chat prompts"})`,
    );
    const settings = {
      maxAttempts: options.maxAttempts,
      samples: options.samples,
      maxOutputTokens: options.maxTokens,
      seed: options.seed,
      modelTimeoutMs,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {}),
      ...(store ? { store } : {}),
    };
    const playbook = await openCommandPlaybook(options, {
      model,
      solve: settings,
      sourceKind: "solve",
      ...(store ? { store } : {}),
    });
    const outcome = await solve(task, {
      ...settings,
      model,
      ...(playbook ? { bullets: playbook.bulletsFor(task) } : {}),
      onEvent: renderEvent,
    });
    const learned = await playbook?.afterRun(task, outcome, `solve/${outcome.runId}`);
    if (learned) progress(learnedLine(learned, options.playbook ?? ""));
    else if (options.learn) progress("nothing learned: without tests a run's success is unverified");
    if (options.out) await writeOut(options.out, task, outcome);
    if (options.json) writeJson(outcome);
    else if (!options.out && outcome.code !== null) process.stdout.write(outcome.code);
    progress(summaryOf(outcome, store?.path));
    return exitCodeForOutcome(outcome.success);
  } finally {
    store?.close();
    await disposeLocalModels();
  }
}

function generated(value: string): "code" | "tests" {
  if (value !== "code" && value !== "tests") throw new InvalidArgumentError(`expected code or tests, got "${value}"`);
  return value;
}

/** The task from the words or --task FILE, with --lang and --tests applied (solve and review share it). */
export async function taskOf(
  text: string | undefined,
  options: { task?: string; tests?: string; lang?: string },
): Promise<Task> {
  if ((text === undefined) === (options.task === undefined)) {
    throw new LitmusError(
      "BAD_INPUT",
      'give the task either in words (litmus solve "write ...") or as a file (--task FILE), not both',
    );
  }
  if (options.lang !== undefined && !(TASK_LANGUAGES as readonly string[]).includes(options.lang)) {
    throw new LitmusError("BAD_INPUT", `--lang must be one of ${TASK_LANGUAGES.join(", ")}, not "${options.lang}"`);
  }
  const task = options.task
    ? await loadTaskFile(options.task)
    : await parseTask({ prompt: text }, { source: "the task" });
  return {
    ...task,
    ...(options.lang ? { language: options.lang as Task["language"] } : {}),
    ...(options.tests ? { tests: await loadTestsFile(options.tests) } : {}),
  };
}

async function writeOut(directory: string, task: Task, outcome: Outcome): Promise<void> {
  await mkdir(directory, { recursive: true });
  if (outcome.code !== null) await writeFile(join(directory, `solution.${EXTENSIONS[task.language]}`), outcome.code);
  await writeFile(join(directory, "metadata.json"), `${JSON.stringify({ task, ...outcome }, null, 2)}\n`);
}

function renderEvent(event: SolveEvent): void {
  progress(lineOf(event));
}

function lineOf(event: SolveEvent): string {
  switch (event.type) {
    case "attempt-start":
      return `attempt ${event.n}/${event.maxAttempts}`;
    case "generation-start":
      return `  generating${event.samples > 1 ? ` sample ${event.sample}/${event.samples}` : ""}…`;
    case "generation-end": {
      const { generation } = event;
      const speed = generation.timing.outputTokensPerSecond;
      const from = generation.cached ? " (from the cache)" : speed ? `, ${speed.toFixed(1)} tokens/s` : "";
      // Samples of a local model are drawn at once: each line says whose it is.
      const whose = event.samples > 1 ? `sample ${event.sample}: ` : "";
      return `  ${whose}${generation.usage.outputTokens} tokens in ${seconds(generation.timing.durationMs)}${from}`;
    }
    case "execution-start":
      return "  running the code and tests in the sandbox…";
    case "attempt-end":
      return `  ${event.attempt.diagnosis.kind}: ${indent(event.attempt.diagnosis.message)}`;
    case "repairs-stopped":
      return `no attempt ${event.n}: ${event.reason}`;
    case "hidden-tests-end":
      return `hidden tests: ${event.diagnosis.kind}: ${indent(event.diagnosis.message)}`;
    default:
      event satisfies never;
      return "";
  }
}

function summaryOf(outcome: Outcome, storePath: string | undefined): string {
  const cost = outcome.usage.costUsd === null ? "cost unknown" : `$${outcome.usage.costUsd.toFixed(4)}`;
  const verdict = outcome.success
    ? outcome.verified
      ? `solved in ${outcome.attempts.length} attempt${outcome.attempts.length === 1 ? "" : "s"}`
      : "ran without error, but there were no tests: unverified"
    : `not solved after ${outcome.attempts.length} attempts`;
  const recorded = storePath
    ? `; run ${outcome.runId.slice(0, 8)} recorded (litmus runs show ${outcome.runId.slice(0, 8)})`
    : "";
  return `${verdict}; ${outcome.usage.inputTokens + outcome.usage.outputTokens} tokens, ${cost}, ${seconds(outcome.durationMs)}${recorded}`;
}

function learnedLine(step: LearnStep, path: string): string {
  return `learned into ${path}: ${describeLearnStep(step)}; ${step.activeBullets} active bullets (litmus playbook show ${path})`;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
  return text.replaceAll("\n", "\n    ");
}

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import { disposeLocalModels, ResponseCache, responseCacheDir } from "../models/index.ts";
import {
  decide,
  execute,
  type ReviewContext,
  type ReviewDocument,
  resume,
  reviewDocumentOf,
  startReview,
} from "../review/index.ts";
import { type ReviewRecord, type ReviewStatus, RunStore } from "../store/index.ts";
import { addModelOptions, type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { list, positiveInteger, writeJson } from "./options.ts";
import { taskOf } from "./solve.ts";

interface ReviewOptions extends ModelCommandOptions {
  as?: string;
  artifacts?: string;
  json?: boolean;
}

interface StartOptions extends ReviewOptions {
  task?: string;
  tests?: string;
  lang?: string;
  maxTokens: number;
  seed: number;
  cache?: boolean;
}

export function registerReviewCommand(program: Command): void {
  const review = program
    .command("review")
    .description("Review generated code before it runs: approve, edit or reject; then run it and save an artifact");
  const start = review
    .command("start", { isDefault: true })
    .description('Draft code for a task and review it here (the default: litmus review "TASK")')
    .argument("[task]", "what to build, in words (or use --task FILE)")
    .option("--task <file>", "a task file (YAML or JSON)")
    .option("--tests <file>", "visible tests the approved code runs against")
    .option("--lang <language>", "python, javascript or typescript")
    .option("--max-tokens <n>", "output tokens per draft", positiveInteger, 512)
    .option("--seed <n>", "sampling seed", positiveInteger, 1)
    .option("--cache", "reuse identical model answers from the response cache");
  addCommonOptions(addModelOptions(start)).action(async (text: string | undefined, options: StartOptions) => {
    process.exitCode = await interactiveReview(text, options);
  });
  addCommonOptions(review.command("list").description("Reviews, newest first"))
    .option("--status <statuses>", "only these: drafting, pending, approved, running, done, cancelled", list)
    .action((options: ReviewOptions & { status?: string[] }) => {
      using store = RunStore.open();
      const reviews = store.reviews.list(options.status ? { statuses: options.status as ReviewStatus[] } : {});
      if (options.json) writeJson(reviews.map(summaryOf));
      else for (const item of reviews) process.stdout.write(`${describe(item)}\n`);
    });
  addCommonOptions(review.command("show").description("One review: its drafts and decisions").argument("<id>")).action(
    (id: string, options: ReviewOptions) => {
      using store = RunStore.open();
      const item = getOrThrow(store, id);
      if (options.json) writeJson({ ...item, events: store.reviews.events(id) });
      else process.stdout.write(renderReview(item, store.reviews.events(id).length));
    },
  );
  addCommonOptions(review.command("approve").description("Approve the pending draft (or an edit of it), then run it"))
    .argument("<id>")
    .option("--edit <file>", "approve this code instead of the draft (the edit is recorded)")
    .option("--reason <text>", "why, for the record")
    .option("--no-run", "approve only; run it later with litmus review run ID")
    .action(async (id: string, options: ReviewOptions & { edit?: string; reason?: string; run: boolean }) => {
      await withContext(options, false, async (context) => {
        const by = actorOf(options);
        const reason = options.reason ? { reason: options.reason } : {};
        const decision = options.edit
          ? { kind: "edit" as const, by, code: readFileSync(options.edit, "utf8"), ...reason }
          : { kind: "approve" as const, by, ...reason };
        const approved = await decide(id, decision, context);
        report(options.run ? await execute(id, context) : approved, options);
      });
    });
  addCommonOptions(
    addModelOptions(
      review.command("reject").description("Reject the pending draft: the model drafts again with your feedback"),
    ),
  )
    .argument("<id>")
    .requiredOption("--feedback <text>", "what is wrong: the next draft is asked to fix it")
    .option("--final", "reject for good: no new draft")
    .action(async (id: string, options: ReviewOptions & { feedback: string; final?: boolean }) => {
      await withContext(options, !options.final, async (context) => {
        const decision = {
          kind: "reject" as const,
          by: actorOf(options),
          feedback: options.feedback,
          final: options.final ?? false,
        };
        report(await decide(id, decision, context), options);
      });
    });
  addCommonOptions(review.command("run").description("Run an approved review in the sandbox and save its artifact"))
    .argument("<id>")
    .action(async (id: string, options: ReviewOptions) => {
      await withContext(options, false, async (context) => report(await execute(id, context), options));
    });
  addCommonOptions(
    addModelOptions(review.command("resume").description("Finish what a stopped process left: a draft, or a run")),
  )
    .argument("<id>")
    .action(async (id: string, options: ReviewOptions) => {
      await withContext(options, true, async (context) => report(await resume(id, context), options));
    });
}

function addCommonOptions(command: Command): Command {
  return command
    .option("--as <name>", "who decides, for the record (default: your user name)")
    .option("--artifacts <dir>", "where finished reviews are saved (default: next to the run store)")
    .option("--json", "print one JSON document on stdout");
}

/** Runs `work` with the store, and a model when `needsModel` (drafting), closing both after. */
async function withContext(
  options: ReviewOptions,
  needsModel: boolean,
  work: (context: ReviewContext) => Promise<void>,
  extra: Partial<ReviewContext> = {},
): Promise<void> {
  using store = RunStore.open();
  const opened = needsModel ? await openCommandModel(options) : undefined;
  try {
    await work({
      store,
      artifactsDir: options.artifacts ?? join(dirname(store.path), "artifacts"),
      ...(opened ? { model: opened.model, modelTimeoutMs: opened.modelTimeoutMs } : {}),
      ...extra,
    });
  } finally {
    if (opened) await disposeLocalModels();
  }
}

/** `litmus review "TASK"`: draft, then ask approve / edit / reject until the code runs or the person leaves. */
async function interactiveReview(text: string | undefined, options: StartOptions): Promise<number> {
  const task = await taskOf(text, options);
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  const lines = prompt[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    process.stderr.write(question);
    const answer = await lines.next();
    return answer.done ? "q" : answer.value.trim();
  };
  try {
    let exit = 0;
    await withContext(
      options,
      true,
      async (context) => {
        process.stderr.write(`drafting with ${context.model?.spec}…\n`);
        let review = await startReview(task, context, { maxOutputTokens: options.maxTokens, seed: options.seed });
        const by = actorOf(options);
        for (;;) {
          const document = reviewDocumentOf(review.document);
          const draft = document.drafts.at(-1);
          process.stderr.write(`\nreview ${review.id}, draft ${draft?.n}:\n\n`);
          process.stderr.write(
            `${await highlighted(visible(draft?.code ?? "(the model wrote no code)"), task.language)}\n\n`,
          );
          const choice = (
            await ask("[a]pprove and run, [e]dit, [r]eject with feedback, [q]uit (it stays pending): ")
          ).toLowerCase();
          const seen = draft ? { draft: draft.n } : {};
          if (choice === "a" || choice === "approve") {
            await decide(review.id, { kind: "approve", by, ...seen }, context);
          } else if (choice === "e" || choice === "edit") {
            const code = editInEditor(draft?.code ?? "", task.language);
            await decide(review.id, { kind: "edit", by, code, ...seen }, context);
          } else if (choice === "r" || choice === "reject") {
            const feedback = await ask("what is wrong? ");
            process.stderr.write("drafting again…\n");
            review = await decide(
              review.id,
              { kind: "reject", by, feedback: feedback || "rejected", ...seen },
              context,
            );
            continue;
          } else {
            process.stderr.write(`left pending: litmus review approve ${review.id} (or open litmus serve)\n`);
            exit = 1;
            return;
          }
          process.stderr.write("running in the sandbox…\n");
          report(await execute(review.id, context), options);
          const result = reviewDocumentOf((context.store.reviews.get(review.id) as ReviewRecord).document).result;
          exit = result?.diagnosis.kind === "ok" ? 0 : 1;
          return;
        }
      },
      options.cache ? { cache: new ResponseCache(responseCacheDir()) } : {},
    );
    return exit;
  } finally {
    prompt.close();
  }
}

/** The code after the person edited it in $VISUAL or $EDITOR (vi when neither is set). */
function editInEditor(code: string, language: string): string {
  const directory = mkdtempSync(join(tmpdir(), "litmus-edit-"));
  const file = join(directory, `draft.${language === "python" ? "py" : language === "typescript" ? "ts" : "mjs"}`);
  try {
    writeFileSync(file, code);
    const editor = process.env.VISUAL || process.env.EDITOR || "vi";
    // Through sh, as git does: an editor setting may carry its own arguments ("code --wait").
    const edited = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "litmus-edit", file], { stdio: "inherit" });
    if (edited.status !== 0)
      throw new LitmusError("BAD_INPUT", `the editor (${editor}) exited with status ${edited.status}`);
    return readFileSync(file, "utf8");
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * Text from a model or a sandbox made safe for a terminal: control characters (escape sequences could hide
 * lines from the reviewer, or rewrite what was shown) become visible `\xNN` escapes; newlines and tabs stay.
 */
function visible(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** C0 controls but newline and tab, DEL, and the 8-bit CSI that some terminals also obey. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g;

/** Code with terminal colours when stderr is a terminal; as it is otherwise. */
async function highlighted(code: string, language: string): Promise<string> {
  if (!process.stderr.isTTY) return code;
  // Loaded on use: highlight.js's grammars would slow every other command's start.
  const { common, createEmphasize } = await import("emphasize");
  return createEmphasize(common).highlight(language, code).value;
}

function report(review: ReviewRecord, options: ReviewOptions): void {
  if (options.json) {
    writeJson(summaryOf(review));
    return;
  }
  const document = reviewDocumentOf(review.document);
  process.stderr.write(`${describe(review)}\n`);
  if (document.result) {
    const { execution, diagnosis } = document.result;
    if (execution.stdout) process.stdout.write(visible(execution.stdout));
    process.stderr.write(`${diagnosis.kind === "ok" ? "passed" : `${diagnosis.kind}: ${diagnosis.message}`}\n`);
  }
  if (document.artifact) process.stderr.write(`artifact: ${document.artifact.path}\n`);
}

function summaryOf(review: ReviewRecord): unknown {
  const document = reviewDocumentOf(review.document);
  return {
    id: review.id,
    status: review.status,
    taskId: review.taskId,
    model: review.model,
    createdAt: review.createdAt,
    updatedAt: review.updatedAt,
    drafts: document.drafts.length,
    approved: document.approved ?? null,
    result: document.result ? { diagnosis: document.result.diagnosis, execution: document.result.execution } : null,
    artifact: document.artifact ?? null,
  };
}

function describe(review: ReviewRecord): string {
  const document = reviewDocumentOf(review.document);
  return `${review.id}  ${review.status.padEnd(9)}  ${review.taskId}  ${review.model}  ${document.drafts.length} draft(s)  ${review.updatedAt}`;
}

function renderReview(review: ReviewRecord, events: number): string {
  const document: ReviewDocument = reviewDocumentOf(review.document);
  const code = document.approved?.code ?? document.drafts.at(-1)?.code ?? "(no code)";
  return `${describe(review)}\n${events} events; task: ${document.task.prompt.trim()}\n\n${visible(code)}\n`;
}

function getOrThrow(store: RunStore, id: string): ReviewRecord {
  const review = store.reviews.get(id);
  if (!review) throw new LitmusError("NOT_FOUND", `no review ${id} in ${store.path} (see litmus review list)`);
  return review;
}

function actorOf(options: ReviewOptions): string {
  return options.as ?? process.env.USER ?? userInfo().username;
}

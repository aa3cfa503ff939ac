import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import {
  type LearnerOptions,
  type LearnStep,
  localEmbeddings,
  PlaybookSession,
  type Similarity,
} from "../learn/index.ts";
import { parseModelSpec, resolveLocalModel, type TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import { type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { positiveInteger } from "./options.ts";

/** The options of every command that learns: how lessons are drawn, compared, budgeted and admitted. */
export interface LearningCommandOptions {
  reflectorModel?: string;
  embeddings?: string;
  budget?: number;
  admission: boolean;
  replay: number;
}

/** The options of every command that can use (and learn into) a playbook. */
export interface PlaybookCommandOptions extends LearningCommandOptions {
  playbook?: string;
  learn?: boolean;
}

/** Adds --reflector-model, --embeddings, --budget, --no-admission and --replay to a command. */
export function addLearningOptions(command: Command): Command {
  return command
    .option("--reflector-model <spec>", "a model that adds lessons to the rules' (may be stronger than --model)")
    .option(
      "--embeddings <spec>",
      "de-duplicate lessons by this local model's embeddings (local:PATH.gguf; default: word overlap, which measured better than the embedded model's)",
    )
    .option(
      "--budget <tokens>",
      "prompt tokens for bullets (default 120 for local models, 600 otherwise)",
      positiveInteger,
    )
    .option("--no-admission", "make new bullets active at once instead of re-running their task first")
    .option("--replay <n>", "tasks solved before that admission re-runs with a candidate", positiveInteger, 2);
}

/** Adds --playbook and --learn, and the learning options, to a command. */
export function addPlaybookOptions(command: Command): Command {
  command
    .option("--playbook <file>", "show the model this playbook's bullets that fit each task")
    .option("--learn", "also learn from every run into the playbook (created when missing)");
  return addLearningOptions(command);
}

/** The learner's settings the options give: the reflector model opened, the similarity resolved. */
export async function openLearningSettings(
  options: LearningCommandOptions & ModelCommandOptions,
): Promise<Pick<LearnerOptions, "reflectorModel" | "similarity" | "budgetTokens" | "admission">> {
  const reflectorModel = options.reflectorModel
    ? (await openCommandModel({ ...options, model: options.reflectorModel })).model
    : undefined;
  const similarity = await similarityOf(options.embeddings);
  return {
    admission: { enabled: options.admission, replay: options.replay },
    ...(reflectorModel ? { reflectorModel } : {}),
    ...(similarity ? { similarity } : {}),
    ...(options.budget ? { budgetTokens: options.budget } : {}),
  };
}

/** The similarity --embeddings names, or undefined (the learner's default, lexical). */
async function similarityOf(spec: string | undefined): Promise<Similarity | undefined> {
  if (spec === undefined) return undefined;
  const parsed = parseModelSpec(spec);
  if (parsed.provider !== "local")
    throw new LitmusError("BAD_INPUT", `--embeddings takes a local model (local or local:PATH.gguf), not "${spec}"`);
  const header = await resolveLocalModel(parsed.source, { download: true });
  return localEmbeddings(header.path);
}

/** Refuses --learn and --reflector-model without --playbook: before any model is loaded. */
export function checkPlaybookOptions(options: PlaybookCommandOptions): void {
  if (!options.playbook && (options.learn || options.reflectorModel))
    throw new LitmusError(
      "BAD_INPUT",
      `${options.learn ? "--learn" : "--reflector-model"} needs --playbook FILE: the playbook to learn into`,
    );
}

/** The playbook the options name, or undefined without --playbook. */
export async function openCommandPlaybook(
  options: PlaybookCommandOptions & ModelCommandOptions,
  context: { model: TextModel; store?: RunStore; solve: NonNullable<LearnerOptions["solve"]>; sourceKind: string },
): Promise<PlaybookSession | undefined> {
  checkPlaybookOptions(options);
  if (!options.playbook) return undefined;
  // Only learning reflects: without --learn the reflector model is not even opened.
  const { reflectorModel: _unused, ...reading } = options;
  const learning = await openLearningSettings(options.learn ? options : reading);
  return PlaybookSession.open({
    path: options.playbook,
    learn: options.learn === true,
    model: context.model,
    sourceKind: context.sourceKind,
    solve: context.solve,
    ...learning,
    ...(context.store ? { store: context.store } : {}),
  });
}

/** What a learning step changed, in a few words: "2 new candidates, 1 admitted, 0 retired". */
export function describeLearnStep(step: LearnStep): string {
  const added = `${step.added.length} new candidate${step.added.length === 1 ? "" : "s"}`;
  return `${added}, ${step.admitted.length} admitted, ${step.retired.length} retired`;
}

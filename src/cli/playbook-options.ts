import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import { type LearnerOptions, localEmbeddings, PlaybookSession, type Similarity } from "../learn/index.ts";
import { parseModelSpec, resolveLocalModel, type TextModel } from "../models/index.ts";
import type { RunStore } from "../store/index.ts";
import { type ModelCommandOptions, openCommandModel } from "./model-options.ts";
import { positiveInteger } from "./options.ts";

/** The options of every command that can use (and learn into) a playbook. */
export interface PlaybookCommandOptions {
  playbook?: string;
  learn?: boolean;
  budget?: number;
  reflectorModel?: string;
  embeddings?: string;
}

/** Adds --playbook, --learn, --budget and --reflector-model to a command. */
export function addPlaybookOptions(command: Command): Command {
  command
    .option("--playbook <file>", "show the model this playbook's bullets that fit each task")
    .option("--learn", "also learn from every run into the playbook (created when missing)")
    .option(
      "--budget <tokens>",
      "prompt tokens for bullets (default 120 for local models, 600 otherwise)",
      positiveInteger,
    )
    .option("--reflector-model <spec>", "with --learn: a model that adds lessons to the rules'");
  return addEmbeddingsOption(command);
}

/** Adds --embeddings to a command that learns. */
export function addEmbeddingsOption(command: Command): Command {
  return command.option(
    "--embeddings <spec>",
    "de-duplicate lessons by this local model's embeddings (local:PATH.gguf; default: word overlap, which measured better than the embedded model's)",
  );
}

/** The similarity --embeddings names, or undefined (the learner's default, lexical). */
export async function similarityOf(spec: string | undefined): Promise<Similarity | undefined> {
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
  if (!options.playbook) {
    if (options.learn || options.reflectorModel)
      throw new LitmusError(
        "BAD_INPUT",
        `${options.learn ? "--learn" : "--reflector-model"} needs --playbook FILE: the playbook to learn into`,
      );
    return undefined;
  }
  const reflectorModel =
    options.learn && options.reflectorModel
      ? (await openCommandModel({ ...options, model: options.reflectorModel })).model
      : undefined;
  const similarity = await similarityOf(options.embeddings);
  return PlaybookSession.open({
    path: options.playbook,
    learn: options.learn === true,
    model: context.model,
    sourceKind: context.sourceKind,
    solve: context.solve,
    ...(context.store ? { store: context.store } : {}),
    ...(options.budget ? { budgetTokens: options.budget } : {}),
    ...(reflectorModel ? { reflectorModel } : {}),
    ...(similarity ? { similarity } : {}),
  });
}

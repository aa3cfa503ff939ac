import type { Command } from "commander";
import { loadPriceTable, openModel, type TextModel } from "../models/index.ts";
import { parseDuration } from "../sandbox/index.ts";
import { positiveInteger } from "./options.ts";
import { pullProgressBars } from "./progress-bar.ts";

/** The options of every command that talks to a model. */
export interface ModelCommandOptions {
  model: string;
  baseUrl?: string;
  prices?: string;
  modelTimeout?: string;
  parallel?: number;
}

/** Adds --model, --base-url, --prices and --model-timeout to a command. */
export function addModelOptions(command: Command): Command {
  return command
    .option(
      "--model <spec>",
      "model spec: local, local:NAME, local:PATH.gguf, openai:MODEL, anthropic:MODEL, ollama:MODEL, openai-compatible:MODEL",
      "local",
    )
    .option("--base-url <url>", "server of an openai-compatible model (or another endpoint for the others)")
    .option("--prices <file>", "JSON file of model prices in USD per million tokens, extending the built-in table")
    .option(
      "--parallel <n>",
      "generations a local model decodes at once (default 4; 1 makes greedy runs repeat exactly: batched decoding rounds differently)",
      positiveInteger,
    )
    .option(
      "--model-timeout <duration>",
      "per model call, retries included (default: 120s; 10m for a local model, whose calls share its CPU)",
    );
}

/**
 * Opens the model the options name; like `ollama run`, a local model missing from the cache is fetched once,
 * with progress on stderr. Bad options fail before anything is loaded.
 */
export async function openCommandModel(
  options: ModelCommandOptions,
): Promise<{ model: TextModel; modelTimeoutMs: number }> {
  const explicitTimeoutMs = options.modelTimeout ? parseDuration(options.modelTimeout) : undefined;
  const prices = options.prices ? await loadPriceTable(options.prices) : undefined;
  using bars = pullProgressBars();
  const model = await openModel(options.model, {
    download: true,
    onProgress: (step) => process.stderr.write(`litmus models: ${step}\n`),
    onPullProgress: bars.onPullProgress,
    ...(options.parallel ? { local: { sequences: options.parallel } } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(prices ? { prices } : {}),
  });
  // A local model decodes several answers at once on a few cores: a long one may take minutes, and is bounded
  // by its token budget anyway. The timeout is there for servers that stop answering.
  const modelTimeoutMs = explicitTimeoutMs ?? (model.parallel === null ? 120_000 : 600_000);
  return { model, modelTimeoutMs };
}

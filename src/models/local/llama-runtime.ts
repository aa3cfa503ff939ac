import { availableParallelism } from "node:os";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { Semaphore } from "../../concurrency.ts";
import { LitmusError } from "../../errors.ts";

/**
 * A GGUF model loaded once per process, with the one context its generations share. The context has several
 * sequences: generations running at once decode together, one batch per step (node-llama-cpp batches them).
 */
export interface LoadedModel {
  model: LlamaModel;
  context: LlamaContext;
  /** Sequences: how many generations run at once; more wait for a free one. */
  parallel: number;
  /**
   * Runs `task` on a sequence of its own, waiting while every sequence is busy (an abort ends the wait); the
   * sequence is freed after.
   */
  withSequence<T>(task: (sequence: LlamaContextSequence) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/**
 * The context every local model gets unless told otherwise, measured on a 2-core machine: node-llama-cpp's
 * automatic context size made the 270M model about 100x slower. The model benchmark uses the same settings.
 */
export function defaultContextSettings(): { contextSize: number; threads: number; batchSize: number } {
  return { contextSize: 2048, threads: Math.min(4, availableParallelism()), batchSize: 256 };
}

/**
 * Sequences per context unless told otherwise. On two cores the embedded 0.5B model decodes about 1.4x the
 * tokens per second on four sequences as on one (1.6x on eight), and each costs its own KV cache (2048 tokens:
 * 24 MB for the 0.5B model, 56 MB for the 1.5B one).
 */
const DEFAULT_SEQUENCES = 4;

/** Overrides of the default context settings. */
export interface LocalRuntimeOptions {
  /** Tokens of prompt plus answer. Default 2048. */
  contextTokens?: number;
  /** CPU threads. Default: the available cores, at most 4. */
  threads?: number;
  /** Generations that decode together. Default DEFAULT_SEQUENCES. */
  sequences?: number;
}

let llama: Promise<Llama> | undefined;
const loaded = new Map<string, Promise<LoadedModel>>();

function runtime(): Promise<Llama> {
  // CPU only and never compile: the prebuilt binary is what works on every machine (DESIGN: no native builds).
  // Imported on first use: node-llama-cpp takes ~400 ms to load, which commands without a local model never pay.
  llama ??= import("node-llama-cpp")
    .then(({ getLlama, LlamaLogLevel }) =>
      getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error }),
    )
    .catch((error) => {
      llama = undefined;
      throw new LitmusError("MODEL_UNAVAILABLE", `node-llama-cpp cannot start on this machine: ${String(error)}`, {
        cause: error,
      });
    });
  return llama;
}

/** Loads the model at `path` (once per process; later calls share it). */
export function loadModel(path: string, options: LocalRuntimeOptions = {}): Promise<LoadedModel> {
  // Keyed by the effective settings: asking for the defaults explicitly must not load a second copy.
  const defaults = defaultContextSettings();
  const key = [
    path,
    options.contextTokens ?? defaults.contextSize,
    options.threads ?? defaults.threads,
    options.sequences ?? DEFAULT_SEQUENCES,
  ].join("\0");
  let model = loaded.get(key);
  if (!model) {
    model = load(path, options);
    loaded.set(key, model);
    model.catch(() => loaded.delete(key));
  }
  return model;
}

async function load(path: string, options: LocalRuntimeOptions): Promise<LoadedModel> {
  const llamaRuntime = await runtime();
  let model: LlamaModel;
  try {
    model = await llamaRuntime.loadModel({ modelPath: path });
  } catch (error) {
    throw new LitmusError("MODEL_UNAVAILABLE", `cannot load the model ${path}: ${String(error)}`, { cause: error });
  }
  const defaults = defaultContextSettings();
  const parallel = options.sequences ?? DEFAULT_SEQUENCES;
  const context = await model.createContext({
    contextSize: options.contextTokens ?? defaults.contextSize,
    threads: options.threads ?? defaults.threads,
    batchSize: defaults.batchSize,
    sequences: parallel,
  });
  const free = new Semaphore(parallel);
  return {
    model,
    context,
    parallel,
    withSequence: (task, signal) =>
      free.run(async () => {
        const sequence = context.getSequence();
        try {
          return await task(sequence);
        } finally {
          await sequence.dispose();
        }
      }, signal),
  };
}

/** Frees every loaded model, so a process can exit promptly. */
export async function disposeLocalModels(): Promise<void> {
  const models = await Promise.allSettled(loaded.values());
  loaded.clear();
  for (const result of models) {
    if (result.status === "fulfilled") await result.value.model.dispose();
  }
}

import { availableParallelism } from "node:os";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { LitmusError } from "../../errors.ts";

/** A GGUF model loaded once per process, with the one context its generations share (one at a time). */
export interface LoadedModel {
  model: LlamaModel;
  context: LlamaContext;
  /** Runs `task` when no other generation on this model is running: the context has one sequence. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * The context every local model gets unless told otherwise, measured on a 2-core machine: node-llama-cpp's
 * automatic context size made the 270M model about 100x slower. The model benchmark uses the same settings.
 */
export function defaultContextSettings(): { contextSize: number; threads: number; batchSize: number } {
  return { contextSize: 2048, threads: Math.min(4, availableParallelism()), batchSize: 256 };
}

/** Overrides of the default context settings. */
export interface LocalRuntimeOptions {
  /** Tokens of prompt plus answer. Default 2048. */
  contextTokens?: number;
  /** CPU threads. Default: the available cores, at most 4. */
  threads?: number;
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
  const key = `${path}\0${options.contextTokens ?? ""}\0${options.threads ?? ""}`;
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
  const context = await model.createContext({
    contextSize: options.contextTokens ?? defaults.contextSize,
    threads: options.threads ?? defaults.threads,
    batchSize: defaults.batchSize,
  });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    model,
    context,
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      const result = queue.then(task, task);
      queue = result.catch(() => undefined);
      return result;
    },
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

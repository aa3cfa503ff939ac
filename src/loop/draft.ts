import { type Generation, generate, type ResponseCache, type RetryPolicy, type TextModel } from "../models/index.ts";
import { completeCode, extractCode, withStarterImports } from "./extract-code.ts";
import type { BuiltPrompt } from "./prompt.ts";
import { sanitizeCode } from "./sanitize.ts";
import type { Task } from "./task.ts";
import { testSourceOf } from "./test-source.ts";

/** How to ask the model for one draft. */
export interface DraftOptions {
  model: TextModel;
  maxOutputTokens?: number;
  temperature: number;
  seed: number;
  signal?: AbortSignal;
  cache?: ResponseCache;
  retry?: RetryPolicy;
  modelTimeoutMs?: number;
}

/** Code the model wrote for a prompt (null when its answer held none), and the generation it came from. */
export interface Draft {
  code: string | null;
  generation: Generation;
}

/**
 * Asks the model once and takes the code out of its answer: a chat answer's code block, or a completion
 * continuing the prompt's code. Nothing runs: checking the code is the caller's choice (solve runs it at once;
 * a review waits for a person first).
 */
export async function draftCode(task: Task, prompt: BuiltPrompt, options: DraftOptions): Promise<Draft> {
  const generation = await generate(
    options.model,
    {
      prompt: prompt.prompt,
      ...(prompt.system === undefined ? {} : { system: prompt.system }),
      ...(prompt.responsePrefix === undefined ? {} : { responsePrefix: prompt.responsePrefix }),
      stopSequences: prompt.stopSequences,
      ...(options.maxOutputTokens === undefined ? {} : { maxOutputTokens: options.maxOutputTokens }),
      temperature: options.temperature,
      seed: options.seed,
    },
    {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.modelTimeoutMs === undefined ? {} : { timeoutMs: options.modelTimeoutMs }),
    },
  );
  const code =
    prompt.completion === null
      ? chatCode(answerOf(prompt, generation.text), task)
      : completeCode(prompt.completion, generation.text, task.language);
  return { code: code === null ? null : sanitizeCode(code, { ...task, tests: visibleTestSource(task) }), generation };
}

/** The visible tests as code: what they use is part of the solution. */
function visibleTestSource(task: Task): string | null {
  return task.tests ? testSourceOf(task.tests, task.language, task.entryPoint) : null;
}

/** The whole answer: the written start (an opened fence) and what the model added, with the fence closed. */
function answerOf(prompt: BuiltPrompt, text: string): string {
  return prompt.responsePrefix === undefined ? text : `${prompt.responsePrefix}${text}\n\`\`\`\n`;
}

function chatCode(text: string, task: Task): string | null {
  const code = extractCode(text, { language: task.language, entryPoint: task.entryPoint });
  return code !== null && task.starter !== null ? withStarterImports(code, task.starter) : code;
}

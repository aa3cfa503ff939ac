import { defaultContextSettings, generate, type TextModel } from "../models/index.ts";
import { round } from "./stats.ts";

/** Output tokens per second of the same generation, through litmus and through node-llama-cpp directly. */
export interface ModelBenchReport {
  model: string;
  prompt: string;
  rounds: number;
  maxOutputTokens: number;
  litmusTokensPerSecond: number;
  directTokensPerSecond: number;
  /** Output tokens generated in all rounds: equal when both did the same work. */
  litmusOutputTokens: number;
  directOutputTokens: number;
  /** How much slower litmus is, in percent of the direct speed (negative: faster). */
  overheadPercent: number;
}

const PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n';

/**
 * Measures litmus's overhead over node-llama-cpp on a local model: the same prompt, the same greedy settings,
 * the same model file and context settings (a second copy loaded for the direct calls), alternating the two
 * so machine noise hits both alike.
 */
export async function benchmarkLocalModel(
  model: TextModel,
  modelPath: string,
  options: { rounds?: number; maxOutputTokens?: number; onProgress?: (line: string) => void } = {},
): Promise<ModelBenchReport> {
  const rounds = options.rounds ?? 5;
  const maxOutputTokens = options.maxOutputTokens ?? 128;
  const { getLlama, LlamaCompletion, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  const direct = await llama.loadModel({ modelPath });
  const context = await direct.createContext(defaultContextSettings());
  let litmusTokens = 0;
  let litmusMs = 0;
  let directTokens = 0;
  let directMs = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      const generation = await generate(model, { prompt: PROMPT, maxOutputTokens, temperature: 0 });
      litmusTokens += generation.usage.outputTokens;
      litmusMs += generation.timing.durationMs;

      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let tokens = 0;
      const started = performance.now();
      await completion.generateCompletion(PROMPT, {
        maxTokens: maxOutputTokens,
        temperature: 0,
        onToken: (chunk) => {
          tokens += chunk.length;
        },
      });
      directMs += performance.now() - started;
      directTokens += tokens;
      await sequence.dispose();
      options.onProgress?.(`round ${round}/${rounds}`);
    }
  } finally {
    await context.dispose();
    await direct.dispose();
  }
  const litmusTokensPerSecond = litmusTokens / (litmusMs / 1000);
  const directTokensPerSecond = directTokens / (directMs / 1000);
  return {
    model: model.spec,
    prompt: PROMPT,
    rounds,
    maxOutputTokens,
    litmusTokensPerSecond: round(litmusTokensPerSecond, 1),
    directTokensPerSecond: round(directTokensPerSecond, 1),
    litmusOutputTokens: litmusTokens,
    directOutputTokens: directTokens,
    overheadPercent: round(((directTokensPerSecond - litmusTokensPerSecond) / directTokensPerSecond) * 100, 1),
  };
}

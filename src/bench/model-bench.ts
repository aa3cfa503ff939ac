import type { ChatHistoryItem, LlamaContext } from "node-llama-cpp";
import { defaultContextSettings, generate, openModel, type PromptStyle } from "../models/index.ts";
import { percentile, round } from "./stats.ts";

/** Output tokens per second at one level of parallelism, through litmus and through node-llama-cpp alone. */
interface ParallelResult {
  /** Generations running at once (sequences of one context). */
  parallel: number;
  /** Aggregate output tokens/s: every generation's tokens over the wall time of the round; median of the rounds. */
  litmusTokensPerSecond: number;
  directTokensPerSecond: number;
  /** Output tokens of all rounds: equal when both did the same work. */
  litmusOutputTokens: number;
  directOutputTokens: number;
  /** How much slower litmus is, in percent of the direct speed (negative: faster). */
  overheadPercent: number;
  /** Aggregate tokens/s over the single-sequence tokens/s of the same path. */
  speedupOverOne: number;
}

export interface ModelBenchReport {
  model: string;
  prompt: string;
  rounds: number;
  maxOutputTokens: number;
  results: ParallelResult[];
}

/** Asks for more than `maxOutputTokens` of code, so every generation runs its full length. */
const PROMPT =
  "Write a Python module implementing a binary search tree: insert, delete, search, in-order traversal and " +
  "height, each with a docstring, followed by thorough tests.";

/**
 * Measures litmus's local model path against node-llama-cpp called directly, at each level of parallelism:
 * the same chat prompt, greedy, the same model file and context settings (a context of `parallel` sequences on
 * both sides), the two in turn within each round, and which goes first alternating from round to round.
 */
export async function benchmarkLocalModel(
  spec: string,
  modelPath: string,
  options: { rounds?: number; maxOutputTokens?: number; parallel?: number[]; onProgress?: (line: string) => void } = {},
): Promise<ModelBenchReport> {
  const rounds = options.rounds ?? 5;
  const maxOutputTokens = options.maxOutputTokens ?? 128;
  const levels = options.parallel ?? [1];
  const { getLlama, LlamaChat, LlamaCompletion, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  const direct = await llama.loadModel({ modelPath });
  const measured: Array<Omit<ParallelResult, "speedupOverOne">> = [];
  try {
    for (const parallel of levels) {
      const model = await openModel(spec, { local: { sequences: parallel } });
      const context = await direct.createContext({ ...defaultContextSettings(), sequences: parallel });
      const litmusRates: number[] = [];
      const directRates: number[] = [];
      let litmusTokens = 0;
      let directTokens = 0;
      try {
        for (let round = 1; round <= rounds; round++) {
          const throughLitmus = () =>
            timed(parallel, async () => {
              const generation = await generate(model, { prompt: PROMPT, maxOutputTokens, temperature: 0 });
              return generation.usage.outputTokens;
            });
          const throughNodeLlamaCpp = () =>
            timed(parallel, () =>
              directGeneration(context, model.promptStyle, { LlamaChat, LlamaCompletion }, maxOutputTokens),
            );
          // Which goes first alternates: always going first measured litmus 9% slower at one sequence, an
          // artefact of the order (2% either way once alternated).
          const litmusFirst = round % 2 === 1;
          const first = await (litmusFirst ? throughLitmus() : throughNodeLlamaCpp());
          const second = await (litmusFirst ? throughNodeLlamaCpp() : throughLitmus());
          const [litmus, alone] = litmusFirst ? [first, second] : [second, first];
          litmusRates.push(litmus.tokens / litmus.seconds);
          directRates.push(alone.tokens / alone.seconds);
          litmusTokens += litmus.tokens;
          directTokens += alone.tokens;
          options.onProgress?.(`${parallel} at once: round ${round}/${rounds}`);
        }
      } finally {
        await context.dispose();
      }
      const litmusTokensPerSecond = percentile(litmusRates, 0.5);
      const directTokensPerSecond = percentile(directRates, 0.5);
      measured.push({
        parallel,
        litmusTokensPerSecond: round(litmusTokensPerSecond, 1),
        directTokensPerSecond: round(directTokensPerSecond, 1),
        litmusOutputTokens: litmusTokens,
        directOutputTokens: directTokens,
        overheadPercent: round(((directTokensPerSecond - litmusTokensPerSecond) / directTokensPerSecond) * 100, 1),
      });
    }
  } finally {
    await direct.dispose();
  }
  const one = measured.find((result) => result.parallel === 1);
  return {
    model: spec,
    prompt: PROMPT,
    rounds,
    maxOutputTokens,
    results: measured.map((result) => ({
      ...result,
      speedupOverOne: one ? round(result.litmusTokensPerSecond / one.litmusTokensPerSecond, 2) : Number.NaN,
    })),
  };
}

/** `parallel` generations started together: their tokens and the wall time until the last ends. */
async function timed(
  parallel: number,
  generation: () => Promise<number>,
): Promise<{ tokens: number; seconds: number }> {
  const started = performance.now();
  const tokens = await Promise.all(Array.from({ length: parallel }, generation));
  return { tokens: tokens.reduce((sum, count) => sum + count, 0), seconds: (performance.now() - started) / 1000 };
}

/** One generation straight through node-llama-cpp, on a sequence of `context`, the way litmus prompts the model. */
async function directGeneration(
  context: LlamaContext,
  style: PromptStyle,
  api: Pick<typeof import("node-llama-cpp"), "LlamaChat" | "LlamaCompletion">,
  maxTokens: number,
): Promise<number> {
  const sequence = context.getSequence();
  try {
    let tokens = 0;
    const settings = {
      maxTokens,
      temperature: 0,
      onToken: (chunk: readonly unknown[]) => {
        tokens += chunk.length;
      },
    };
    if (style === "completion") {
      await new api.LlamaCompletion({ contextSequence: sequence }).generateCompletion(PROMPT, settings);
    } else {
      const history: ChatHistoryItem[] = [
        { type: "user", text: PROMPT },
        { type: "model", response: [] },
      ];
      await new api.LlamaChat({ contextSequence: sequence }).generateResponse(history, settings);
    }
    return tokens;
  } finally {
    await sequence.dispose();
  }
}

import { readFile } from "node:fs/promises";
import { z } from "zod";
import { LitmusError } from "../errors.ts";

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Prices keyed by spec (`openai:gpt-4o-mini`); a dated snapshot (`-2024-08-06`, `-20250514`) or `-latest` shares its model's price. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices of hosted models in USD per million tokens, as published by OpenAI and Anthropic in 2025.
 * Prices change: extend or override them with a prices file (`loadPriceTable`).
 */
export const DEFAULT_PRICES: PriceTable = {
  "openai:gpt-5": { inputPerMillion: 1.25, outputPerMillion: 10 },
  "openai:gpt-5-mini": { inputPerMillion: 0.25, outputPerMillion: 2 },
  "openai:gpt-5-nano": { inputPerMillion: 0.05, outputPerMillion: 0.4 },
  "openai:gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
  "openai:gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  "openai:gpt-4.1-nano": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "openai:gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "openai:gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "openai:o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  "openai:o3": { inputPerMillion: 2, outputPerMillion: 8 },
  "anthropic:claude-opus-4": { inputPerMillion: 15, outputPerMillion: 75 },
  "anthropic:claude-sonnet-4": { inputPerMillion: 3, outputPerMillion: 15 },
  "anthropic:claude-sonnet-4-5": { inputPerMillion: 3, outputPerMillion: 15 },
  "anthropic:claude-opus-4-1": { inputPerMillion: 15, outputPerMillion: 75 },
  "anthropic:claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5 },
  "anthropic:claude-3-7-sonnet": { inputPerMillion: 3, outputPerMillion: 15 },
  "anthropic:claude-3-5-haiku": { inputPerMillion: 0.8, outputPerMillion: 4 },
};

const PriceFileSchema = z.record(
  z.string().regex(/^[\w-]+:.+$/, "keys are model specs like openai:gpt-4o"),
  z.strictObject({ inputPerMillion: z.number().nonnegative(), outputPerMillion: z.number().nonnegative() }),
);

/** The default prices, extended and overridden by a JSON file of `{"SPEC": {inputPerMillion, outputPerMillion}}`. */
export async function loadPriceTable(path: string): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `cannot read the prices file ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `the prices file ${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = PriceFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LitmusError(
      "BAD_INPUT",
      `the prices file ${path} is invalid at ${issue?.path.join(".") || "the top level"}: ${issue?.message}`,
    );
  }
  return { ...DEFAULT_PRICES, ...parsed.data };
}

const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** The price of a model spec; `null` when unknown. Local models are free. */
export function priceOf(spec: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | null {
  if (spec === "local" || spec.startsWith("local:")) return { inputPerMillion: 0, outputPerMillion: 0 };
  // Exact names only: `o3-pro` is not priced like `o3`, and an unknown price is better than a wrong one.
  const model = spec.replace(SNAPSHOT_SUFFIX, "");
  return table[spec] ?? table[model] ?? null;
}

/** The cost in USD of a call; `null` when the price is unknown. */
export function costOf(price: ModelPrice | null, usage: { inputTokens: number; outputTokens: number }): number | null {
  if (price === null) return null;
  return (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000;
}

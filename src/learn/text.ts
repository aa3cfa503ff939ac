/** Words that say nothing about a task: left out of keywords and similarity. */
const STOP_WORDS = new Set(
  (
    "a an and are as at be by for from given has have in into is it its of on or that the their then this to " +
    "was were which with write function python program return returns given list number numbers value values " +
    "using use find check whether if not all each every can should will your you"
  ).split(" "),
);

/** Lower-case words of a text (letters, digits and underscores; code identifiers split on `_`). */
function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9]*/g) ?? []).filter((word) => word.length > 1);
}

/** The distinct content words of a text, at most `limit`, in order of first appearance. */
export function keywordsOf(text: string, limit = 12): string[] {
  const keywords = new Set<string>();
  for (const word of wordsOf(text)) {
    if (STOP_WORDS.has(word) || word.length < 3) continue;
    keywords.add(word);
    if (keywords.size >= limit) break;
  }
  return [...keywords];
}

/**
 * Tokens a text takes in a prompt, estimated at 3.5 characters a token: on English and code the embedded
 * model's tokenizer and GPT-style ones average 3.5 to 4.5, so this errs on the side of the budget.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

/** Cosine similarity of two texts' word sets (0 to 1): the lexical fallback when there are no embeddings. */
export function lexicalSimilarity(left: string, right: string): number {
  const a = new Set(wordsOf(left).filter((word) => !STOP_WORDS.has(word)));
  const b = new Set(wordsOf(right).filter((word) => !STOP_WORDS.has(word)));
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared += 1;
  return shared / Math.sqrt(a.size * b.size);
}

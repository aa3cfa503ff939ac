// How well each similarity tells a duplicate bullet from a different one: the curator's de-duplication.
//
//   node bench/dedup-similarity.ts
//
// Different lessons: every pair of the deterministic reflector's lessons (they are distinct by construction).
// Duplicates: hand-written paraphrases of some of them. For the lexical similarity and for the embedded
// model's embeddings it prints both distributions, the errors at the threshold litmus uses, and how many
// duplicates the lowest threshold that merges no two different lessons would still miss.

import { lexical, localEmbeddings, type Similarity } from "../src/learn/index.ts";
import { RULE_LESSONS } from "../src/learn/rules.ts";
import { DEFAULT_MODEL_NAME, disposeLocalModels, resolveLocalModel } from "../src/models/index.ts";

const PARAPHRASES: [string, string][] = [
  ["Return the result with `return`; do not print it.", "Use return to give back the value instead of printing it."],
  [
    "Check indexes against the length before using them, and handle empty inputs first.",
    "Make sure list indexes are within range; deal with empty lists first.",
  ],
  ["Guard every division and modulo against a zero divisor.", "Before dividing, check that the divisor is not zero."],
  [
    "Give every recursive function a base case that is always reached, or use a loop.",
    "Recursion needs a base case that stops it; otherwise write a loop.",
  ],
  [
    "End every def, if, elif, else, for and while line with a colon.",
    "Put a colon at the end of each def, if, for and while line.",
  ],
  [
    "Close each string literal on the line where it starts.",
    "Every string must end with its closing quote on the same line.",
  ],
  [
    "Use only the standard library: third-party packages are not installed.",
    "Do not import packages outside the standard library; they are missing.",
  ],
  [
    "Read dictionaries with .get(key, default) or test `key in d` first.",
    "Use dict.get with a default, or check the key exists, before reading it.",
  ],
  [
    "Make every loop finish: advance its variable each pass, and prefer for-loops to while-loops.",
    "Ensure loops terminate: update the loop variable every iteration; prefer for loops.",
  ],
  [
    "Keep the function's name and parameters exactly as the task gives them.",
    "Do not rename the function or change its parameters.",
  ],
];

const different: [string, string][] = [];
for (let i = 0; i < RULE_LESSONS.length; i++)
  for (let j = i + 1; j < RULE_LESSONS.length; j++) different.push([RULE_LESSONS[i] ?? "", RULE_LESSONS[j] ?? ""]);

const header = await resolveLocalModel({ kind: "embedded", name: DEFAULT_MODEL_NAME }).catch(() => null);
const similarities: Similarity[] = [lexical];
if (header) similarities.push(localEmbeddings(header.path));
else console.error("the embedded model is not pulled (litmus models pull): lexical only");

for (const similarity of similarities) {
  const scores = async (pairs: [string, string][]) => Promise.all(pairs.map(([a, b]) => similarity.score(a, b)));
  const duplicates = await scores(PARAPHRASES);
  const others = await scores(different);
  const errorsAt = (threshold: number) => ({
    missed: duplicates.filter((score) => score < threshold).length,
    merged: others.filter((score) => score >= threshold).length,
  });
  // Merging two different lessons loses one (and mixes their triggers); missing a duplicate only adds a
  // near-copy. The threshold to want merges nothing and, within that, misses the fewest duplicates.
  const strictest = Math.max(...others) + 1e-6;
  const best = { threshold: strictest, ...errorsAt(strictest) };
  const range = (values: number[]) => `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`;
  const atCurrent = errorsAt(similarity.duplicateAt);
  console.log(
    `${similarity.name}: duplicates ${range(duplicates)} (n=${duplicates.length}), different ${range(others)} (n=${others.length}); ` +
      `at its threshold ${similarity.duplicateAt}: ${atCurrent.missed} duplicates missed, ${atCurrent.merged} different pairs merged; ` +
      `lowest threshold that merges no different pair: ${best.threshold.toFixed(3)}, missing ${best.missed} of ${duplicates.length} duplicates`,
  );
}
await disposeLocalModels();

import { generate } from "./src/models/generate.ts";
import { disposeLocalModels } from "./src/models/local/llama-runtime.ts";
import { openModel } from "./src/models/open-model.ts";

const t = performance.now();
const model = await openModel("local");
console.log("open", performance.now() - t, model.promptStyle);
const prompt = 'def is_palindrome(s):\n    """Return True if s reads the same forwards and backwards."""\n';
for (const stream of [false, true]) {
  const g = await generate(
    model,
    { prompt, maxOutputTokens: 64, stopSequences: ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"] },
    stream ? { onTextDelta: (d) => process.stdout.write(`[${d}]`) } : {},
  );
  console.log(JSON.stringify(g, null, 1));
}
await disposeLocalModels();

// An AI SDK agent whose code runs in a litmus sandbox, in three lines (the ones marked). From a checkout:
//   node examples/agent-tools.ts [MODEL_SPEC] ["PROMPT"]      (default: the embedded model)
// In a project with the package installed, import from "litmus-code/ai" and pass any AI SDK model.
import { generateText, stepCountIs } from "ai";
import { sandboxTools } from "../src/ai/index.ts";
import { disposeLocalModels, openModel } from "../src/models/index.ts";

const [spec = "local", prompt = "Use the runCode tool to compute the 30th Fibonacci number, then tell me it."] =
  process.argv.slice(2);
const { languageModel: model } = await openModel(spec, { download: true });

await using sandbox = sandboxTools(); // 1: tools backed by a sandbox that starts on the first call
const { text, steps } = await generateText({ model, tools: sandbox.tools, stopWhen: stepCountIs(4), prompt }); // 2
for (const step of steps) {
  for (const call of step.toolCalls) console.log(`called ${call.toolName}(${JSON.stringify(call.input)})`);
  for (const result of step.toolResults) console.log(`result: ${JSON.stringify(result.output)}`);
}
console.log(`answer: ${text || "(none)"}`); // 3: the sandbox ends with this block
await disposeLocalModels();

import { LitmusError } from "../errors.ts";
import type { TaskLanguage, TaskTests } from "./task.ts";

/** Tests as source code in the task's language: input/output examples become assertions on the entry point. */
export function testSourceOf(tests: TaskTests, language: TaskLanguage, entryPoint: string | null): string {
  if (tests.kind === "code") return tests.code;
  const entry = requireEntry(entryPoint);
  return language === "python" ? pythonExamples(tests.examples, entry) : javascriptExamples(tests.examples, entry);
}

function requireEntry(entryPoint: string | null): string {
  if (entryPoint === null)
    throw new LitmusError("BAD_INPUT", "input/output examples need the task's entryPoint: name the function they call");
  return entryPoint;
}

function pythonExamples(examples: { input: unknown[]; output: unknown }[], entryPoint: string): string {
  return examples
    .map(
      ({ input, output }) => `assert ${entryPoint}(${input.map(pythonLiteral).join(", ")}) == ${pythonLiteral(output)}`,
    )
    .join("\n");
}

function javascriptExamples(examples: { input: unknown[]; output: unknown }[], entryPoint: string): string {
  return examples
    .map(
      ({ input, output }) =>
        `assert.deepStrictEqual(${entryPoint}(${input.map((value) => JSON.stringify(value)).join(", ")}), ${JSON.stringify(output)});`,
    )
    .join("\n");
}

/** A JSON value as a Python literal (JSON's true/false/null are Python's True/False/None). */
function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([key, inner]) => `${JSON.stringify(key)}: ${pythonLiteral(inner)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

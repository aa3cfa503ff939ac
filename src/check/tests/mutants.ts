import { readFileSync } from "node:fs";
import { LitmusError } from "../../errors.ts";
import { type Language, Sandbox } from "../../sandbox/index.ts";
import { javascriptMutants } from "./js-mutants.ts";
import type { Mutant } from "./mutant.ts";

let pythonMutator: string | undefined;

/**
 * Every simple mutant of an implementation (operators swapped, constants changed), one per site, in source
 * order. Python is parsed by Python's own `ast` inside a sandbox (parsing only); JavaScript and TypeScript by
 * acorn here. Unparsable code is a BAD_INPUT error naming the file.
 */
export async function mutantsOf(
  path: string,
  source: string,
  language: Language,
  signal?: AbortSignal,
): Promise<Mutant[]> {
  if (language === "javascript" || language === "typescript") return javascriptMutants(source, language, path);
  if (language !== "python")
    throw new LitmusError("BAD_INPUT", `${path}: mutants are made of python, javascript and typescript code`);
  pythonMutator ??= readFileSync(new URL("./python_mutants.py", import.meta.url), "utf8");
  await using sandbox = await Sandbox.create({ timeoutMs: 0, ...(signal ? { signal } : {}) });
  const execution = await sandbox.runCode(`${pythonMutator}\n_litmus_mutants(${JSON.stringify(source)})\n`, {
    timeoutMs: 30_000,
  });
  if (execution.error) {
    const why =
      execution.error.name === "SyntaxError"
        ? `${execution.error.value}`
        : `${execution.error.name}: ${execution.error.value}`;
    throw new LitmusError("BAD_INPUT", `${path} cannot be parsed: ${why}`);
  }
  // Validated loosely: the list comes out of a sandbox, so only its shape is trusted.
  const parsed: unknown = JSON.parse(execution.logs.stdout.join(""));
  if (!Array.isArray(parsed)) throw new LitmusError("INTERNAL", "the Python mutator returned no list");
  return parsed as Mutant[];
}

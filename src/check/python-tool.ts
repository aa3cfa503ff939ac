import { readFileSync } from "node:fs";
import { LitmusError } from "../errors.ts";
import { Sandbox } from "../sandbox/index.ts";

const OUT = "/tmp/litmus-tool.json";
const scripts = new Map<string, string>();

/**
 * Runs one of litmus's Python helpers (parsing code under test with Python's own `ast`, never running it) in a
 * fresh sandbox and returns the JSON it writes. Through a file, not stdout: an execution keeps 1 MiB of output,
 * and a helper's answer (mutants of a large module) can be bigger. `what` names the input in errors.
 */
export async function runPythonTool(
  script: URL,
  call: (outPath: string) => string,
  what: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const source = scripts.get(script.href) ?? readFileSync(script, "utf8");
  scripts.set(script.href, source);
  await using sandbox = await Sandbox.create({ timeoutMs: 0, ...(signal ? { signal } : {}) });
  const execution = await sandbox.runCode(`${source}\n${call(OUT)}\n`, { timeoutMs: 60_000 });
  if (execution.timedOut) throw new LitmusError("BAD_INPUT", `${what}: reading it took longer than 60 s`);
  if (execution.error) {
    const syntax = execution.error.name === "SyntaxError" || execution.error.name === "IndentationError";
    throw new LitmusError(
      "BAD_INPUT",
      `${what}${syntax ? " cannot be parsed" : ""}: ${execution.error.name}: ${execution.error.value}`,
    );
  }
  return JSON.parse(await sandbox.files.read(OUT));
}

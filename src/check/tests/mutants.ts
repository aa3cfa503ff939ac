import { LitmusError } from "../../errors.ts";
import { seededRandom, shuffled } from "../../random.ts";
import type { Language } from "../../sandbox/index.ts";
import { runPythonTool } from "../python-tool.ts";
import { javascriptMutants } from "./js-mutants.ts";
import type { Mutant } from "./mutant.ts";

const PYTHON_MUTATOR = new URL("./python_mutants.py", import.meta.url);

/**
 * At most `count` mutants of an implementation, a seeded sample of its mutation sites kept in source order, and
 * how many sites there are. Python is read by Python's own `ast` inside a sandbox (parsing only), which makes
 * sources for the chosen sites alone; JavaScript and TypeScript by acorn here. Unparsable code is BAD_INPUT.
 */
export async function chooseMutants(
  path: string,
  source: string,
  language: Language,
  options: { count: number; seed: number; signal?: AbortSignal },
): Promise<{ sites: number; mutants: Mutant[] }> {
  if (language === "javascript" || language === "typescript") {
    const all = javascriptMutants(source, language, path);
    const chosen = sampleIndexes(all.length, options.count, options.seed);
    return { sites: all.length, mutants: chosen.map((index) => all[index] as Mutant) };
  }
  if (language !== "python") {
    throw new LitmusError("BAD_INPUT", `${path}: mutants are made of python, javascript and typescript code`);
  }
  const call = (chosen: number[] | null) => (out: string) =>
    `_litmus_mutants(${JSON.stringify(source)}, ${chosen === null ? "None" : JSON.stringify(chosen)}, ${JSON.stringify(out)})`;
  const sites = (await runPythonTool(PYTHON_MUTATOR, call(null), path, options.signal)) as unknown[];
  const chosen = sampleIndexes(sites.length, options.count, options.seed);
  if (chosen.length === 0) return { sites: sites.length, mutants: [] };
  const mutants = (await runPythonTool(PYTHON_MUTATOR, call(chosen), path, options.signal)) as Mutant[];
  return { sites: sites.length, mutants };
}

/** At most `count` of `total` indexes, a seeded sample in ascending order. */
function sampleIndexes(total: number, count: number, seed: number): number[] {
  const all = [...Array(total).keys()];
  if (total <= count) return all;
  return shuffled(all, seededRandom(seed))
    .slice(0, count)
    .sort((a, b) => a - b);
}

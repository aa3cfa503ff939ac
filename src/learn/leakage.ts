import { lexicalSimilarity } from "./text.ts";

/** Word overlap with the task's prompt from which a lesson is a restatement of the task. */
const RESTATEMENT_SIMILARITY = 0.5;

/** What a learned bullet must not repeat from the task it was learned from. */
export interface TaskFacts {
  id: string;
  prompt: string;
  entryPoint: string | null;
  starter: string | null;
  /** The visible tests as source code. */
  tests: string | null;
}

/**
 * Why a bullet's text leaks its task, or `null` when it does not. A bullet must teach something that holds
 * for other tasks: the task's function name, its quoted strings, its multi-digit numbers or the expected
 * outputs of its tests would make it an answer key, and would score as learning when it is memorising.
 */
export function leakOf(text: string, task: TaskFacts): string | null {
  if (text.includes(task.id)) return `it names the task (${task.id})`;
  if (task.entryPoint && task.entryPoint.length >= 4 && new RegExp(`\\b${escapeRegExp(task.entryPoint)}\\b`).test(text))
    return `it names the task's function ${task.entryPoint}`;
  const sources = [task.prompt, task.starter ?? "", task.tests ?? ""].join("\n");
  for (const quoted of sources.matchAll(/'([^'\n]{3,})'|"([^"\n]{3,})"/g)) {
    const literal = quoted[1] ?? quoted[2] ?? "";
    if (literal.trim().length >= 3 && text.includes(literal)) return `it repeats the task's string "${literal}"`;
  }
  for (const expected of expectedOutputs(task.tests ?? "")) {
    if (expected.length >= 2 && normalize(text).includes(expected))
      return `it repeats an expected output (${expected})`;
  }
  const numbers = new Set(sources.match(/-?\b\d{2,}(\.\d+)?\b/g) ?? []);
  for (const number of numbers) {
    if (new RegExp(`(^|[^\\w.])${escapeRegExp(number)}($|[^\\w.])`).test(text))
      return `it repeats the task's number ${number}`;
  }
  // The embedded model as a reflector mostly restates the task ("Write a function to reverse words in a given
  // string."): that teaches nothing about other tasks. The rules' lessons score at most 0.42 against any MBPP
  // task's prompt.
  if (lexicalSimilarity(text, task.prompt) >= RESTATEMENT_SIMILARITY) return "it restates the task";
  return null;
}

/** The right-hand sides of `assert f(...) == expected` lines, whitespace removed. */
function expectedOutputs(tests: string): string[] {
  const outputs: string[] = [];
  for (const line of tests.split("\n")) {
    const match = /^\s*assert\s+.+?==\s*(.+?)\s*$/.exec(line);
    if (match?.[1]) outputs.push(normalize(match[1]));
  }
  return outputs.filter((output) => !/^(True|False|None|-?\d)$/.test(output));
}

function normalize(text: string): string {
  return text.replace(/\s+/g, "");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

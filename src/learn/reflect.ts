import type { Attempt, Outcome, Task } from "../loop/index.ts";
import type { Playbook } from "./playbook.ts";
import type { BulletMark, Insight, Reflection } from "./reflection.ts";
import { lessonFor } from "./rules.ts";
import { errorSignature } from "./signature.ts";
import { keywordsOf } from "./text.ts";

/** Standard modules a model often uses without importing them. */
const STANDARD_MODULES = new Set(
  "math re collections itertools functools heapq bisect string operator statistics random datetime fractions decimal copy json".split(
    " ",
  ),
);

/** Helpers longer than this are too specific to be worth a snippet. */
const MAX_SNIPPET_LINES = 12;

/**
 * The deterministic reflector: what one run's execution facts teach, with no model involved. It reads only
 * what the loop saw (the task's words, its visible tests, the attempts and their diagnoses): hidden tests and
 * reference solutions never reach it.
 */
export function reflect(task: Task, outcome: Outcome, playbook: Playbook): Reflection {
  const failures = outcome.attempts
    .filter((attempt) => attempt.diagnosis.kind !== "ok")
    .map((attempt) => ({
      n: attempt.n,
      kind: attempt.diagnosis.kind,
      signature: errorSignature(attempt.diagnosis) ?? attempt.diagnosis.kind,
      message: attempt.diagnosis.message,
    }));
  const passing = outcome.success ? outcome.attempts.at(-1) : undefined;
  const lastFailed = outcome.attempts.findLast((attempt) => attempt.diagnosis.kind !== "ok" && attempt.code !== null);
  const fix =
    passing?.code && lastFailed?.code
      ? { from: lastFailed.n, to: passing.n, ...lineDiff(lastFailed.code, passing.code) }
      : null;

  const insights: Insight[] = [];
  const seen = new Set<string>();
  for (const failure of failures) {
    const insight = insightOf(failure, task.language, fix);
    if (insight && !seen.has(insight.content)) {
      seen.add(insight.content);
      insights.push(insight);
    }
  }
  if (passing?.code && task.language === "python") insights.push(...snippetsOf(passing.code, task.entryPoint));
  return {
    taskId: task.id,
    solved: outcome.success,
    failures,
    fix,
    shown: outcome.playbook.used,
    keywords: keywordsOf(task.prompt),
    tags: task.tags,
    insights,
    marks: marksOf(outcome.attempts, playbook),
  };
}

function insightOf(
  failure: Reflection["failures"][number],
  language: Task["language"],
  fix: Reflection["fix"],
): Insight | null {
  const fixed = fix && fix.from === failure.n ? ` Attempt ${fix.to} passed after changing: ${summarize(fix)}.` : "";
  const evidence = `attempt ${failure.n} failed: ${firstLine(failure.message)}.${fixed}`;
  const missing = /NameError: name '(\w+)' is not defined/.exec(failure.message)?.[1];
  if (language === "python" && missing && STANDARD_MODULES.has(missing)) {
    return {
      section: "environment",
      content: `Import ${missing} at the top of the code before using it.`,
      snippet: null,
      errors: [failure.signature],
      evidence,
      source: "rules",
      pythonOnly: true,
    };
  }
  const lesson = lessonFor(failure.signature, language);
  if (!lesson) return null;
  return {
    ...lesson,
    snippet: null,
    errors: [failure.signature],
    evidence,
    source: "rules",
    pythonOnly: language === "python",
  };
}

/** Top-level helper functions of passing code (not the entry point itself): small tested building blocks. */
function snippetsOf(code: string, entryPoint: string | null): Insight[] {
  const insights: Insight[] = [];
  const lines = code.split("\n");
  for (let start = 0; start < lines.length; start++) {
    const header = /^def (\w+)\((.*)\)\s*(->\s*[^:]+)?:\s*$/.exec(lines[start] ?? "");
    if (!header || header[1] === entryPoint) continue;
    let end = start + 1;
    while (end < lines.length && (/^\s/.test(lines[end] ?? "") || (lines[end] ?? "").trim() === "")) end++;
    const body = lines.slice(start, end).join("\n").trimEnd();
    if (body.split("\n").length > MAX_SNIPPET_LINES) continue;
    insights.push({
      section: "snippets",
      content: `A tested helper, ${header[1]}(${header[2]}), to reuse when it fits.`,
      snippet: body,
      errors: [],
      evidence: "it was part of code that passed its tests",
      source: "rules",
      pythonOnly: true,
    });
  }
  return insights;
}

/**
 * Marks for bullets shown to repair a failure they are triggered by: helpful when the repair got past that
 * failure, harmful when the same failure came back.
 */
function marksOf(attempts: Attempt[], playbook: Playbook): BulletMark[] {
  const marks: BulletMark[] = [];
  for (let index = 1; index < attempts.length; index++) {
    const before = attempts[index - 1];
    const after = attempts[index];
    if (!before || !after) continue;
    const repaired = errorSignature(before.diagnosis);
    if (repaired === null) continue;
    const now = errorSignature(after.diagnosis);
    for (const id of after.bullets) {
      const bullet = playbook.bullets.find((candidate) => candidate.id === id);
      if (!bullet?.triggers.errors.includes(repaired)) continue;
      marks.push(
        now === repaired
          ? { id, tag: "harmful", reason: `shown to repair ${repaired}, and attempt ${after.n} failed the same way` }
          : { id, tag: "helpful", reason: `shown to repair ${repaired}, and attempt ${after.n} got past it` },
      );
    }
  }
  return marks;
}

/** Lines only in `before` and lines only in `after` (by content, indentation ignored). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const set = (code: string) =>
    new Set(
      code
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    );
  const old = set(before);
  const next = set(after);
  return { added: [...next].filter((line) => !old.has(line)), removed: [...old].filter((line) => !next.has(line)) };
}

function summarize(fix: NonNullable<Reflection["fix"]>): string {
  const shown = [
    ...fix.removed.slice(0, 2).map((line) => `- ${line}`),
    ...fix.added.slice(0, 2).map((line) => `+ ${line}`),
  ];
  return shown.join("; ") || "whitespace only";
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

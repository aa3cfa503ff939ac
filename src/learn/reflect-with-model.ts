import { z } from "zod";
import type { Outcome, Task } from "../loop/index.ts";
import { type GenerateOptions, generate, type TextModel } from "../models/index.ts";
import { SECTIONS } from "./bullet.ts";
import type { Insight, Reflection } from "./reflection.ts";

const CODE_LINES = 30;
const MAX_LESSONS = 2;

const LessonsSchema = z.object({
  lessons: z
    .array(z.object({ section: z.enum(SECTIONS).catch("strategies"), content: z.string().min(8).max(240) }))
    .max(5),
});

/**
 * Asks a model (`--reflector-model`, often stronger than the generator) what a run teaches, from the same
 * facts the deterministic reflector reads: the task's words, its visible tests, the attempts and diagnoses.
 * Returns at most two lessons; an answer that cannot be read gives none (the run's rules still apply).
 */
export async function reflectWithModel(
  model: TextModel,
  task: Task,
  outcome: Outcome,
  reflection: Reflection,
  options: Pick<GenerateOptions, "signal" | "cache" | "timeoutMs"> = {},
): Promise<Insight[]> {
  if (reflection.failures.length === 0) return [];
  const facts = factsOf(task, outcome, reflection);
  const errors = [...new Set(reflection.failures.map((failure) => failure.signature))];
  const evidence = `${model.spec} on ${reflection.failures.length} failed attempt(s)${reflection.solved ? ", then a pass" : ""}`;
  if (model.promptStyle === "completion") {
    const generation = await generate(
      model,
      {
        prompt: `${commented(facts)}\n# A general lesson for writing ${task.language} functions, in one sentence:\n# Lesson:`,
        maxOutputTokens: 48,
        stopSequences: ["\n"],
      },
      options,
    );
    const content = generation.text.trim().replace(/^#\s*/, "");
    return content.length >= 8 && content.length <= 240
      ? [
          {
            section: "strategies",
            content,
            snippet: null,
            errors,
            evidence,
            source: model.spec,
            pythonOnly: task.language === "python",
          },
        ]
      : [];
  }
  const generation = await generate(
    model,
    {
      system:
        "You review failed attempts of a code generator and write general lessons for it. Reply with JSON only: " +
        '{"lessons":[{"section":"strategies|pitfalls|snippets|environment","content":"one short imperative sentence"}]}. ' +
        "At most two lessons. They must hold for other tasks: never name this task's functions, strings, numbers or expected outputs.",
      prompt: facts,
      maxOutputTokens: 300,
    },
    options,
  );
  const parsed = LessonsSchema.safeParse(jsonIn(generation.text));
  if (!parsed.success) return [];
  return parsed.data.lessons.slice(0, MAX_LESSONS).map((lesson) => ({
    section: lesson.section,
    content: lesson.content.trim(),
    snippet: null,
    errors,
    evidence,
    source: model.spec,
    pythonOnly: task.language === "python",
  }));
}

/** The run as the reflector model reads it: never hidden tests or reference solutions (the task has none). */
function factsOf(task: Task, outcome: Outcome, reflection: Reflection): string {
  const parts = [`Task (${task.language}): ${task.prompt}`];
  if (task.tests?.kind === "code") parts.push(`Visible tests:\n${task.tests.code.trim()}`);
  for (const attempt of outcome.attempts) {
    const code = (attempt.code ?? "(no code)").split("\n").slice(0, CODE_LINES).join("\n");
    parts.push(`Attempt ${attempt.n} (${attempt.diagnosis.kind}):\n${code}\nResult: ${attempt.diagnosis.message}`);
  }
  parts.push(reflection.solved ? "The last attempt passed." : "No attempt passed.");
  return parts.join("\n\n");
}

function jsonIn(text: string): unknown {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return null;
  }
}

function commented(text: string): string {
  return text
    .split("\n")
    .map((line) => `# ${line}`)
    .join("\n");
}

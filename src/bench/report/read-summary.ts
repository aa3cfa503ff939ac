import { readFile } from "node:fs/promises";
import { z } from "zod";
import { LitmusError } from "../../errors.ts";
import { DIFFICULTIES, SPLITS } from "../datasets/bench-task.ts";
import type { EvalSummary } from "../eval/tally.ts";

const Scores = z.record(z.string(), z.number());

/** What a report reads of a summary file (`bench eval`'s NAME.summary.json, `bench run --out`'s summary.json). */
const SummarySchema = z.looseObject({
  dataset: z.looseObject({ name: z.string(), format: z.string(), sha256: z.string(), tasks: z.number() }),
  samples: z.number(),
  tasks: z.number(),
  passAtK: Scores,
  basePassAtK: Scores.nullable(),
  kinds: Scores,
  perTask: z.array(
    z.looseObject({
      taskId: z.string(),
      n: z.number(),
      c: z.number(),
      cBase: z.number(),
      difficulty: z.enum(DIFFICULTIES).nullable(),
      split: z.enum(SPLITS).nullable(),
    }),
  ),
  generation: z
    .looseObject({
      runId: z.string(),
      model: z.string(),
      attemptsToSuccess: Scores,
      usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number().nullable() }),
      sampleMs: z.number(),
    })
    .nullable()
    .default(null),
  durationMs: z.number(),
});

/** A summary file, checked; a file that is not one is a BAD_INPUT error naming the field. */
export async function readSummaryFile(path: string): Promise<EvalSummary> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `cannot read the summary ${path}: ${(error as Error).message}`);
  }
  const parsed = SummarySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LitmusError(
      "BAD_INPUT",
      `${path} is not a litmus bench summary: ${issue?.path.join(".") || "the document"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data as unknown as EvalSummary;
}

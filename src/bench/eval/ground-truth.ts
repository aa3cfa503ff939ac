import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** The reference on the inputs of one phase (base or plus): what a sample of that phase is checked against. */
const PhaseTruthSchema = z.object({
  /** The inputs and outputs (digests of the largest), pickled: only the checker in the sandbox reads them. */
  blob: z.string(),
  /** Time of each input. */
  seconds: z.array(z.number()),
  /** Time of the reference on the inputs whose outputs are too large to keep: a check recomputes them. */
  recomputeSeconds: z.number().nullable(),
});

export const GroundTruthSchema = z.object({
  taskId: z.string(),
  codeMs: z.number(),
  testsMs: z.number().nullable(),
  io: z.object({ base: PhaseTruthSchema, plus: PhaseTruthSchema }).nullable(),
  failure: z.string().nullable(),
});

/**
 * What the reference solution of a task did in the sandbox: how long its code and tests ran (the time limits
 * of samples derive from these, as in EvalPlus) and, for input/output scoring, its outputs (a pickle that only
 * Python reads) and the time of each input.
 */
export type GroundTruth = z.infer<typeof GroundTruthSchema>;

/**
 * Ground truths on disk, one JSON file per task, in a folder per dataset version and checker version:
 * computed once, reused by every later evaluation of the same data.
 */
export class GroundTruthCache {
  private readonly directory: string;

  constructor(root: string, key: { dataset: string; sha256: string; checker: string }) {
    const version = createHash("sha256").update(key.checker).digest("hex").slice(0, 12);
    this.directory = join(root, `${safeName(key.dataset)}-${key.sha256.slice(0, 12) || "nosha"}-${version}`);
  }

  /** The cached ground truth of a task, or undefined (also for a damaged file, which is then recomputed). */
  async get(taskId: string): Promise<GroundTruth | undefined> {
    try {
      const parsed = GroundTruthSchema.safeParse(JSON.parse(await readFile(this.fileOf(taskId), "utf8")));
      return parsed.success && parsed.data.taskId === taskId ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Saves atomically: a crash never leaves a half-written file that a later run would trust. */
  async put(truth: GroundTruth): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const file = this.fileOf(truth.taskId);
    const partial = `${file}.${process.pid}.part`;
    await writeFile(partial, JSON.stringify(truth));
    await rename(partial, file);
  }

  private fileOf(taskId: string): string {
    return join(this.directory, `${safeName(taskId)}.json`);
  }
}

function safeName(text: string): string {
  return text.replace(/[^\w.+-]+/g, "_");
}

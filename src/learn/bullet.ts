import { z } from "zod";
import { TASK_LANGUAGES } from "../loop/index.ts";

/** Where a bullet belongs: a playbook's sections, each with the prefix of its bullets' ids. */
export const SECTIONS = ["strategies", "pitfalls", "snippets", "environment"] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_PREFIXES: Record<Section, string> = {
  strategies: "str",
  pitfalls: "pit",
  snippets: "snp",
  environment: "env",
};

export const BULLET_STATUSES = ["candidate", "active", "retired"] as const;

/** When a bullet applies: the failures it answers and the tasks it fits. */
export const TriggersSchema = z.strictObject({
  /** Normalized error signatures (see `errorSignature`), such as `runtime:IndexError:list index out of range`. */
  errors: z.array(z.string().min(1)).default([]),
  /** Task tags (`mbpp`, `strings`, ...). */
  tags: z.array(z.string().min(1)).default([]),
  /** Words of the tasks it was learned from (lower case), for relevance. */
  keywords: z.array(z.string().min(1)).default([]),
});

/** What the selector reads: how often a bullet was shown and how those runs ended, and explicit marks. */
const BulletStatsSchema = z.strictObject({
  shown: z.number().int().nonnegative().default(0),
  passedWhenShown: z.number().int().nonnegative().default(0),
  failedWhenShown: z.number().int().nonnegative().default(0),
  helpful: z.number().int().nonnegative().default(0),
  harmful: z.number().int().nonnegative().default(0),
  /** Admission re-runs this candidate failed. */
  failedTrials: z.number().int().nonnegative().default(0),
});
export type BulletStats = z.infer<typeof BulletStatsSchema>;

const ProvenanceSchema = z.strictObject({
  /** The tasks it was learned from (ids only: never their tests or solutions). */
  tasks: z.array(z.string()),
  /** The learning run or solve run that proposed it. */
  run: z.string().nullable(),
  /** `rules` for the deterministic reflector, else the reflector model's spec. */
  reflector: z.string(),
  createdAt: z.string(),
});

/** The fields of a new bullet that its author gives (the playbook assigns id, stats and status). */
export const BulletDraftSchema = z.strictObject({
  section: z.enum(SECTIONS),
  /** One short imperative sentence. */
  content: z.string().trim().min(8).max(240),
  /** Code that has passed tests, when the bullet is a snippet. */
  snippet: z.string().max(1200).nullable().default(null),
  /** The language it is about; `null` when it holds for any. */
  language: z.enum(TASK_LANGUAGES).nullable().default(null),
  triggers: TriggersSchema.default({ errors: [], tags: [], keywords: [] }),
  provenance: ProvenanceSchema,
});
export type BulletDraft = z.infer<typeof BulletDraftSchema>;

export const BulletSchema = BulletDraftSchema.extend({
  id: z.string().regex(/^[a-z]{3}-\d{4,}$/, "an id like str-0001"),
  status: z.enum(BULLET_STATUSES),
  stats: BulletStatsSchema,
});
export type Bullet = z.infer<typeof BulletSchema>;

export function emptyStats(): BulletStats {
  return { shown: 0, passedWhenShown: 0, failedWhenShown: 0, helpful: 0, harmful: 0, failedTrials: 0 };
}

/**
 * How much the record says a bullet helps: the posterior mean of a Beta(1, 1) prior updated with the runs
 * it was shown in and its explicit marks. 0.5 for a bullet never shown.
 */
export function utilityOf(stats: BulletStats): number {
  const good = stats.passedWhenShown + stats.helpful;
  const bad = stats.failedWhenShown + stats.harmful;
  return (1 + good) / (2 + good + bad);
}

/** A bullet as the model sees it: the sentence, and its snippet when it has one. */
export function renderBullet(bullet: Pick<Bullet, "content" | "snippet">): string {
  return bullet.snippet ? `${bullet.content}\n${bullet.snippet.trimEnd()}` : bullet.content;
}

import { z } from "zod";
import { BULLET_STATUSES, BulletDraftSchema, TriggersSchema } from "./bullet.ts";

/**
 * A small, id-addressed change to a playbook. Reflectors and curators propose deltas; only `applyDelta`
 * changes a playbook, so a model never rewrites one wholesale.
 */
export const DeltaSchema = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("ADD"),
    /** Assigned when applied (the next free id of the section); recorded in the log. */
    id: z.string().optional(),
    /** Default `candidate`: admission makes it active. */
    status: z.enum(BULLET_STATUSES).default("candidate"),
    bullet: BulletDraftSchema,
  }),
  z.strictObject({
    op: z.literal("UPDATE"),
    id: z.string(),
    /** New content or snippet; triggers are merged into the bullet's (never dropped). */
    content: BulletDraftSchema.shape.content.optional(),
    snippet: z.string().max(1200).nullable().optional(),
    triggers: TriggersSchema.partial().optional(),
    status: z.enum(BULLET_STATUSES).optional(),
    reason: z.string().min(1),
  }),
  z.strictObject({
    op: z.literal("TAG"),
    id: z.string(),
    tag: z.enum(["helpful", "harmful", "failed-trial"]),
    reason: z.string().min(1),
  }),
  z.strictObject({
    op: z.literal("REMOVE"),
    id: z.string(),
    reason: z.string().min(1),
  }),
  /**
   * The usage record of one run: which bullets were shown and whether the run passed its visible tests.
   * It feeds the statistics selection and retirement read.
   */
  z.strictObject({
    op: z.literal("OBSERVE"),
    shown: z.array(z.string()),
    passed: z.boolean(),
  }),
  /** Back to the playbook as it was at `version`; the log keeps everything after it. */
  z.strictObject({
    op: z.literal("ROLLBACK"),
    to: z.number().int().nonnegative(),
  }),
]);
export type Delta = z.input<typeof DeltaSchema>;
export type ParsedDelta = z.output<typeof DeltaSchema>;

/** Where an applied delta came from, for audits and for resuming a learning run without applying it twice. */
const DeltaSourceSchema = z.strictObject({
  /** `learn`, `solve`, `bench`, `cli`, ... */
  kind: z.string(),
  /** The step that produced it, such as `<learn run id>/e1/Mbpp/601`. */
  step: z.string().nullable(),
});
export type DeltaSource = z.infer<typeof DeltaSourceSchema>;

/** One entry of a playbook's append-only log. */
export const LogEntrySchema = z.strictObject({
  version: z.number().int().positive(),
  at: z.string(),
  source: DeltaSourceSchema,
  delta: DeltaSchema,
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

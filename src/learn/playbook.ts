import { randomUUID } from "node:crypto";
import { z } from "zod";
import { LitmusError } from "../errors.ts";
import { TASK_LANGUAGES } from "../loop/index.ts";
import { type Bullet, BulletSchema, emptyStats, SECTION_PREFIXES } from "./bullet.ts";
import { type Delta, DeltaSchema, type DeltaSource, type LogEntry, LogEntrySchema, type ParsedDelta } from "./delta.ts";

export const PLAYBOOK_FORMAT = "litmus-playbook";
export const PLAYBOOK_SCHEMA_VERSION = 1;

/** The portable playbook: its bullets and the log of every delta that made them (see docs/learning.md). */
export const PlaybookSchema = z.strictObject({
  format: z.literal(PLAYBOOK_FORMAT),
  schemaVersion: z.literal(PLAYBOOK_SCHEMA_VERSION),
  /** Ties the run store's learning records to this playbook. */
  id: z.uuid(),
  /** Where it applies: bullets of another language are never selected. */
  environment: z.strictObject({
    language: z.enum(TASK_LANGUAGES).nullable(),
    tags: z.array(z.string()),
  }),
  /** The number of deltas applied: the version `rollback` and `diff` name. */
  version: z.number().int().nonnegative(),
  /** Runs observed with this playbook, and how many passed: the baseline a bullet's effect is measured against. */
  counters: z.strictObject({ runs: z.number().int().nonnegative(), passed: z.number().int().nonnegative() }),
  bullets: z.array(BulletSchema),
  log: z.array(LogEntrySchema),
});
export type Playbook = z.infer<typeof PlaybookSchema>;

export function emptyPlaybook(environment: Partial<Playbook["environment"]> = {}, id: string = randomUUID()): Playbook {
  return {
    format: PLAYBOOK_FORMAT,
    schemaVersion: PLAYBOOK_SCHEMA_VERSION,
    id,
    environment: { language: environment.language ?? null, tags: environment.tags ?? [] },
    version: 0,
    counters: { runs: 0, passed: 0 },
    bullets: [],
    log: [],
  };
}

/** The bullet with this id; a LitmusError naming the playbook's ids when there is none. */
export function bulletOf(playbook: Playbook, id: string): Bullet {
  const bullet = playbook.bullets.find((candidate) => candidate.id === id);
  if (!bullet) {
    const known = playbook.bullets.map((each) => each.id);
    throw new LitmusError(
      "BAD_INPUT",
      `no bullet ${id} in the playbook (it has ${known.length === 0 ? "none" : known.slice(0, 12).join(", ")}${known.length > 12 ? ", ..." : ""})`,
    );
  }
  return bullet;
}

/**
 * Applies one delta: validates it, changes a copy of the playbook, and appends it to the log (an ADD with
 * the id it was given). The playbook passed in is left as it was.
 */
export function applyDelta(playbook: Playbook, delta: Delta, source: DeltaSource, at = new Date()): Playbook {
  const parsed = DeltaSchema.safeParse(delta);
  if (!parsed.success) {
    throw new LitmusError("BAD_INPUT", `invalid playbook delta: ${z.prettifyError(parsed.error)}`);
  }
  const next = structuredClone(playbook);
  const applied = change(next, parsed.data);
  next.version += 1;
  next.log.push({ version: next.version, at: at.toISOString(), source, delta: applied });
  return next;
}

/** Applies deltas in order. */
export function applyDeltas(playbook: Playbook, deltas: Delta[], source: DeltaSource, at = new Date()): Playbook {
  return deltas.reduce((current, delta) => applyDelta(current, delta, source, at), playbook);
}

/** The playbook as it was at `version` (0: empty), rebuilt from its log. */
export function playbookAt(playbook: Playbook, version: number): Playbook {
  if (!Number.isInteger(version) || version < 0 || version > playbook.version) {
    throw new LitmusError(
      "BAD_INPUT",
      `version ${version} does not exist: the playbook has versions 0 to ${playbook.version}`,
    );
  }
  const state = emptyPlaybook(playbook.environment, playbook.id);
  for (const entry of playbook.log.slice(0, version)) {
    change(state, DeltaSchema.parse(entry.delta));
    state.version = entry.version;
    state.log.push(entry);
  }
  return state;
}

/** Rolls back to `version`: the bullets become what they were, and the rollback is logged like any delta. */
export function rollback(playbook: Playbook, version: number, source: DeltaSource): Playbook {
  playbookAt(playbook, version);
  return applyDelta(playbook, { op: "ROLLBACK", to: version }, source);
}

/** Changes `playbook` in place; returns the delta as logged. */
function change(playbook: Playbook, delta: ParsedDelta): ParsedDelta {
  switch (delta.op) {
    case "ADD": {
      const id = delta.id ?? nextId(playbook, delta.bullet.section);
      if (playbook.bullets.some((bullet) => bullet.id === id)) {
        throw new LitmusError("BAD_INPUT", `cannot add bullet ${id}: the playbook already has one with that id`);
      }
      playbook.bullets.push({ ...structuredClone(delta.bullet), id, status: delta.status, stats: emptyStats() });
      return { ...delta, id };
    }
    case "UPDATE": {
      const bullet = bulletOf(playbook, delta.id);
      if (delta.content !== undefined) bullet.content = delta.content;
      if (delta.snippet !== undefined) bullet.snippet = delta.snippet;
      if (delta.status !== undefined) bullet.status = delta.status;
      if (delta.triggers) {
        for (const key of ["errors", "tags", "keywords"] as const) {
          bullet.triggers[key] = [...new Set([...bullet.triggers[key], ...(delta.triggers[key] ?? [])])];
        }
      }
      return delta;
    }
    case "TAG": {
      const { stats } = bulletOf(playbook, delta.id);
      if (delta.tag === "helpful") stats.helpful += 1;
      else if (delta.tag === "harmful") stats.harmful += 1;
      else stats.failedTrials += 1;
      return delta;
    }
    case "REMOVE": {
      bulletOf(playbook, delta.id);
      playbook.bullets = playbook.bullets.filter((bullet) => bullet.id !== delta.id);
      return delta;
    }
    case "OBSERVE": {
      playbook.counters.runs += 1;
      if (delta.passed) playbook.counters.passed += 1;
      // A bullet removed since it was shown has no statistics left to update.
      for (const id of new Set(delta.shown)) {
        const bullet = playbook.bullets.find((candidate) => candidate.id === id);
        if (!bullet) continue;
        bullet.stats.shown += 1;
        if (delta.passed) bullet.stats.passedWhenShown += 1;
        else bullet.stats.failedWhenShown += 1;
      }
      return delta;
    }
    case "ROLLBACK": {
      const earlier = playbookAt(playbook, delta.to);
      playbook.bullets = earlier.bullets;
      playbook.counters = earlier.counters;
      return delta;
    }
    default:
      delta satisfies never;
      throw new LitmusError("INTERNAL", "unknown delta");
  }
}

/** The next id of a section: its prefix and one more than the highest number ever used in the log. */
function nextId(playbook: Playbook, section: Bullet["section"]): string {
  const prefix = SECTION_PREFIXES[section];
  let highest = 0;
  const seen = [...playbook.bullets.map((bullet) => bullet.id), ...playbook.log.map((entry) => addedId(entry))];
  for (const id of seen) {
    const match = id ? new RegExp(`^${prefix}-(\\d+)$`).exec(id) : null;
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `${prefix}-${String(highest + 1).padStart(4, "0")}`;
}

function addedId(entry: LogEntry): string | undefined {
  return entry.delta.op === "ADD" ? entry.delta.id : undefined;
}

/** Bullets by status. */
export function bulletsWith(playbook: Playbook, ...statuses: Bullet["status"][]): Bullet[] {
  return playbook.bullets.filter((bullet) => statuses.includes(bullet.status));
}

import { type Bullet, renderBullet, utilityOf } from "./bullet.ts";
import type { Delta } from "./delta.ts";
import { leakOf, type TaskFacts } from "./leakage.ts";
import { bulletsWith, type Playbook } from "./playbook.ts";
import type { Reflection } from "./reflection.ts";
import { lexical, type Similarity } from "./similarity.ts";

export interface CuratorOptions {
  /** New or changed bullets per task, at most. Default 3. */
  maxChanges?: number;
  /** Active bullets, at most: past it, the least useful retire. Default 40. */
  maxActive?: number;
  /** Default: lexical. */
  similarity?: Similarity;
  /** New bullets start as candidates (admission makes them active). False: active at once. Default true. */
  admission?: boolean;
}

/** What the curator made of a reflection. */
export interface Curation {
  deltas: Delta[];
  /** Lessons turned away, and why (leaks, duplicates, over the cap). */
  rejected: { content: string; reason: string }[];
  /** Bullets the playbook already had that this run's lessons repeat (candidates among them get another trial). */
  matched: string[];
}

/**
 * Turns a reflection into a few deltas: the run's usage record, marks on the bullets shown, and at most
 * `maxChanges` new bullets (or new triggers on the bullet that already says the same). Lessons that leak the
 * task are refused.
 */
export async function curate(
  playbook: Playbook,
  reflection: Reflection,
  task: TaskFacts & { language: Bullet["language"] },
  provenance: { run: string | null; at: Date },
  options: CuratorOptions = {},
): Promise<Curation> {
  const similarity = options.similarity ?? lexical;
  const maxChanges = options.maxChanges ?? 3;
  const deltas: Delta[] = [{ op: "OBSERVE", shown: reflection.shown, passed: reflection.solved }];
  const known = new Set(playbook.bullets.map((bullet) => bullet.id));
  for (const mark of reflection.marks) {
    if (known.has(mark.id)) deltas.push({ op: "TAG", id: mark.id, tag: mark.tag, reason: mark.reason });
  }
  const rejected: Curation["rejected"] = [];
  const matched = new Set<string>();
  let changes = 0;
  for (const insight of reflection.insights) {
    const text = renderBullet(insight);
    const leak = leakOf(text, task);
    if (leak) {
      rejected.push({ content: insight.content, reason: `leaks the task: ${leak}` });
      continue;
    }
    if (changes >= maxChanges) {
      rejected.push({ content: insight.content, reason: `over the limit of ${maxChanges} changes per task` });
      continue;
    }
    const twin = await closest(playbook.bullets, insight.section, text, similarity);
    if (twin) {
      if (twin.status === "retired") {
        rejected.push({ content: insight.content, reason: `the retired bullet ${twin.id} says the same` });
        continue;
      }
      matched.add(twin.id);
      const newErrors = insight.errors.filter((error) => !twin.triggers.errors.includes(error));
      // A twin without error triggers is shown without waiting for a failure; triggers would make it wait.
      if (newErrors.length === 0 || twin.triggers.errors.length === 0) {
        rejected.push({ content: insight.content, reason: `already in the playbook as ${twin.id}` });
        continue;
      }
      deltas.push({
        op: "UPDATE",
        id: twin.id,
        triggers: { errors: newErrors },
        reason: `the same lesson answers ${newErrors.join(", ")} (${reflection.taskId})`,
      });
      changes += 1;
      continue;
    }
    deltas.push({
      op: "ADD",
      status: options.admission === false ? "active" : "candidate",
      bullet: {
        section: insight.section,
        content: insight.content,
        snippet: insight.snippet,
        language: insight.pythonOnly ? "python" : null,
        triggers: { errors: insight.errors, tags: reflection.tags, keywords: reflection.keywords },
        provenance: {
          tasks: [reflection.taskId],
          run: provenance.run,
          reflector: insight.source,
          createdAt: provenance.at.toISOString(),
        },
      },
    });
    changes += 1;
  }
  return { deltas, rejected, matched: [...matched] };
}

/** The non-retired or retired bullet of the same section that says the same thing, if any. */
async function closest(bullets: Bullet[], section: Bullet["section"], text: string, similarity: Similarity) {
  let best: { bullet: Bullet; score: number } | null = null;
  for (const bullet of bullets) {
    if (bullet.section !== section) continue;
    const score = await similarity.score(renderBullet(bullet), text);
    if (score >= similarity.duplicateAt && (!best || score > best.score)) best = { bullet, score };
  }
  return best?.bullet ?? null;
}

export interface RetirementOptions {
  /** Default 40. */
  maxActive?: number;
  /** Harmful marks that retire a bullet (when they outnumber its helpful ones). Default 3. */
  harmfulLimit?: number;
  /** Failed admission re-runs that retire a candidate. Default 2. */
  trialLimit?: number;
  /** Runs a bullet must have been shown in before its measured effect can retire it. Default 8. */
  minShown?: number;
  /**
   * Retire when the pass rate with the bullet is this much below the rate without it (unless its helpful marks
   * outnumber its harmful ones). Default 0.15.
   */
  negativeEffect?: number;
}

/**
 * Retirements the record calls for: bullets marked harmful again and again, candidates that failed
 * admission, active bullets whose measured effect is negative, and the least useful past the cap.
 */
export function retirements(playbook: Playbook, options: RetirementOptions = {}): Delta[] {
  const harmfulLimit = options.harmfulLimit ?? 3;
  const trialLimit = options.trialLimit ?? 2;
  const minShown = options.minShown ?? 8;
  const negativeEffect = options.negativeEffect ?? 0.15;
  const retire = (bullet: Bullet, reason: string): Delta => ({
    op: "UPDATE",
    id: bullet.id,
    status: "retired",
    reason,
  });
  const deltas: Delta[] = [];
  const retiring = new Set<string>();
  for (const bullet of bulletsWith(playbook, "candidate", "active")) {
    const { stats } = bullet;
    let reason: string | null = null;
    if (stats.harmful >= harmfulLimit && stats.harmful > stats.helpful)
      reason = `marked harmful ${stats.harmful} times (helpful ${stats.helpful})`;
    else if (bullet.status === "candidate" && stats.failedTrials >= trialLimit)
      reason = `failed admission ${stats.failedTrials} times`;
    else if (bullet.status === "active" && stats.shown >= minShown && stats.helpful <= stats.harmful) {
      // The observed effect mixes in which tasks a bullet is shown for (one about missing code is shown to the
      // hardest tasks): a bullet whose repairs keep getting past its failure is kept whatever the pass rate.
      const effect = effectOf(bullet, playbook);
      if (effect < -negativeEffect) reason = `measured effect ${effect.toFixed(2)} on the pass rate`;
    }
    if (reason) {
      deltas.push(retire(bullet, reason));
      retiring.add(bullet.id);
    }
  }
  const active = bulletsWith(playbook, "active").filter((bullet) => !retiring.has(bullet.id));
  const maxActive = options.maxActive ?? 40;
  if (active.length > maxActive) {
    const leastUseful = active
      .sort((a, b) => utilityOf(a.stats) - utilityOf(b.stats))
      .slice(0, active.length - maxActive);
    for (const bullet of leastUseful)
      deltas.push(retire(bullet, `over the cap of ${maxActive} active bullets, and the least useful`));
  }
  return deltas;
}

/**
 * A bullet's measured effect: the pass rate of runs that showed it minus the rate of runs that did not
 * (both smoothed with a Beta(1, 1) prior). An observational estimate: `learn eval` measures properly.
 */
export function effectOf(bullet: Bullet, playbook: Playbook): number {
  const { shown, passedWhenShown } = bullet.stats;
  const notShown = Math.max(0, playbook.counters.runs - shown);
  const passedNotShown = Math.max(0, playbook.counters.passed - passedWhenShown);
  return (passedWhenShown + 1) / (shown + 2) - (passedNotShown + 1) / (notShown + 2);
}

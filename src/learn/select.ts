import type { BulletSource, PromptBullet, Task, TaskLanguage } from "../loop/index.ts";
import { type Bullet, renderBullet, utilityOf } from "./bullet.ts";
import type { Playbook } from "./playbook.ts";
import { errorSignature } from "./signature.ts";
import { estimateTokens, lexicalSimilarity } from "./text.ts";

/** What a prompt is about: the task and, during a repair, the failure being repaired. */
export interface SelectionRequest {
  language: TaskLanguage;
  /** The task in words (and its starter code, when it has one). */
  text: string;
  tags: string[];
  /** The signature of the failure being repaired (see `errorSignature`); absent on a first attempt. */
  failure?: string | null;
}

export interface SelectionOptions {
  /** Tokens the bullets may take in the prompt, all together. */
  budgetTokens: number;
  /** Candidates to show as well (admission trials): they are chosen first. */
  include?: string[];
}

/**
 * The rule `selectBullets` follows, bumped by hand whenever it would pick differently for the same playbook and
 * task. It is part of what identifies a bench run's bullets (`bulletsIdentity`), so a run resumed under another
 * rule starts anew instead of mixing samples chosen under two rules. 2: lessons wait for their failure. 3: a
 * shared tag no longer admits a snippet whose words do not fit the task.
 */
export const SELECTION_REVISION = 3;

/** What identifies the bullets a run sees: the playbook at its version, the budget and the selection rule. */
export function bulletsIdentity(playbook: Pick<Playbook, "id" | "version">, budgetTokens: number): string {
  return `${playbook.id}@${playbook.version}/${budgetTokens}/select-${SELECTION_REVISION}`;
}

/** Prompt budgets by model: hundreds of tokens for the embedded sub-1B model, more for hosted ones. */
export function defaultBudgetTokens(modelSpec: string): number {
  return modelSpec === "local" || modelSpec.startsWith("local:") ? 120 : 600;
}

/** The word overlap (`wordFit`) from which a task is taken to be about what a bullet was learned from. */
const MIN_FIT = 0.1;

/** A section already chosen weighs this much less for each bullet it already has: a mix beats one kind. */
const SECTION_DECAY = 0.6;

/**
 * Picks the bullets for a prompt under a hard token budget: candidates on trial first, then bullets whose
 * trigger matches the failure being repaired, then the others that fit the task (`relevant`) by relevance x
 * utility, diversified across sections and away from near-duplicates. Only active bullets of the task's
 * language (or of none) qualify.
 */
export function selectBullets(playbook: Playbook, request: SelectionRequest, options: SelectionOptions): Bullet[] {
  const include = new Set(options.include ?? []);
  const fits = (bullet: Bullet) => bullet.language === null || bullet.language === request.language;
  const trial = playbook.bullets.filter((bullet) => include.has(bullet.id) && fits(bullet));
  const pool = playbook.bullets.filter(
    (bullet) => bullet.status === "active" && !include.has(bullet.id) && fits(bullet),
  );
  // Relevance to the task, and relevance x utility: the order the rest are taken in.
  const scored = pool.map((bullet) => {
    const words = wordFit(bullet, request);
    const fit = words + (sharesTag(bullet, request) ? 0.2 : 0);
    return { bullet, words, base: (0.5 + fit) * utilityOf(bullet.stats) };
  });

  const chosen: Bullet[] = [];
  let spent = 0;
  const take = (bullet: Bullet): void => {
    const cost = bulletTokens(bullet);
    if (spent + cost > options.budgetTokens) return;
    chosen.push(bullet);
    spent += cost;
  };
  for (const bullet of trial) take(bullet);
  const matching = request.failure ? scored.filter(({ bullet }) => triggered(bullet, request.failure ?? "")) : [];
  for (const { bullet } of matching.sort((a, b) => b.base - a.base)) take(bullet);

  let rest = scored.filter(({ bullet, words }) => !chosen.includes(bullet) && relevant(bullet, words));
  while (rest.length > 0) {
    let best = rest[0];
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const entry of rest) {
      const score = entry.base * diversity(entry.bullet, chosen);
      if (score > bestScore) {
        best = entry;
        bestScore = score;
      }
    }
    if (!best) break;
    take(best.bullet);
    rest = rest.filter((entry) => entry !== best);
  }
  return chosen;
}

/** Tokens a bullet takes in the prompt, with the line prefix ("# Hint: ") it is shown with. */
export function bulletTokens(bullet: Pick<Bullet, "content" | "snippet">): number {
  return estimateTokens(`# Hint: ${renderBullet(bullet)}\n`);
}

/** Whether a bullet answers a failure: the same signature, or (weaker) a trigger for the same error class. */
function triggered(bullet: Bullet, failure: string): boolean {
  return bullet.triggers.errors.some((error) => error === failure || classOf(error) === classOf(failure));
}

/** `runtime:IndexError:...` -> `runtime:IndexError`. */
function classOf(signature: string): string {
  return signature.split(":").slice(0, 2).join(":");
}

/**
 * Whether a bullet may be shown without its trigger matching the failure being repaired. A lesson drawn from a
 * failure (it has error triggers) waits for that failure, whatever its section; others (snippets) wait for a
 * task about the same things as the one they were learned from; rules with no triggers at all are for every
 * task. Shown where it has nothing to say, a bullet only perturbs the prompt: on the embedded model a bullet
 * shown to every first attempt cost as many tasks as a placebo of the same length (docs/learning.md).
 */
function relevant(bullet: Bullet, words: number): boolean {
  const { errors, tags, keywords } = bullet.triggers;
  if (errors.length > 0) return false;
  // Words, not tags: a tag many tasks share (a difficulty, a dataset) says nothing about this one.
  return (tags.length === 0 && keywords.length === 0) || words > MIN_FIT;
}

/** Relevance to the task by its words: overlap with what the bullet says and was learned from. */
function wordFit(bullet: Bullet, request: SelectionRequest): number {
  return lexicalSimilarity(`${bullet.content} ${bullet.triggers.keywords.join(" ")}`, request.text);
}

/** Whether the bullet was learned from a task sharing a tag with this one: it orders bullets, never admits one. */
function sharesTag(bullet: Bullet, request: SelectionRequest): boolean {
  return bullet.triggers.tags.some((tag) => request.tags.includes(tag));
}

function diversity(bullet: Bullet, chosen: Bullet[]): number {
  const sameSection = chosen.filter((other) => other.section === bullet.section).length;
  const closest = Math.max(0, ...chosen.map((other) => lexicalSimilarity(other.content, bullet.content)));
  return SECTION_DECAY ** sameSection * (1 - 0.5 * closest);
}

/**
 * The bullets of `playbook` for a run of `task`, as the loop asks for them: selected anew for every attempt,
 * a repair's from its failure.
 */
export function playbookBullets(playbook: Playbook, task: Task, options: SelectionOptions): BulletSource {
  const request = { language: task.language, text: `${task.prompt}\n${task.starter ?? ""}`, tags: task.tags };
  return {
    size: playbook.bullets.length,
    select: (previous) =>
      selectBullets(
        playbook,
        { ...request, failure: previous && "diagnosis" in previous ? errorSignature(previous.diagnosis) : null },
        options,
      ).map(promptBulletOf),
  };
}

/**
 * Everything a run's bullets are chosen from, as plain data: what a worker on another machine needs to choose
 * them itself (`litmus worker`). The playbook travels without its log, which selection never reads.
 */
export interface BulletSelection {
  playbook: Playbook;
  options: SelectionOptions;
}

/** `playbook` as a BulletSelection: a copy without the log. */
export function bulletSelection(playbook: Playbook, options: SelectionOptions): BulletSelection {
  return { playbook: { ...playbook, log: [] }, options };
}

function promptBulletOf(bullet: Bullet): PromptBullet {
  return { id: bullet.id, content: bullet.content, snippet: bullet.snippet };
}

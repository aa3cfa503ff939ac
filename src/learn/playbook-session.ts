import type { BulletSource, Outcome, Task } from "../loop/index.ts";
import { Learner, type LearnerOptions, type LearnStep } from "./learner.ts";
import type { Playbook } from "./playbook.ts";
import { readOrCreatePlaybook, readPlaybook } from "./playbook-file.ts";
import {
  type BulletSelection,
  bulletSelection,
  bulletsIdentity,
  defaultBudgetTokens,
  playbookBullets,
  SELECTION_REVISION,
} from "./select.ts";

export interface PlaybookSessionOptions extends Omit<LearnerOptions, "playbookPath"> {
  path: string;
  /** Learn from every run (online learning); otherwise the playbook is only read. */
  learn: boolean;
}

/**
 * A playbook used by a command (`solve`, `bench run`): bullets for each run from the playbook as it is now,
 * and, with `learn`, reflection and curation after each run, so the next run sees what this one taught.
 */
export class PlaybookSession {
  /**
   * What identifies the bullets a run sees: the playbook at its version, the budget and the selection rule (the
   * playbook without its version when learning: the version moves as the run goes).
   */
  readonly identity: string;
  private current: Playbook;
  private readonly options: PlaybookSessionOptions;
  private readonly learner: Learner | null;

  private constructor(current: Playbook, options: PlaybookSessionOptions) {
    this.current = current;
    this.options = options;
    this.learner = options.learn ? new Learner({ ...options, playbookPath: options.path }) : null;
    this.identity = options.learn
      ? `learn:${current.id}/${this.budgetTokens}/select-${SELECTION_REVISION}`
      : `playbook:${bulletsIdentity(current, this.budgetTokens)}`;
  }

  /** Opens the playbook at `path`: it must exist unless learning (learning starts an empty one). */
  static async open(options: PlaybookSessionOptions): Promise<PlaybookSession> {
    const playbook = options.learn
      ? await readOrCreatePlaybook(options.path, options.environment)
      : await readPlaybook(options.path);
    return new PlaybookSession(playbook, options);
  }

  private get budgetTokens(): number {
    return this.options.budgetTokens ?? defaultBudgetTokens(this.options.model.spec);
  }

  /** Whether runs are learned from (`afterRun` does something). */
  get learning(): boolean {
    return this.learner !== null;
  }

  get playbook(): Playbook {
    return this.current;
  }

  bulletsFor(task: Task): BulletSource {
    const { playbook, options } = this.selection();
    return playbookBullets(playbook, task, options);
  }

  /** What the bullets are chosen from now, as plain data: for a worker to choose them (`bench run --queue`). */
  selection(): BulletSelection {
    return bulletSelection(this.current, {
      budgetTokens: this.budgetTokens,
    });
  }

  /**
   * After a run of `task`: learns from it when learning (`step` names it in the playbook's log). A run without
   * tests teaches nothing (its success is unverified), so it is left out.
   */
  async afterRun(task: Task, outcome: Outcome, step: string): Promise<LearnStep | null> {
    if (!this.learner || !outcome.verified) return null;
    const learned = await this.learner.learnFrom(task, outcome, step);
    this.current = await this.learner.playbook();
    return learned;
  }
}

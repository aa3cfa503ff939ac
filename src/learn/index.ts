export { seededRandom, shuffled } from "../random.ts";
export {
  BULLET_STATUSES,
  type Bullet,
  type BulletDraft,
  type BulletStats,
  renderBullet,
  SECTIONS,
  type Section,
  utilityOf,
} from "./bullet.ts";
export { type Curation, type CuratorOptions, curate, effectOf, type RetirementOptions, retirements } from "./curate.ts";
export { type Delta, DeltaSchema, type DeltaSource, type LogEntry } from "./delta.ts";
export { leakOf, type TaskFacts } from "./leakage.ts";
export { type LearnRunEvent, type LearnRunOptions, type LearnSummary, runLearning } from "./learn-run.ts";
export {
  type LearnEvent,
  Learner,
  type LearnerOptions,
  type LearnStep,
  type RunSettings,
  type Solver,
} from "./learner.ts";
export { renderLearningHtml } from "./measure/learning-report.ts";
export {
  ARMS,
  type Arm,
  type LearningMeasurement,
  type MeasureLearningOptions,
  type MeasureProgress,
  measureLearning,
  type TaskSet,
} from "./measure/measure-learning.ts";
export {
  applyDelta,
  applyDeltas,
  bulletOf,
  bulletsWith,
  emptyPlaybook,
  type Playbook,
  PlaybookSchema,
  playbookAt,
  rollback,
} from "./playbook.ts";
export { parsePlaybook, readOrCreatePlaybook, readPlaybook, updatePlaybook, writePlaybook } from "./playbook-file.ts";
export { PlaybookSession, type PlaybookSessionOptions } from "./playbook-session.ts";
export { reflect } from "./reflect.ts";
export { reflectWithModel } from "./reflect-with-model.ts";
export type { BulletMark, Insight, Reflection } from "./reflection.ts";
export {
  type BulletSelection,
  bulletSelection,
  bulletTokens,
  defaultBudgetTokens,
  playbookBullets,
  SELECTION_REVISION,
  type SelectionRequest,
  selectBullets,
} from "./select.ts";
export { errorSignature } from "./signature.ts";
export { embeddingSimilarity, lexical, localEmbeddings, type Similarity } from "./similarity.ts";

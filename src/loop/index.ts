export { DIAGNOSIS_KINDS, type Diagnosis, type DiagnosisKind, diagnose } from "./diagnose.ts";
export { type Draft as CodeDraft, type DraftOptions, draftCode } from "./draft.ts";
export { completeCode, extractCode } from "./extract-code.ts";
export {
  type BuiltPrompt,
  type BulletSource,
  buildPrompt,
  citedBullets,
  type PreviousAttempt,
  type PromptBullet,
  signatureOf,
} from "./prompt.ts";
export { type CheckedCode, type CheckTimeouts, checkCode, checkCodeIn, checkTestsIn } from "./run-attempt.ts";
export { sanitizeCode } from "./sanitize.ts";
export {
  type Attempt,
  type Outcome,
  type Sample,
  type SolveEvent,
  type SolveOptions,
  solve,
  type Usage,
} from "./solve.ts";
export {
  loadTaskFile,
  loadTestsFile,
  MAX_CLIENT_TASK_CHARS,
  parseTask,
  TASK_LANGUAGES,
  type Task,
  TaskFileSchema,
  type TaskLanguage,
  type TaskTests,
  taskJsonSchema,
} from "./task.ts";
export { pythonHarnessModule, type TestReport, testCellOf, testReportOf } from "./test-harness.ts";
export { testSourceOf } from "./test-source.ts";

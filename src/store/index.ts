export type { BenchRunRecord, BenchRuns, BenchSampleRecord } from "./bench-runs.ts";
export type { LearnRunRecord, LearnRuns, LearnStepRecord } from "./learn-runs.ts";
export type { ReviewEvent, ReviewQuery, ReviewRecord, ReviewStatus, ReviewSummary, Reviews } from "./reviews.ts";
export { defaultRunStorePath, RunStore, type RunSummary, type RunToSave } from "./run-store.ts";

export { defaultRunStorePath, RunStore, type RunSummary, type RunToSave } from "./run-store.ts";

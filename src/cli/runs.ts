import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import { RunStore } from "../store/index.ts";
import { positiveInteger, writeJson } from "./options.ts";

export function registerRunsCommand(program: Command): void {
  const runs = program.command("runs").description("Look at past runs (the run store)");
  runs
    .command("list")
    .description("The latest runs, newest first")
    .option("--limit <n>", "how many", positiveInteger, 20)
    .option("--json", "print one JSON document on stdout")
    .action((options: { limit: number; json?: boolean }) => {
      using store = RunStore.open();
      const list = store.list({ limit: options.limit });
      if (options.json) return writeJson(list);
      if (list.length === 0) {
        process.stderr.write(`no runs recorded yet in ${store.path}\n`);
        return;
      }
      for (const run of list) {
        const verdict = run.success ? (run.verified ? "passed" : "ran (unverified)") : "failed";
        const cost = run.costUsd === null ? "cost unknown" : `$${run.costUsd.toFixed(4)}`;
        process.stdout.write(
          `${run.id.slice(0, 8)}  ${run.createdAt}  ${run.kind}  ${run.taskId}  ${run.model}  ${verdict} in ${run.attempts}  ${cost}  ${(run.durationMs / 1000).toFixed(1)} s\n`,
        );
      }
    });
  runs
    .command("show")
    .description("One run in full: the task, every attempt's code, execution and diagnosis")
    .argument("<id>", "run id (or a unique prefix of it)")
    .option("--json", "print one JSON document on stdout")
    .action((id: string, options: { json?: boolean }) => {
      using store = RunStore.open();
      const run = store.get(id);
      if (!run) throw new LitmusError("BAD_INPUT", `no run "${id}" in ${store.path} (see litmus runs list)`);
      if (options.json) return writeJson(run.document);
      const { outcome } = run.document as {
        outcome: { attempts: { n: number; code: string | null; diagnosis: { kind: string; message: string } }[] };
      };
      process.stdout.write(`${JSON.stringify(run.summary, null, 2)}\n`);
      for (const attempt of outcome.attempts) {
        process.stdout.write(
          `\n--- attempt ${attempt.n}: ${attempt.diagnosis.kind}: ${attempt.diagnosis.message}\n${attempt.code ?? "(no code)\n"}`,
        );
      }
    });
}

import type { EvalSummary } from "../bench/index.ts";

/** The human-readable summary of an evaluation, a self-check or a model run. */
export function renderSummary(
  summary: EvalSummary,
  selfCheck: boolean,
  files: Record<string, string> | undefined,
): string {
  const lines: string[] = [];
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const seconds = `${(summary.durationMs / 1000).toFixed(1)} s`;
  if (selfCheck) {
    const passed = summary.perTask.filter((task) => task.c === task.n).length;
    lines.push(
      `${summary.dataset.name}: ${passed}/${summary.tasks} reference solutions pass (${summary.workers} workers, ${seconds})`,
    );
  } else {
    const scores = Object.entries(summary.passAtK).map(([k, value]) => `${k} ${percent(value)}`);
    lines.push(
      `${summary.dataset.name}: ${summary.samples} samples of ${summary.tasks} tasks, ${scores.join(", ")} (${seconds})`,
    );
    if (summary.basePassAtK) {
      const base = Object.entries(summary.basePassAtK).map(([k, value]) => `${k} ${percent(value)}`);
      lines.push(`  base tests only: ${base.join(", ")}`);
    }
    lines.push(
      `  ${Object.entries(summary.kinds)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ")}`,
    );
  }
  for (const failure of summary.referenceFailures)
    lines.push(`  reference solution of ${failure.taskId} fails its own tests: ${failure.message}`);
  const shown = selfCheck ? summary.failures : summary.failures.slice(0, 10);
  for (const failure of shown) lines.push(`  ${failure.taskId}: ${failure.kind}: ${failure.message.split("\n")[0]}`);
  if (shown.length < summary.failures.length)
    lines.push(`  ... and ${summary.failures.length - shown.length} more tasks with failures`);
  if (summary.missingTasks.length > 0)
    lines.push(
      `  ${summary.missingTasks.length} selected tasks had no sample: ${summary.missingTasks.slice(0, 5).join(", ")}${summary.missingTasks.length > 5 ? ", ..." : ""}`,
    );
  const { generation } = summary;
  if (generation) {
    const buckets = Object.entries(generation.attemptsToSuccess)
      .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
      .map(([bucket, count]) => (bucket === "failed" ? `failed ${count}` : `passed at attempt ${bucket}: ${count}`));
    const cost = generation.usage.costUsd === null ? "cost unknown" : `$${generation.usage.costUsd.toFixed(4)}`;
    lines.push(
      `  ${generation.model}, ${generation.samplesPerTask} sample(s) per task, up to ${generation.maxAttempts} attempt(s): ${buckets.join(", ")}`,
      `  ${generation.usage.inputTokens + generation.usage.outputTokens} tokens, ${cost}; run ${generation.runId.slice(0, 8)} (litmus bench report ${generation.runId.slice(0, 8)})`,
    );
  }
  for (const [name, path] of Object.entries(files ?? {})) lines.push(`  ${name}: ${path}`);
  return `${lines.join("\n")}\n`;
}

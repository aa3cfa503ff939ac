import { readFileSync } from "node:fs";
import type { TaskTests } from "../../loop/index.ts";
import type { Scoring } from "../datasets/bench-task.ts";

type IoScoring = Extract<Scoring, { kind: "io" }>;

let ioChecks: string | undefined;
const IO_CHECKS_MODULE = "_litmus_io_checks";

/** io_checks.py as a module to preload into bench sandboxes, after the loop's test harness. */
export function ioChecksModule(): { name: string; source: string } {
  ioChecks ??= readFileSync(new URL("./io_checks.py", import.meta.url), "utf8");
  return { name: IO_CHECKS_MODULE, source: ioChecks };
}

/** `function` of the preloaded io checks, reached through sys.modules (a workspace file cannot shadow it). */
function ioCheck(name: string): string {
  return `__import__("sys").modules[${JSON.stringify(IO_CHECKS_MODULE)}].${name}`;
}

/**
 * The cell that computes a task's reference outputs, run after the reference solution in the same context;
 * its result is `{base, plus}`, each `{blob, seconds, recomputeSeconds}` (see io_checks.py).
 */
export function groundTruthCell(taskId: string, entryPoint: string, scoring: IoScoring): string {
  // JSON strings are valid Python string literals.
  return `${ioCheck("_litmus_ground_truth")}(${entryPoint}, ${JSON.stringify(taskId)}, ${JSON.stringify(entryPoint)}, ${JSON.stringify(scoring.baseInputsJson)}, ${JSON.stringify(scoring.plusInputsJson)}, ${String(scoring.atol)})\n`;
}

/**
 * Tests for litmus's harness that check a sample's outputs on the inputs of one phase (base or plus) against
 * the reference's: one test, `test_inputs`, each call under its own time limit (seconds). `reference` is the
 * reference program, run only when an output kept as a digest needs its real value, or is too large to keep.
 */
export function ioTests(
  entryPoint: string,
  scoring: IoScoring,
  phase: { name: "base" | "plus"; blob: string; limitsSeconds: number[] },
  reference: string,
): TaskTests {
  const args = [
    entryPoint,
    JSON.stringify(scoring.family),
    JSON.stringify(entryPoint),
    JSON.stringify(phase.name),
    JSON.stringify(phase.blob),
    // As JSON text in a string: a list literal of 1000 numbers would cost the harness's AST pass 10 ms a sample.
    JSON.stringify(JSON.stringify(phase.limitsSeconds)),
    String(scoring.atol),
    JSON.stringify(reference),
  ];
  const code = `_litmus_check_io = ${ioCheck("_litmus_check_io")}

def test_inputs():
    _litmus_check_io(${args.join(", ")})
`;
  return { kind: "code", code };
}

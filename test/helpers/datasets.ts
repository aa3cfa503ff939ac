import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The shared datasets (HumanEval, MBPP and their EvalPlus versions): $LITMUS_DATASETS_DIR or ../shared/datasets. */
export const DATASETS_DIR =
  process.env.LITMUS_DATASETS_DIR ?? fileURLToPath(new URL("../../../shared/datasets", import.meta.url));

/** Why dataset tests cannot run here, or null. CI has the datasets beside the checkout: there they always run. */
export function datasetsUnavailableReason(): string | null {
  return existsSync(`${DATASETS_DIR}/humaneval/HumanEval.jsonl.gz`)
    ? null
    : `the shared datasets are not at ${DATASETS_DIR}: set LITMUS_DATASETS_DIR`;
}

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

/**
 * Time limits for tests that check outputs, not speed: references re-run against their own timing. EvalPlus's
 * factor of 4 (the product's default) is not always enough on a loaded 2-core machine: MBPP+'s Mbpp/255 builds
 * 1.1 GB of tuples on its largest input, which took 1 s on one run and 7 s on the next here while other work ran.
 */
export const OUTPUT_CHECK_TIME_LIMITS = Object.freeze({ factor: 20 });

#!/usr/bin/env bash
# litmus's HumanEval+ and MBPP+ self-checks against EvalPlus's own evaluator (evalplus.evaluate), on the same
# machine in the same run: the canonical solutions of every task, 2 workers, cold (reference outputs computed)
# and warm (cached), each tool in turn.
#
#   bash bench/compare-evalplus.sh EVALPLUS_VENV [RUNS]
#
# EVALPLUS_VENV is a virtualenv with evalplus installed from a checkout of github.com/evalplus/evalplus (litmus
# never ships its code). No network is needed: the datasets ($LITMUS_DATASETS_DIR, default ../shared/datasets)
# are written where EvalPlus looks before it would download them, in a private cache.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:?give the path of a virtualenv with evalplus installed}"
RUNS="${2:-2}"
DATASETS="${LITMUS_DATASETS_DIR:-$(cd .. && pwd)/shared/datasets}"
WORK="$(mktemp -d)"
export XDG_CACHE_HOME="$WORK/evalplus-cache" PYTHONUNBUFFERED=1
unset HUMANEVAL_OVERRIDE_PATH MBPP_OVERRIDE_PATH EVALPLUS_TIMEOUT_PER_TASK || true

"$VENV/bin/python" - "$DATASETS" "$WORK" <<'PY'
import gzip, json, os, sys
from evalplus.data.utils import CACHE_DIR, get_dataset_metadata
from evalplus.data.humaneval import HUMANEVAL_PLUS_VERSION, get_human_eval_plus
from evalplus.data.mbpp import MBPP_PLUS_VERSION, get_mbpp_plus
datasets, work = sys.argv[1:3]
os.makedirs(CACHE_DIR, exist_ok=True)
for name, version, gz in [("HumanEvalPlus", HUMANEVAL_PLUS_VERSION, "humanevalplus/HumanEvalPlus.jsonl.gz"),
                          ("MbppPlus", MBPP_PLUS_VERSION, "mbppplus/MbppPlus.jsonl.gz")]:
    _, path = get_dataset_metadata(name, version, mini=False, noextreme=False)
    with open(path, "w") as f:
        f.write(gzip.open(os.path.join(datasets, gz), "rb").read().decode("utf-8"))
for dataset, problems in [("humaneval", get_human_eval_plus()), ("mbpp", get_mbpp_plus())]:
    with open(os.path.join(work, dataset + ".jsonl"), "w") as f:
        for task_id, problem in problems.items():
            f.write(json.dumps({"task_id": task_id, "solution": problem["prompt"] + problem["canonical_solution"]}) + "\n")
PY

# Seconds of a command's wall time (from GNU time), its output kept in $WORK/last.log.
seconds() {
  /usr/bin/time -f "%e" -o "$WORK/time" "$@" </dev/null >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; exit 1; }
  cat "$WORK/time"
}

printf "dataset\tmode\trun\tevalplus_s\tlitmus_s\n"
for dataset in humaneval mbpp; do
  litmus_dataset=$([ "$dataset" = humaneval ] && echo humaneval+ || echo mbpp+)
  for run in $(seq 1 "$RUNS"); do
    for mode in cold warm; do
      if [ "$mode" = cold ]; then
        rm -f "$XDG_CACHE_HOME"/evalplus/*.pkl
        export LITMUS_CACHE_DIR="$WORK/litmus-cache-$dataset-$run"
        rm -rf "$LITMUS_CACHE_DIR"
      fi
      evalplus=$(seconds "$VENV/bin/python" -m evalplus.evaluate --dataset "$dataset" --samples "$WORK/$dataset.jsonl" \
        --parallel 2 --i-just-wanna-run --output_file "$WORK/$dataset-$mode-$run.eval_results.json")
      litmus=$(seconds node_modules/.bin/node bin/litmus.js bench eval --dataset "$litmus_dataset" --datasets-dir "$DATASETS" \
        --self-check --workers 2)
      printf "%s\t%s\t%s\t%s\t%s\n" "$dataset" "$mode" "$run" "$evalplus" "$litmus"
    done
  done
done

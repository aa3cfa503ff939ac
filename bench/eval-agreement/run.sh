#!/usr/bin/env bash
# The eval-agreement yardstick (litmus issue 19), end to end: the corpus, then EvalPlus's verdicts on HumanEval+
# and MBPP+ and human-eval's on HumanEval, one tool after the other, each timed.
#
#   bash bench/eval-agreement/run.sh EVALPLUS_VENV HUMAN_EVAL_CHECKOUT OUT [--small] [--seed N]
#
# EVALPLUS_VENV: a virtualenv with evalplus installed (`pip install -e`) from a checkout of
# github.com/evalplus/evalplus; HUMAN_EVAL_CHECKOUT: a checkout of github.com/openai/human-eval. Neither is part
# of litmus. No network is needed: datasets come from $LITMUS_DATASETS_DIR (default ../shared/datasets).
# Optional: EVALPLUS_COMMIT and HUMAN_EVAL_COMMIT are recorded in the verdicts' meta; EVALPLUS_CACHE is EvalPlus's
# cache (XDG_CACHE_HOME; default OUT/evalplus-cache, where the references' outputs and times are computed once).
#
# Each reference harness's run is followed by litmus's on the same samples (`litmus bench eval`, 2 workers as
# they have, its ground truth cached first as EvalPlus's is), so that speed is compared in one run.
#
# Writes OUT/corpus/ (make_corpus.py), OUT/evalplus-humaneval.json, OUT/evalplus-mbpp.json,
# OUT/human-eval-humaneval.json (and .jsonl streams, .log), OUT/litmus-{humaneval+,mbpp+,humaneval}/ (litmus's
# results and summaries), OUT/timings.tsv (wall seconds of each step), OUT/summary.md (the reference verdicts by
# class) and OUT/comparison.md (compare.py: litmus against them, verdict by verdict, and the speed of both).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${1:?give the path of a virtualenv with evalplus installed}"
HUMAN_EVAL="${2:?give the path of a human-eval checkout}"
OUT="${3:?give an output folder}"
shift 3
DATASETS="${LITMUS_DATASETS_DIR:-$(cd "$HERE/../../.." && pwd)/shared/datasets}"
PY="$VENV/bin/python"
ROOT="$(cd "$HERE/../.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"  # the project's Node (24), as scripts/setup.sh installs it
[ -x "$NODE" ] || NODE=node
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

step() {  # step NAME COMMAND...: runs it, its output in OUT/NAME.log, its wall seconds in OUT/timings.tsv
  local name="$1"
  shift
  /usr/bin/time -f "%e" -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || { tail -20 "$OUT/$name.log" >&2; exit 1; }
  printf "%s\t%s\n" "$name" "$(cat "$OUT/$name.time")" | tee -a "$OUT/timings.tsv"
  rm -f "$OUT/$name.time"
}

litmus() {  # litmus DATASET CORPUS_FILE [OPTIONS...]: litmus bench eval on a copy of the corpus file
  local dataset="$1" samples="$2"
  shift 2
  mkdir -p "$OUT/litmus-$dataset"
  cp "$samples" "$OUT/litmus-$dataset/samples.jsonl"
  # The references' outputs and times first (EvalPlus's cache holds its own): not part of the comparison.
  step "litmus-$dataset-references" "$NODE" "$ROOT/bin/litmus.js" bench eval --self-check --dataset "$dataset" \
    --datasets-dir "$DATASETS" --workers 2 "$@"
  step "litmus-$dataset" "$NODE" "$ROOT/bin/litmus.js" bench eval "$OUT/litmus-$dataset/samples.jsonl" \
    --dataset "$dataset" --datasets-dir "$DATASETS" --workers 2 "$@"
}

printf "step\twall_seconds\n" >"$OUT/timings.tsv"
step corpus "$PY" "$HERE/make_corpus.py" --datasets "$DATASETS" --out "$OUT/corpus" "$@"
for dataset in humaneval mbpp; do
  step "evalplus-$dataset" "$PY" "$HERE/evalplus_verdicts.py" --corpus "$OUT/corpus" --dataset "$dataset" \
    --datasets "$DATASETS" --out "$OUT/evalplus-$dataset" --parallel 2 \
    --cache "${EVALPLUS_CACHE:-$OUT/evalplus-cache}" \
    ${EVALPLUS_COMMIT:+--evalplus-commit "$EVALPLUS_COMMIT"}
  litmus "$dataset+" "$OUT/corpus/$dataset.jsonl"
done
step human-eval-humaneval "$PY" "$HERE/human_eval_verdicts.py" --human-eval "$HUMAN_EVAL" --corpus "$OUT/corpus" \
  --problems "$DATASETS/humaneval/HumanEval.jsonl.gz" --out "$OUT/human-eval-humaneval" --workers 2 --timeout 3.0 \
  ${HUMAN_EVAL_COMMIT:+--human-eval-commit "$HUMAN_EVAL_COMMIT"}
# human-eval's time limit: 3 s for the program and its tests.
litmus humaneval "$OUT/corpus/humaneval.jsonl" --min-time-limit 3s
"$PY" "$HERE/summarize.py" "$OUT" | tee "$OUT/summary.md"
"$PY" "$HERE/compare.py" "$OUT" | tee "$OUT/comparison.md"

#!/usr/bin/env bash
# The second half of the learning lift (issue 15): the same measurement with Qwen2.5-Coder 1.5B as the reflector
# (the 0.5B model still generates), under the same selection rule. Run it after run.sh has finished, with the same
# data dir: the none and retries arms are the same runs and are reused; training, the learned and placebo arms and
# the curve are new.
# Resumable: rerun to continue where it stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p scratch/learn-qwen
export LITMUS_DATA_DIR=$PWD/scratch/learn-qwen/data
export PATH=$PWD/node_modules/.bin:$PATH
exec node bin/litmus.js learn eval --out scratch/learn-qwen/out-reflector --train-limit 60 --eval-limit 500 \
  --transfer-dataset humaneval+ --transfer-limit 164 --seeds 1 --curve-every 20 --curve-tasks 40 \
  --reflector-model local:qwen2.5-coder-1.5b \
  --datasets-dir ../shared/datasets --json >scratch/learn-qwen/result-reflector.json 2>>scratch/learn-qwen/err-reflector.log

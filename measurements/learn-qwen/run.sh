#!/usr/bin/env bash
# The learning lift with the embedded model (issue 15), resumable: rerun to continue where it stopped.
# Its state (the run store and the playbooks) lives in scratch/learn-qwen; state.tar.gz beside this script is the
# state the last session left, for a fresh machine:  tar -xzf measurements/learn-qwen/state.tar.gz -C scratch
# It learns under the current selection rule (3) into out-select3; out/ holds the first measurement's playbook,
# learned under rule 1 (docs/learning.md), which a learning run under another rule refuses to learn on top of.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p scratch/learn-qwen
export LITMUS_DATA_DIR=$PWD/scratch/learn-qwen/data
export PATH=$PWD/node_modules/.bin:$PATH
exec node bin/litmus.js learn eval --out scratch/learn-qwen/out-select3 --train-limit 60 --eval-limit 500 \
  --transfer-dataset humaneval+ --transfer-limit 164 --seeds 1 --curve-every 20 --curve-tasks 40 \
  --datasets-dir ../shared/datasets --json >scratch/learn-qwen/result-select3.json 2>>scratch/learn-qwen/err.log

#!/usr/bin/env bash
# Runs every test file of the four suites, one file at a time, each against a fresh litmus serve.
#   run-all.sh [SUITE...]      (default: ci-js ci-py core-js core-py)
set -u
W=${E2B_SUITES_WORK:-/tmp/e2b-suites}
HERE=$(cd "$(dirname "$0")" && pwd)
# The litmus checkout to serve: a snapshot of one commit made by setup.sh (git archive), so that commits landing
# in the checkout during the run do not mix versions. Override with LITMUS_DIR=PATH_OF_A_CHECKOUT.
export LITMUS_DIR=${LITMUS_DIR:-$(ls -dt "$W"/litmus-[0-9a-f]* 2>/dev/null | head -1)}
echo "serving litmus from $LITMUS_DIR ($(cat "$LITMUS_DIR/COMMIT" 2>/dev/null))"
files() {
  case $1 in
    ci-js) (cd "$W/code-interpreter/js" && find tests -name '*.test.ts' -not -path 'tests/runtimes/*' | sort) ;;
    ci-py) (cd "$W/code-interpreter/python" && find tests/sync tests/async tests/charts tests/images -name 'test_*.py' | sort) ;;
    core-js) (cd "$W/E2B/packages/js-sdk" && find tests/sandbox/files tests/sandbox/commands -name '*.test.ts' | sort) ;;
    core-py) (cd "$W/E2B/packages/python-sdk" && find tests/sync/sandbox_sync/files tests/sync/sandbox_sync/commands -name 'test_*.py' | sort) ;;
  esac
}
suites=${*:-ci-js ci-py core-js core-py}
for s in $suites; do
  for f in $(files "$s"); do
    "$HERE/run-file.sh" "$s" "$f"
  done
done

#!/usr/bin/env bash
# Supplementary run: the code-interpreter tests the suite skips in debug mode only because E2B's local docker
# differs from a sandbox (cwd, `!pwd`, a kernel shared by all tests: statefulness, execution count; the TS kernel),
# run with their debug skip removed, on a copy of the tree. Same runner, one file at a time, fresh litmus serve each.
set -eu
W=${E2B_SUITES_WORK:-/tmp/e2b-suites}
HERE=$(cd "$(dirname "$0")" && pwd)
U=$W/unskipped-work
if [ ! -d "$U/code-interpreter" ]; then
  mkdir -p "$U/litmus-data"
  cp -a "$W/code-interpreter" "$U/code-interpreter"
  ln -sfn "$W/venv-ci" "$U/venv-ci"
  (cd "$U/code-interpreter/js/tests" && sed -i 's/skipIf(isDebug)/skipIf(false)/' cwd.test.ts bash.test.ts statefulness.test.ts executionCount.test.ts)
  (cd "$U/code-interpreter/python/tests" && sed -i '/@pytest.mark.skip_debug()/d' sync/test_cwd.py async/test_async_cwd.py \
    sync/test_execution_count.py async/test_async_execution_count.py &&
    python3 -c "p='sync/test_default_kernels.py'; s=open(p).read(); open(p,'w').write(s.replace('@pytest.mark.skip_debug()\ndef test_ts_kernel','def test_ts_kernel'))")
fi
export LITMUS_DIR=${LITMUS_DIR:-$(ls -dt "$W"/litmus-[0-9a-f]* | head -1)}
export E2B_SUITES_WORK=$U E2B_SUITES_OUT=$U/results
for f in tests/cwd.test.ts tests/bash.test.ts tests/statefulness.test.ts tests/executionCount.test.ts; do
  "$HERE/run-file.sh" ci-js "$f"
done
for f in tests/sync/test_cwd.py tests/async/test_async_cwd.py tests/sync/test_execution_count.py \
  tests/async/test_async_execution_count.py tests/sync/test_default_kernels.py; do
  "$HERE/run-file.sh" ci-py "$f"
done

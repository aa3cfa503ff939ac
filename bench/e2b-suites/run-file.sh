#!/usr/bin/env bash
# Runs ONE test file of E2B's SDK suites against a FRESH `litmus serve`, in the SDKs' debug mode (default) or,
# with E2B_MODE=normal, their normal mode against litmus's control plane.
#   [E2B_MODE=normal] run-file.sh SUITE FILE
# SUITE: ci-js | ci-py | core-js | core-py.  FILE: path relative to the suite's test root (see run-all.sh).
# Starts litmus serve, waits for GET /health on 49999 and 49983, runs the one file with a per-test timeout of 60 s and a
# per-file bound of 300 s, then stops litmus serve by its pid. Logs and reports go to $OUT/logs/SUITE/.
set -u
SUITE=$1
FILE=$2
W=${E2B_SUITES_WORK:-/tmp/e2b-suites}
MODE=${E2B_MODE:-debug}
OUT=${E2B_SUITES_OUT:-$W/results$([ "$MODE" = normal ] && echo -normal)}
PER_FILE=${PER_FILE_SECONDS:-300}
PER_TEST=${PER_TEST_SECONDS:-60}
# litmus to serve: a checkout (default this one; run-all.sh passes a snapshot of one commit, see setup.sh).
REPO=$(cd "$(dirname "$0")/../.." && pwd)
LITMUS_DIR=${LITMUS_DIR:-$REPO}
export PATH=$REPO/node_modules/.bin:$PATH # node 24, as litmus wants

name=$(echo "$FILE" | tr '/' '_')
logdir=$OUT/logs/$SUITE
mkdir -p "$logdir" "$W/litmus-data"
log=$logdir/$name.log
srvlog=$logdir/$name.serve.log
: >"$log"

# A fresh litmus serve. --port 0: the web app on any free port; the E2B API on its default 49999, envd's on 49983.
# The model options only guard against any model being opened (the E2B API never uses one).
# LITMUS_DATA_DIR keeps its run store out of the shared one.
for port in 49999 49983; do
  if curl -s -m 1 -o /dev/null http://127.0.0.1:$port/ 2>/dev/null; then
    echo "port $port already in use; refusing to run" | tee -a "$log"
    exit 2
  fi
done
echo "mode: $MODE" >>"$log"
echo "litmus: $LITMUS_DIR commit $(cat "$LITMUS_DIR/COMMIT" 2>/dev/null || git -C "$LITMUS_DIR" rev-parse HEAD)" >>"$log"
( cd "$W" && LITMUS_DATA_DIR=$W/litmus-data exec setsid node "$LITMUS_DIR/bin/litmus.js" serve --port 0 \
  --model openai-compatible:unused --base-url http://127.0.0.1:9 ) >"$srvlog" 2>&1 &
srv=$!
ok=0
for _ in $(seq 1 120); do
  if curl -s -m 2 http://127.0.0.1:49999/health 2>/dev/null | grep -q ok &&
    curl -s -m 2 http://127.0.0.1:49983/health 2>/dev/null | grep -q ok; then ok=1; break; fi
  sleep 0.5
done
if [ $ok != 1 ]; then
  echo "litmus serve did not listen on 49999 and 49983" | tee -a "$log"
  kill "$srv" 2>/dev/null
  exit 2
fi

export NO_COLOR=1 FORCE_COLOR=0
unset E2B_DEBUG E2B_SANDBOX_URL E2B_API_KEY E2B_ACCESS_TOKEN E2B_DOMAIN E2B_API_URL
if [ "$MODE" = normal ]; then
  # As docs/e2b.md says: the API and every sandbox at litmus's E2B port; any key of E2B's form (litmus on
  # loopback without --token tells clients apart by local user, not by key). The suites read any E2B_DEBUG,
  # even empty, as debug mode: it stays unset.
  export E2B_API_URL=http://127.0.0.1:49999 E2B_SANDBOX_URL=http://127.0.0.1:49999
  export E2B_API_KEY=e2b_0000000000000000000000000000000000000000
else
  # E2B_DEBUG=true and nothing else; the SDKs then use localhost:49999 for code and localhost:49983 for envd.
  export E2B_DEBUG=true
fi

start=$(date +%s)
case $SUITE in
  ci-js)
    cd "$W/code-interpreter/js" && setsid timeout -k 10 "$PER_FILE" ./node_modules/.bin/vitest run "$FILE" \
      --testTimeout=$((PER_TEST * 1000)) --hookTimeout=$((PER_TEST * 1000)) \
      --reporter=verbose --reporter=json --outputFile.json="$logdir/$name.json" >>"$log" 2>&1
    ;;
  core-js)
    cd "$W/E2B/packages/js-sdk" && setsid timeout -k 10 "$PER_FILE" ./node_modules/.bin/vitest run --project unit "$FILE" \
      --testTimeout=$((PER_TEST * 1000)) --hookTimeout=$((PER_TEST * 1000)) \
      --reporter=verbose --reporter=json --outputFile.json="$logdir/$name.json" >>"$log" 2>&1
    ;;
  ci-py)
    cd "$W/code-interpreter/python" && setsid timeout -k 10 "$PER_FILE" "$W/venv-ci/bin/pytest" "$FILE" -n 0 \
      --timeout="$PER_TEST" -p no:cacheprovider -v -rA --junitxml="$logdir/$name.xml" >>"$log" 2>&1
    ;;
  core-py)
    cd "$W/E2B/packages/python-sdk" && setsid timeout -k 10 "$PER_FILE" "$W/venv-core/bin/pytest" "$FILE" \
      --timeout="$PER_TEST" -p no:cacheprovider -v -rA --junitxml="$logdir/$name.xml" >>"$log" 2>&1
    ;;
  *) echo "unknown suite $SUITE"; kill "$srv"; exit 2 ;;
esac
rc=$?
echo "exit=$rc seconds=$(( $(date +%s) - start ))" >>"$log"
[ $rc = 124 ] && echo "PER-FILE TIMEOUT after ${PER_FILE}s" >>"$log"

# Stop litmus serve by its pid (SIGTERM, then SIGKILL after 15 s), then anything left in its process group.
kill -TERM "$srv" 2>/dev/null
for _ in $(seq 1 30); do kill -0 "$srv" 2>/dev/null || break; sleep 0.5; done
kill -0 "$srv" 2>/dev/null && { echo "serve did not stop; SIGKILL" >>"$log"; kill -KILL "$srv"; }
wait "$srv" 2>/dev/null
# Its sandboxes (bwrap --die-with-parent) go with it; a bwrap can stay a zombie for a moment: wait up to 5 s.
left=""
for _ in $(seq 1 10); do
  left=$( (ps -o pid=,stat= -g "$srv" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}'; pgrep -f "litmus-zygote-$srv-" 2>/dev/null) | sort -u | tr '\n' ' ')
  [ -z "${left// /}" ] && break
  sleep 0.5
done
if [ -n "${left// /}" ]; then echo "left after serve stopped: $left (killed)" >>"$log"; kill -KILL $left 2>/dev/null; fi
echo "$SUITE $FILE exit=$rc"

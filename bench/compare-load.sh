#!/usr/bin/env bash
# Load test of this checkout against an earlier commit, in the same run: rounds alternate which goes first,
# and each round's ratio is taken, so the machine's drift (10-20% from minute to minute here) cancels out.
#   bash bench/compare-load.sh <commit> [mcp|e2b] [rounds]
# Prints the medians of requests/s and of busy CPU (the whole machine's, from /proc/stat) per request.
set -euo pipefail
base_rev=${1:?usage: bench/compare-load.sh <commit> [mcp|e2b] [rounds]}
api=${2:-mcp}
rounds=${3:-9}
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$here/node_modules/.bin:$PATH"
work=$(mktemp -d)
base="$work/base"
trap 'git -C "$here" worktree remove --force "$base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add --detach "$base" "$base_rev" >/dev/null
ln -s "$here/node_modules" "$base/node_modules"
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
for round in $(seq 1 "$rounds"); do
  order="base now"
  [ $((round % 2)) -eq 0 ] && order="now base"
  for tree in $order; do
    dir=$here
    [ "$tree" = base ] && dir=$base
    before=$(busy)
    (cd "$dir" && node --expose-gc bench/server-load.ts --api "$api" --clients 16 --seconds 10) >"$work/$tree-$round.json"
    echo "$tree $round $(($(busy) - before))" >>"$work/busy.txt"
    echo "round $round/$rounds: $tree done" >&2
  done
done
python3 - "$work" "$api" <<'PY'
import json, statistics, sys
work, api = sys.argv[1], sys.argv[2]
runs = {}
for line in open(f"{work}/busy.txt"):
    tree, n, jiffies = line.split()
    report = json.load(open(f"{work}/{tree}-{n}.json"))
    runs[tree, n] = (report["perSecond"], int(jiffies) / report["requests"])
rounds = sorted({n for _, n in runs})
for tree in ("base", "now"):
    rate = statistics.median(runs[tree, n][0] for n in rounds)
    cpu = statistics.median(runs[tree, n][1] for n in rounds)
    print(f"{api} {tree}: {rate:.1f} requests/s, {cpu:.3f} CPU jiffies per request (medians of {len(rounds)})")
rate = statistics.median(runs["now", n][0] / runs["base", n][0] for n in rounds)
cpu = statistics.median(runs["now", n][1] / runs["base", n][1] for n in rounds)
print(f"{api} now/base, median of the rounds' ratios: requests/s {rate:.3f}, CPU per request {cpu:.3f}")
PY

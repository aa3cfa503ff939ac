#!/usr/bin/env python3
"""EvalPlus's own verdicts, sample by sample, on a corpus written by make_corpus.py (litmus issue 19).

    VENV/bin/python bench/eval-agreement/evalplus_verdicts.py --corpus DIR --dataset humaneval|mbpp \\
        --datasets ../shared/datasets --out PREFIX [--parallel 2] [--cache DIR]

VENV is a virtualenv with evalplus installed (`pip install -e`) from a checkout of github.com/evalplus/evalplus
(litmus never ships its code). No network: the datasets are written where EvalPlus looks before it would
download them, in a private cache (--cache, default /tmp/eval-agreement/evalplus-cache), as
bench/compare-evalplus.sh does; the ground truth (the references' outputs and times) is computed there once and
reused, like `evalplus.evaluate` does.

Each sample is scored exactly as `evalplus.evaluate` scores it: the same `evalplus.evaluate.check_correctness`
call (base and plus phases, fast check, EvalPlus's default time limits max(min_time_limit, factor x the
reference's time) per input and min(60 s, their sum) + 1 s per phase) in a ProcessPoolExecutor of --parallel
workers. `evalplus.evaluate` itself insists on samples for every task and reports pass@k, not per-sample times;
this script keeps everything else.

Writes PREFIX.jsonl as samples finish (so a stopped run keeps what it did; rewritten in corpus order at the end)
and, at the end, PREFIX.json:
    {"meta": {...}, "verdicts": [{id, task_id, class, variant, base, plus, base_status, plus_status, seconds,
                                  worker_vmsize_mb}]}
in corpus order. base/plus are "pass" or "fail"; base_status/plus_status are EvalPlus's words ("pass", "fail",
"timeout"); seconds is the wall time of the sample's check_correctness call inside its worker; worker_vmsize_mb
is that worker's virtual memory size just before the call. EvalPlus forks each phase's process from the worker
and caps its address space (RLIMIT_AS) at 4 GiB, so a sample run by a worker already near or over 4 GiB can fail
with a MemoryError that another worker would not raise (see the fixture README: MBPP+'s Mbpp/255).
"""
import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone

DATASET_FILES = {
    # dataset: (EvalPlus's name for it, file in the datasets folder)
    "humaneval": ("HumanEvalPlus", "humanevalplus/HumanEvalPlus.jsonl.gz"),
    "mbpp": ("MbppPlus", "mbppplus/MbppPlus.jsonl.gz"),
}


def read_manifest(corpus):
    """The corpus's seed and flags, from its manifest.json."""
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    return {k: manifest[k] for k in ("generator", "seed", "small")}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def prepare_cache(datasets_dir):
    """Writes the datasets where EvalPlus would download them to (under $XDG_CACHE_HOME/evalplus)."""
    from evalplus.data.humaneval import HUMANEVAL_PLUS_VERSION
    from evalplus.data.mbpp import MBPP_PLUS_VERSION
    from evalplus.data.utils import CACHE_DIR, get_dataset_metadata

    os.makedirs(CACHE_DIR, exist_ok=True)
    versions = {"HumanEvalPlus": HUMANEVAL_PLUS_VERSION, "MbppPlus": MBPP_PLUS_VERSION}
    for name, gz in DATASET_FILES.values():
        _, path = get_dataset_metadata(name, versions[name], mini=False, noextreme=False)
        if not os.path.exists(path):
            with gzip.open(os.path.join(datasets_dir, gz), "rb") as f, open(path, "wb") as out:
                out.write(f.read())
    return CACHE_DIR, versions


def vmsize_mb():
    """This process's virtual memory size (VmSize), in MiB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmSize:"))


def timed_check(args):
    """evalplus.evaluate.check_correctness(*args), its wall seconds, and the worker's VmSize before it.

    Runs in a pool worker. EvalPlus's per-sample process is forked from this worker and limits its own address
    space (RLIMIT_AS) to 4 GiB: what the worker already maps counts against that limit.
    """
    from evalplus.evaluate import check_correctness

    vmsize = vmsize_mb()
    start = time.perf_counter()
    result = check_correctness(*args)
    return result, time.perf_counter() - start, vmsize


def evalplus_commit(evalplus_module):
    """The commit of the EvalPlus checkout when it is a git work tree, else "unknown" (give --evalplus-commit)."""
    if not getattr(evalplus_module, "__file__", None):
        return "unknown"
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(evalplus_module.__file__)))
    try:
        git = ["git", "-C", checkout, "rev-parse"]
        top = subprocess.run(git + ["--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
        if os.path.realpath(top) == os.path.realpath(checkout):
            return subprocess.run(git + ["HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="a make_corpus.py output folder")
    ap.add_argument("--dataset", required=True, choices=sorted(DATASET_FILES))
    ap.add_argument("--datasets", required=True, help="the datasets folder (humanevalplus/, mbppplus/)")
    ap.add_argument("--out", required=True, help="output prefix: PREFIX.jsonl, PREFIX.json")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--cache", default="/tmp/eval-agreement/evalplus-cache", help="XDG_CACHE_HOME for EvalPlus")
    ap.add_argument("--evalplus-commit", help="recorded in meta (default: the checkout's HEAD, when it is a git tree)")
    args = ap.parse_args()

    # EvalPlus computes its cache folder at import, and reads these at import or call time.
    os.environ["XDG_CACHE_HOME"] = os.path.abspath(args.cache)
    for name in ("HUMANEVAL_OVERRIDE_PATH", "MBPP_OVERRIDE_PATH", "EVALPLUS_TIMEOUT_PER_TASK",
                 "EVALPLUS_MAX_MEMORY_BYTES"):
        if name in os.environ:
            sys.exit(f"unset {name}: it changes what EvalPlus does")

    import evalplus
    from evalplus.config import DEFAULT_GT_TIME_LIMIT_FACTOR, DEFAULT_MIN_TIME_LIMIT
    from evalplus.data import get_human_eval_plus, get_human_eval_plus_hash, get_mbpp_plus, get_mbpp_plus_hash
    from evalplus.eval._special_oracle import MBPP_OUTPUT_NOT_NONE_TASKS
    from evalplus.eval import query_maximum_memory_bytes
    from evalplus.evaluate import get_groundtruth

    cache_dir, versions = prepare_cache(args.datasets)
    if args.dataset == "humaneval":
        problems, dataset_hash, not_none = get_human_eval_plus(), get_human_eval_plus_hash(), []
    else:
        problems, dataset_hash, not_none = get_mbpp_plus(), get_mbpp_plus_hash(), MBPP_OUTPUT_NOT_NONE_TASKS
    gt_cached = os.path.exists(os.path.join(cache_dir, f"{dataset_hash}.pkl"))
    start = time.perf_counter()
    expected_output = get_groundtruth(problems, dataset_hash, not_none)
    gt_seconds = time.perf_counter() - start

    samples = read_jsonl(os.path.join(args.corpus, f"{args.dataset}.jsonl"))
    classes = {c["id"]: c for c in read_jsonl(os.path.join(args.corpus, f"{args.dataset}.classes.jsonl"))}
    meta = {
        "tool": "evalplus", "evalplus_commit": args.evalplus_commit or evalplus_commit(evalplus),
        "dataset": args.dataset,
        "dataset_version": versions[DATASET_FILES[args.dataset][0]], "dataset_hash": dataset_hash,
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "parallel": args.parallel, "min_time_limit": DEFAULT_MIN_TIME_LIMIT,
        "gt_time_limit_factor": DEFAULT_GT_TIME_LIMIT_FACTOR, "per_phase_cap_seconds": 60, "fast_check": True,
        "rlimit_as_mb": query_maximum_memory_bytes() // 2**20, "parent_vmsize_mb": vmsize_mb(),
        "corpus": os.path.abspath(args.corpus), "corpus_manifest": read_manifest(args.corpus),
        "samples": len(samples),
        "ground_truth": {"cached": gt_cached, "seconds": round(gt_seconds, 2)},
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(meta), file=sys.stderr)

    verdicts = {}
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.parallel) as pool, open(args.out + ".jsonl", "w") as stream:
        futures = {}
        for n, sample in enumerate(samples):
            task_id = sample["task_id"]
            call = (args.dataset, n, problems[task_id], sample["solution"], expected_output[task_id],
                    False,  # base_only
                    True,  # fast_check (evalplus.evaluate's default: not --test-details)
                    sample["id"], DEFAULT_MIN_TIME_LIMIT, DEFAULT_GT_TIME_LIMIT_FACTOR)
            futures[pool.submit(timed_check, call)] = sample
        for done, future in enumerate(as_completed(futures), 1):
            sample = futures[future]
            result, seconds, vmsize = future.result()
            cls = classes[sample["id"]]
            base_status, plus_status = result["base"][0], result["plus"][0]
            verdict = {
                "id": sample["id"], "task_id": sample["task_id"], "class": cls["class"], "variant": cls["variant"],
                "base": "pass" if base_status == "pass" else "fail",
                "plus": "pass" if plus_status == "pass" else "fail",
                "base_status": base_status, "plus_status": plus_status, "seconds": round(seconds, 3),
                "worker_vmsize_mb": vmsize,
            }
            verdicts[sample["id"]] = verdict
            stream.write(json.dumps(verdict) + "\n")
            stream.flush()
            if done % 50 == 0 or done == len(samples):
                print(f"{done}/{len(samples)} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    meta["wall_seconds"] = round(time.perf_counter() - start, 1)
    meta["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    ordered = [verdicts[s["id"]] for s in samples]
    with open(args.out + ".jsonl", "w") as f:  # the stream again, in corpus order
        f.writelines(json.dumps(v) + "\n" for v in ordered)
    with open(args.out + ".json", "w") as f:
        json.dump({"meta": meta, "verdicts": ordered}, f, indent=1)
        f.write("\n")
    print(f"{args.dataset}: {len(samples)} samples in {meta['wall_seconds']} s -> {args.out}.json", file=sys.stderr)


if __name__ == "__main__":
    main()

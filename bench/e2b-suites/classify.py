#!/usr/bin/env python3
"""classify.py [TESTS_TSV]: groups tests.tsv (from collect.py) into not-applicable reasons and failure causes,
and prints the Markdown tables of results.md: per suite passed / failed / n.a. / applicable / pass rate, then
the failure causes by count, then the not-applicable groups. The rules below were written from the failure
messages and the tests' sources (see results.md); a failure no rule knows is listed as 'UNCLASSIFIED'."""
import csv
import os
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
TSV = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("E2B_SUITES_OUT", "/tmp/e2b-suites/results"), "tests.tsv")
# The SDKs' mode the suites ran in (run-file.sh's E2B_MODE): debug (default) or normal.
MODE = os.environ.get("E2B_MODE", "debug")
SUITES = {
    "ci-js": "code-interpreter JS (js/tests)",
    "ci-py": "code-interpreter Python (python/tests: sync, async, charts, images)",
    "core-js": "E2B core JS SDK (tests/sandbox/files, tests/sandbox/commands)",
    "core-py": "E2B core Python SDK, sync (tests/sync/sandbox_sync/files, commands)",
}

# Not applicable: (predicate on row, reason)
NA_FAILED = [
    (lambda r: "unsupported language" in r["reason"] or ("400" in r["reason"] and (
        re.search(r"\((java|R)\)|\b(r|java)$", r["test"]) or re.search(r"(java|/r)\.test\.ts$", r["file"]))),
     "language litmus lacks (R, Java kernels): 400 unsupported language"),
    (lambda r: r["test"] == "test_write_with_secured_envd" and r.get("mode") == "debug",
     "needs E2B's cloud: a secure sandbox's envd access token comes from the create API (None in debug mode)"),
    (lambda r: "systemd" in r["file"],
     "E2B's template internals: its Jupyter and code-interpreter servers run as processes inside the sandbox, found "
     "with pgrep, restarted by systemd, probed with curl from inside; litmus's interpreter API is outside the "
     "sandbox (an interpreter killed from inside comes back for the next run: test/integration/e2b-control-plane.test.ts)"),
]


def skip_reason(r):
    f, t = r["file"], r["test"]
    if r["mode"] != "debug":
        return "skipped by the suite itself: " + (r["reason"] or "no reason given")[:100]
    if "secure" in t or "signing" in t or "signing" in f or "test_secured" in f:
        return "skipped by the suite in debug mode: secure sandboxes / signed URLs (E2B cloud)"
    if "killed" in t.lower() or "killed" in f.lower() or "systemd" in f or "reconnect" in f:
        return "skipped by the suite in debug mode: kill / reconnect to a sandbox, restart of its services (E2B cloud lifecycle)"
    if "on sandbox" in t or "on_sandbox" in t or "overwrite" in t or "global env" in t or "sandbox_envs" in t:
        return "skipped by the suite in debug mode: sandbox-wide envs given at create (E2B cloud API)"
    if "cwd" in f:
        return "skipped by the suite in debug mode: cwd of the default contexts (the suite's local docker differs)"
    if re.search(r"r_kernel|java_kernel|ts_kernel", t):
        return "skipped by the suite in debug mode: default kernels R, Java, TS"
    return "skipped by the suite in debug mode: assume a fresh kernel per test or E2B's pwd (statefulness, execution count, bash `!pwd`)"


CAUSES = [
    (lambda r: "watch" in r["file"], "envd WatchDir (filesystem.Filesystem/WatchDir, polling watchers) not served: 404"),
    (lambda r: "metadata" in r["file"], "file metadata (X-Metadata-* on upload, shown by Stat/ListDir) not kept: metadata undefined/None"),
    (lambda r: "sudo: command not found" in r["reason"] or r["test"] in ("bash command scoped env vars", "test_bash_command_scoped_env_vars"),
     "no sudo in the litmus sandbox (test runs `sudo echo`): exit 127"),
    (lambda r: "charts" in r["file"] and r["suite"] == "ci-py",
     "chart numbers (ticks) arrive as ints, not floats: JSON through JavaScript writes 1.0 as 1"),
    (lambda r: "as root user" in r["test"] or "as_root" in r["test"],
     "no root: files of the user root land in /root (E2B), litmus's sandbox has one user, whose home is /home/user"),
    (lambda r: "Read-only file system" in r["reason"], "files.write outside /home/user and /tmp (here /0/...): the sandbox's root is read-only; envd writes as root in E2B"),
    (lambda r: "broken_utf8" in r["test"], "an unfinished UTF-8 sequence at the end of stdout is dropped, not U+FFFD"),
    (lambda r: r["test"] == "test_file_symlink", "getInfo of a symlink: type symlink, E2B gives the target's type (file)"),
]


def main():
    rows = [dict(r, mode=MODE) for r in csv.DictReader(open(TSV), delimiter="\t")]
    counts = defaultdict(Counter)
    causes = defaultdict(list)
    na = defaultdict(list)
    for r in rows:
        s = r["suite"]
        if r["status"] == "passed":
            counts[s]["passed"] += 1
        elif r["status"] == "skipped":
            counts[s]["na"] += 1
            na[skip_reason(r)].append(r)
        else:
            for pred, why in NA_FAILED:
                if pred(r):
                    counts[s]["na"] += 1
                    na[why].append(r)
                    break
            else:
                counts[s]["failed"] += 1
                for pred, why in CAUSES:
                    if pred(r):
                        causes[why].append(r)
                        break
                else:
                    causes["UNCLASSIFIED: " + r["reason"][:120]].append(r)

    print("| suite | passed | failed | not applicable | total applicable | pass rate (applicable) | tests run |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    tot = Counter()
    for s in SUITES:
        c = counts[s]
        app = c["passed"] + c["failed"]
        tot.update(c)
        print(f"| {SUITES[s]} | {c['passed']} | {c['failed']} | {c['na']} | {app} | "
              f"{100 * c['passed'] / app:.1f}% | {app + c['na']} |")
    app = tot["passed"] + tot["failed"]
    print(f"| **all four** | {tot['passed']} | {tot['failed']} | {tot['na']} | {app} | {100 * tot['passed'] / app:.1f}% | {app + tot['na']} |")

    print("\n### Failures by cause (applicable tests), most first\n")
    print("| # | cause | tests | where |")
    print("| ---: | --- | ---: | --- |")
    for i, (why, rs) in enumerate(sorted(causes.items(), key=lambda kv: -len(kv[1])), 1):
        where = ", ".join(f"{s} {n}" for s, n in sorted(Counter(r['suite'] for r in rs).items()))
        print(f"| {i} | {why} | {len(rs)} | {where} |")
    print("\n#### Each failure\n")
    for why, rs in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        print(f"- **{why}** ({len(rs)})")
        for r in rs:
            print(f"  - {r['suite']} `{r['file']}` — {r['test']}: {r['reason'][:160]}")

    print("\n### Not applicable, by reason\n")
    print("| reason | tests | where |")
    print("| --- | ---: | --- |")
    for why, rs in sorted(na.items(), key=lambda kv: -len(kv[1])):
        where = ", ".join(f"{s} {n}" for s, n in sorted(Counter(r['suite'] for r in rs).items()))
        print(f"| {why} | {len(rs)} | {where} |")


main()

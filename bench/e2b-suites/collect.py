#!/usr/bin/env python3
"""collect.py [LOGS_DIR [OUT_TSV]]: collects the per-file reports under logs/ (vitest JSON, pytest JUnit XML) into tests.tsv:
suite, file, test, status (passed | failed | skipped), reason (first line of the failure or skip message).
A file with no report (it did not load, or hit the per-file bound) becomes one 'failed' row named '<file>'."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.environ.get("E2B_SUITES_OUT", "/tmp/e2b-suites/results")
LOGS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(RESULTS, "logs")
OUT_TSV = sys.argv[2] if len(sys.argv) > 2 else os.path.join(RESULTS, "tests.tsv")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(msg: str) -> str:
    msg = ANSI.sub("", msg or "")
    for line in msg.splitlines():
        line = line.strip()
        if line and not line.startswith("at ") and line not in ("Traceback (most recent call last):",):
            return line[:300]
    return ""


def py_reason(node) -> str:
    """The most telling line of a pytest failure: the last 'E   ...' line, else the message attribute."""
    text = node.text or ""
    e_lines = [l[1:].strip() for l in text.splitlines() if l.startswith("E ")]
    # Prefer the exception line (Error/Exception) over assertion detail lines.
    exc = [l for l in e_lines if re.match(r"^[\w.]+(Error|Exception|Timeout|Exit)\b", l)]
    if exc:
        return exc[0][:300]
    if e_lines:
        return e_lines[0][:300]
    return first_line(node.get("message", ""))


rows = []
for suite in sorted(os.listdir(LOGS)):
    d = os.path.join(LOGS, suite)
    if not os.path.isdir(d):
        continue
    for log in sorted(f for f in os.listdir(d) if f.endswith(".log") and not f.endswith(".serve.log")):
        base = log[: -len(".log")]
        fname = base.replace("_", "/", 1) if False else base
        jpath, xpath = os.path.join(d, base + ".json"), os.path.join(d, base + ".xml")
        logtext = open(os.path.join(d, log), errors="replace").read()
        file_rel = None
        if os.path.exists(jpath):
            data = json.load(open(jpath))
            for tr in data["testResults"]:
                file_rel = os.path.relpath(tr["name"], os.path.dirname(os.path.dirname(tr["name"]))) if False else tr["name"]
                m = re.search(r"(tests/.*)$", tr["name"])
                file_rel = m.group(1) if m else tr["name"]
                if not tr["assertionResults"] and tr.get("status") == "failed":
                    rows.append((suite, file_rel, "<file>", "failed", first_line(tr.get("message", ""))))
                for a in tr["assertionResults"]:
                    status = {"passed": "passed", "failed": "failed"}.get(a["status"], "skipped")
                    reason = first_line("\n".join(a.get("failureMessages") or [])) if status == "failed" else ""
                    rows.append((suite, file_rel, a["fullName"], status, reason))
        elif os.path.exists(xpath):
            root = ET.parse(xpath).getroot()
            for tc in root.iter("testcase"):
                cls = tc.get("classname", "")
                m = re.search(r"(tests[./].*)$", cls)
                file_rel = (m.group(1) if m else cls).replace(".", "/") + ".py"
                name = tc.get("name")
                status, reason = "passed", ""
                for child in tc:
                    if child.tag in ("failure", "error"):
                        status, reason = "failed", py_reason(child)
                        if child.tag == "error":
                            reason = "[setup/teardown error] " + reason
                        break
                    if child.tag == "skipped":
                        status, reason = "skipped", first_line(child.get("message", ""))
                rows.append((suite, file_rel, name, status, reason))
        else:
            timeout = "PER-FILE TIMEOUT" in logtext
            rows.append((suite, base, "<file>", "failed", "per-file timeout" if timeout else "no report: " + first_line(logtext[-2000:])))

with open(OUT_TSV, "w") as out:
    out.write("suite\tfile\ttest\tstatus\treason\n")
    for r in rows:
        out.write("\t".join(x.replace("\t", " ").replace("\n", " ") for x in r) + "\n")

summary = {}
for s, *_rest in rows:
    summary.setdefault(s, {"passed": 0, "failed": 0, "skipped": 0})
for s, _f, _t, st, _r in rows:
    summary[s][st] += 1
for s, c in summary.items():
    print(s, c, file=sys.stderr)

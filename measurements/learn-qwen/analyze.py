"""Why the learned playbook helps or not: per arm of the learning measurement, what each arm's samples were shown
and what came of it, read from the run store (docs/learning.md quotes these figures).

    python3 measurements/learn-qwen/analyze.py [scratch/learn-qwen/data/runs.db]

Per bench run of a learn eval (its arm named by the bullets it was run with): hidden-test pass@1; against the
no-playbook run on the same tasks, the paired difference with a 95% bootstrap interval and the tasks won and
lost; first attempts that were shown bullets, and that passed their visible tests; repairs (second attempts)
that were shown bullets, and repairs that passed their visible tests. Per-attempt figures need the solve runs'
attempts, which the committed state (pack-state.py) drops: on a packed state they are blank.
"""
import json, random, sqlite3, sys
from collections import Counter

DB = sys.argv[1] if len(sys.argv) > 1 else "scratch/learn-qwen/data/runs.db"


def arm_of(config):
    bullets, feedback = config.get("bullets"), config.get("feedback")
    if feedback is False:
        return "retries"
    if not bullets:
        return "none"
    kind, identity = bullets.split(":", 1)
    rule = identity.split("/select-")[1] if "/select-" in identity else "1"
    return "%s (%s, rule %s)" % ("learned" if kind == "playbook" else kind, identity.split("/")[0][:13], rule)


def interval(differences, rounds=2000):
    rng = random.Random(1)
    means = sorted(sum(rng.choice(differences) for _ in differences) / len(differences) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def main():
    db = sqlite3.connect(DB)
    runs = []
    for run_id, dataset, config in db.execute("SELECT id, dataset, config FROM bench_runs ORDER BY created_at"):
        config = json.loads(config)
        samples = {}
        for task, passed, document in db.execute(
                "SELECT task_id, passed, document FROM bench_samples WHERE run_id = ?", (run_id,)):
            samples[task] = (passed, json.loads(document))
        runs.append((run_id, dataset, tuple(config["tasks"]), arm_of(config), samples))
    for run_id, dataset, tasks, arm, samples in runs:
        none = next((r[4] for r in runs if r[1] == dataset and r[2] == tasks and r[3] == "none"), {})
        done = len(samples)
        line = "%s %-40s %3d/%d samples  pass@1 %5.1f%%" % (
            run_id[:8], "%s %s" % (dataset, arm), done, len(tasks), 100 * sum(p for p, _ in samples.values()) / max(done, 1))
        paired = [task for task in samples if task in none]
        if arm != "none" and paired:
            differences = [samples[t][0] - none[t][0] for t in paired]
            low, high = interval(differences)
            outcome = Counter(differences)
            line += "  vs none on %d: %+.1f (%+.1f to %+.1f), won %d lost %d" % (
                len(paired), 100 * sum(differences) / len(paired), 100 * low, 100 * high, outcome[1], outcome[-1])
        print(line)
        attempts = attempts_of(db, samples)
        if attempts:
            first = [a[0] for a in attempts if a]
            repairs = [a[1] for a in attempts if len(a) > 1]
            print("    first attempts: %d shown bullets, %d passed visible tests | repairs: %d, %d shown bullets, "
                  "%d passed visible tests (%d of those shown bullets)" % (
                      sum(1 for a in first if a["bullets"]), sum(1 for a in first if a["ok"]), len(repairs),
                      sum(1 for a in repairs if a["bullets"]), sum(1 for a in repairs if a["ok"]),
                      sum(1 for a in repairs if a["ok"] and a["bullets"])))


def attempts_of(db, samples):
    """Each sample's attempts as {bullets, ok}, from its solve run's attempts (empty when they were dropped)."""
    result = []
    for _, document in samples.values():
        rows = db.execute("SELECT document FROM attempts WHERE run_id = ? ORDER BY n",
                          (document.get("solveRunId"),)).fetchall()
        if not rows:
            continue
        result.append([{"bullets": json.loads(d).get("bullets") or [],
                        "ok": json.loads(d).get("diagnosis", {}).get("kind") == "ok"} for (d,) in rows])
    return result


if __name__ == "__main__":
    main()

"""Packs scratch/learn-qwen into state.tar.gz without dataset text, and checks that none is left.

The run store keeps what resuming needs (bench runs and samples with the model's code and verdicts, learning
steps, the playbook) and also records that quote the datasets: each solve run's task (prompt and tests), the
replay set's tasks, and failure messages and evidence that quote test lines. Those are dropped or blanked here;
resuming does not read them. Then every prompt and test line of the benchmark datasets is looked for in what
would be committed, and the packing fails if one is found. The response cache (model answers) is checked the
same way and packed only if it is clean.

    python3 measurements/learn-qwen/pack-state.py    # from the repository root
"""
import gzip, json, pathlib, shutil, sqlite3, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
HERE = ROOT / "measurements" / "learn-qwen"
BLANKED = {"message", "evidence", "prompt", "tests"}


def blank(value, lines):
    """`value` with the quoting fields blanked, and the lines of the model's code that copy a dataset line (its
    own asserts, which the sanitizer leaves out of what is judged anyway) replaced by `pass`."""
    if isinstance(value, dict):
        return {key: scrub(key, item, lines) for key, item in value.items()}
    if isinstance(value, list):
        return [blank(item, lines) for item in value]
    return value


def scrub(key, item, lines):
    if not isinstance(item, str):
        return blank(item, lines)
    if key in BLANKED:
        return ""
    if key == "code":
        # `pass` at the same indentation: a function of the model's own asserts keeps a body and still compiles.
        return "\n".join(
            line[: len(line) - len(line.lstrip())] + "pass" if quotes(line, lines) else line for line in item.split("\n")
        )
    return item


def quotes(line, lines):
    """Whether a line of code holds a dataset line anywhere in it (an assert, a comment, a docstring, a call)."""
    heads = lines.heads
    for i in range(len(line) - 39):
        for candidate in heads.get(line[i : i + 40], ()):
            if line.startswith(candidate, i):
                return True
    return False


class DatasetLines(set):
    """The dataset lines, with an index of them by their first 40 characters, so a code line is searched in one
    pass."""

    def __init__(self, texts):
        super().__init__(texts)
        self.heads = {}
        for text in self:
            self.heads.setdefault(text[:40], []).append(text)


def dataset_lines():
    """Prompts and test lines of every benchmark dataset, long enough to be telling."""
    texts = []
    for path in DATASETS.rglob("*.json*"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as handle:
            raw = handle.read()
        records = json.loads(raw) if path.name.endswith(".json") else [json.loads(line) for line in raw.splitlines() if line.strip()]
        for record in records:
            for key in ("prompt", "text", "test", "test_list", "base_input", "plus_input"):
                value = record.get(key)
                if isinstance(value, list):
                    value = "\n".join(map(str, value))
                if isinstance(value, str):
                    texts.extend(line.strip() for line in value.splitlines())
    return DatasetLines(line for line in texts if len(line) >= 40)


def leaks(paths, lines):
    found = []
    for path in paths:
        text = path.read_bytes().decode("utf-8", "replace")
        found.extend((str(path), line) for line in lines if line in text)
    return found


def main():
    lines = dataset_lines()
    with tempfile.TemporaryDirectory() as tmp:
        stage = pathlib.Path(tmp) / "learn-qwen"
        (stage / "data").mkdir(parents=True)
        # Every measurement's output directory (out, out-select3, out-reflector, ...): playbooks and reports.
        outs = sorted(path.name for path in (ROOT / "scratch/learn-qwen").glob("out*") if path.is_dir())
        for name in outs:
            shutil.copytree(ROOT / "scratch/learn-qwen" / name, stage / name)
        source = sqlite3.connect(ROOT / "scratch/learn-qwen/data/runs.db")
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source.backup(db := sqlite3.connect(stage / "data/runs.db"))
        source.close()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM attempts")
        db.execute("DELETE FROM runs")
        db.execute("DELETE FROM replay_tasks")
        documents = (("bench_samples", "document"), ("learn_steps", "document"), ("playbook_deltas", "delta"),
                     ("bench_runs", "summary"), ("learn_runs", "summary"))
        for table, column in documents:
            for rowid, document in db.execute(f"SELECT rowid, {column} FROM {table}").fetchall():
                if document is not None:
                    db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                               (json.dumps(blank(json.loads(document), lines)), rowid))
        db.commit()
        db.execute("VACUUM")
        db.close()
        for playbook in (path for name in outs for path in (stage / name).glob("*.json")):
            playbook.write_text(json.dumps(blank(json.loads(playbook.read_text()), lines), indent=2) + "\n")
        found = leaks([path for path in stage.rglob("*") if path.is_file()], lines)
        if found:
            sys.exit("dataset text left in the state: %s" % found[:3])
        members = ["learn-qwen/data"] + ["learn-qwen/" + name for name in outs]
        subprocess.run(["tar", "-czf", HERE / "state.tar.gz", "-C", tmp, *members], check=True)
    responses = pathlib.Path.home() / ".cache/litmus/responses"
    found = leaks([path for path in responses.rglob("*.json")], lines)
    if found:
        (HERE / "responses.tar.gz").unlink(missing_ok=True)
        print("response cache not packed: %d answers quote the datasets (e.g. %r)" % (len(found), found[0][1]))
    else:
        subprocess.run(["tar", "-czf", HERE / "responses.tar.gz", "-C", responses.parent, "responses"], check=True)
    print("packed; %d dataset lines checked" % len(lines))


if __name__ == "__main__":
    main()

"""Packs scratch/learn-qwen into state.tar.gz without dataset text, and checks that none is left.

The run store keeps what resuming needs (bench runs, samples' verdicts, learning steps, the playbooks) and also
what quotes the datasets: each solve run's task (prompt and tests), the replay set's tasks, failure messages and
evidence that quote test lines, and the model's code (HumanEval completions repeat their prompt, answers copy the
visible tests). Those are dropped or emptied here; resuming and analyze.py do not read them. Then every line of
20 characters or more of every text field of the benchmark datasets is looked for in what would be committed
(each SQLite value and JSON string decoded, HTML unescaped), and the packing fails if one is found. The response
cache (the model's answers) is never packed.

    python3 measurements/learn-qwen/pack-state.py    # from the repository root
"""
import gzip, html, json, pathlib, shutil, sqlite3, subprocess, sys, tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
HERE = ROOT / "measurements" / "learn-qwen"
# What quotes a task: failure messages and evidence (test lines), solve runs' prompts and tests, and the model's
# code (HumanEval completions repeat their prompt; answers carry copies of the visible tests), here and in the lines
# a reflection's fix added and removed. Resuming and analyze.py read verdicts, not these.
BLANKED = {"message", "evidence", "prompt", "tests", "code"}
# Dataset lines shorter than this are too common to tell ("return result").
MIN_LINE = 20


def blank(value):
    """`value` with the fields that quote a task emptied, and a reflection's fix without its lines of code."""
    if isinstance(value, dict):
        if {"from", "to", "added", "removed"} <= value.keys():
            return {**value, "added": [], "removed": []}
        return {key: "" if key in BLANKED and isinstance(item, str) else blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return [blank(item) for item in value]
    return value


class DatasetLines(set):
    """The dataset lines, with an index of them by their first MIN_LINE characters, so a text is searched in one
    pass."""

    def __init__(self, texts):
        super().__init__(texts)
        self.heads = {}
        for text in self:
            self.heads.setdefault(text[:MIN_LINE], []).append(text)

    def found_in(self, text):
        """The dataset lines that occur anywhere in `text`."""
        found = set()
        for i in range(len(text) - MIN_LINE + 1):
            for candidate in self.heads.get(text[i : i + MIN_LINE], ()):
                if text.startswith(candidate, i):
                    found.add(candidate)
        return found


def dataset_lines():
    """Every line of every text field (prompts, tests, inputs, solutions) of every benchmark dataset."""
    texts = []
    for path in DATASETS.rglob("*.json*"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as handle:
            raw = handle.read()
        records = json.loads(raw) if path.name.endswith(".json") else [json.loads(line) for line in raw.splitlines() if line.strip()]
        for record in records if isinstance(records, list) else records.values():
            for value in record.values() if isinstance(record, dict) else ():
                if isinstance(value, list):
                    value = "\n".join(map(str, value))
                if isinstance(value, str):
                    texts.extend(line.strip() for line in value.splitlines())
    return DatasetLines(line for line in texts if len(line) >= MIN_LINE)


def strings_of(value):
    """Every string in a value, JSON text decoded (escaped quotes would hide a line from a search of the raw
    bytes)."""
    if isinstance(value, str):
        yield value
        if value[:1] in "{[":
            try:
                yield from strings_of(json.loads(value))
            except ValueError:
                pass
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def texts_of(path):
    """What a file of the state says, decoded: each SQLite value, each JSON string, HTML unescaped."""
    if path.suffix == ".db":
        db = sqlite3.connect(path)
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        values = [value for table in tables for row in db.execute(f'SELECT * FROM "{table}"') for value in row]
        db.close()
        return list(strings_of(values))
    text = path.read_text()
    if path.suffix == ".json":
        return list(strings_of(json.loads(text)))
    return [html.unescape(text)]


def leaks(paths, lines):
    """(file, dataset line) for every dataset line found in the files, decoded and raw."""
    found = []
    for path in paths:
        for text in texts_of(path) + [path.read_bytes().decode("utf-8", "replace")]:
            found.extend((str(path), line) for line in lines.found_in(text))
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
                               (json.dumps(blank(json.loads(document))), rowid))
        db.commit()
        db.execute("VACUUM")
        db.close()
        for playbook in (path for name in outs for path in (stage / name).glob("*.json")):
            playbook.write_text(json.dumps(blank(json.loads(playbook.read_text())), indent=2) + "\n")
        found = leaks([path for path in stage.rglob("*") if path.is_file()], lines)
        if found:
            sys.exit("dataset text left in the state (%d lines), e.g. %s" % (len(found), found[:5]))
        members = ["learn-qwen/data"] + ["learn-qwen/" + name for name in outs]
        subprocess.run(["tar", "-czf", HERE / "state.tar.gz", "-C", tmp, *members], check=True)
    print("packed; %d dataset lines checked" % len(lines))


if __name__ == "__main__":
    main()

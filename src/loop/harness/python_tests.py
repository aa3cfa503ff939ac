"""litmus test harness for Python, run in the sandbox right after the generated code, in the same namespace.

Every top-level `assert` and every `test_*` function is one test. Assertions of the form `assert A == B`
are rewritten so a failure reports what was expected and what came back. The report is the cell's result
(as JSON through `_repr_json_`), and one line per test goes to stdout for people reading the execution.
"""

import ast as _ast
import re as _re
import sys as _sys
import traceback as _traceback

_LINE = _re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")

# Longest test name, value or message a report carries: a test with a 100 KB literal (MBPP+) must not make a
# repair prompt too long for the model's context, nor bloat the run store.
_BRIEF = 300


def _litmus_brief(text, limit=_BRIEF):
    """`text`, its middle cut out when longer than `limit`, saying how long it was."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return "%s ... %s (%d characters)" % (text[:head], text[head - limit:], len(text))


def _litmus_source_lines(source):
    """The lines as the parser counts them (ast.get_source_segment splits in a Python loop: 50 ms for 40 KB)."""
    return _LINE.findall(source)


def _litmus_segment(lines, node):
    """ast.get_source_segment for `lines` (column offsets count UTF-8 bytes)."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1
        if first == last:
            return lines[first].encode()[node.col_offset:node.end_col_offset].decode()
        head = lines[first].encode()[node.col_offset:].decode()
        tail = lines[last].encode()[:node.end_col_offset].decode()
        return "".join([head] + lines[first + 1:last] + [tail])
    except (AttributeError, IndexError, TypeError, UnicodeDecodeError):
        return None


class _LitmusTimeLimit(BaseException):
    """A test ran past its own time limit. A BaseException, so the code under test cannot swallow it with
    `except Exception`."""


def _litmus_on_alarm(signum, frame):
    raise _LitmusTimeLimit("ran past its time limit")


class _litmus_time_limit:
    """Raises _LitmusTimeLimit in the body after `seconds` (SIGALRM): a limit per test, inside the cell's own."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        import signal

        self.previous = signal.signal(signal.SIGALRM, _litmus_on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc_info):
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


class _LitmusAssertionError(AssertionError):
    def __init__(self, message, expected, actual):
        super().__init__(message)
        self.expected = expected
        self.actual = actual


def _litmus_check_equal(actual, expected, source):
    if actual == expected:
        return
    expected, actual = _litmus_brief(repr(expected)), _litmus_brief(repr(actual))
    raise _LitmusAssertionError("%s: expected %s, got %s" % (_litmus_brief(source), expected, actual), expected, actual)


class _RewriteEqualityAsserts(_ast.NodeTransformer):
    def __init__(self, lines):
        self.lines = lines

    def visit_Assert(self, node):
        test = node.test
        if (
            node.msg is None
            and isinstance(test, _ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], _ast.Eq)
        ):
            text = _litmus_segment(self.lines, node) or "assert"
            call = _ast.Call(
                func=_ast.Name(id="_litmus_check_equal", ctx=_ast.Load()),
                args=[test.left, test.comparators[0], _ast.Constant(text)],
                keywords=[],
            )
            return _ast.copy_location(_ast.Expr(call), node)
        return node


class _LitmusTestReport:
    def __init__(self, report):
        self.report = report

    def _repr_json_(self):
        return self.report

    def __repr__(self):
        return "%d passed, %d failed" % (self.report["passed"], self.report["failed"])


def _litmus_failure(name, line, error, solution_file):
    failure = {"test": name, "line": line, "message": _litmus_brief(str(error), 4 * _BRIEF) or type(error).__name__}
    if isinstance(error, SystemExit):
        failure["message"] = "the code called exit (status %s)" % _litmus_brief(repr(error.code))
    if isinstance(error, AssertionError):
        failure["kind"] = "assertion"
        if isinstance(error, _LitmusAssertionError):
            failure["expected"] = error.expected
            failure["actual"] = error.actual
        elif not str(error):
            failure["message"] = name
    elif isinstance(error, _LitmusTimeLimit):
        failure["kind"] = "timeout"
    else:
        failure["kind"] = "exception"
    failure["exception"] = "AssertionError" if isinstance(error, AssertionError) else type(error).__name__
    # Checks written for the harness (bench's input/output checks) say where they failed.
    details = getattr(error, "litmus_details", None)
    if isinstance(details, dict):
        failure["details"] = details
    # Only the frames in the generated code: the harness and the tests are not the model's to fix.
    # (filename, line, text) of each frame: the error's own traceback, or what a forked process sent of its.
    frames = getattr(error, "litmus_frames", None)
    if frames is None:
        frames = [(frame.filename, frame.lineno, frame.line) for frame in _traceback.extract_tb(error.__traceback__)]
    failure["frames"] = [
        {"line": line, "code": _litmus_brief((text or "").strip())}
        for filename, line, text in frames
        if filename == solution_file
    ]
    return failure


def _litmus_parametrized(name, function, owner=None):
    """(name, run) for each case of a test: one, or one per `@pytest.mark.parametrize` row, named like pytest's
    ids (`test_add[0]`). Marks are read from the function, so pytest itself is only needed to write them."""
    def call(**values):
        return function(owner(), **values) if owner is not None else function(**values)

    cases = [((), {})]
    for mark in reversed(getattr(function, "pytestmark", [])):
        if getattr(mark, "name", None) != "parametrize":
            continue
        names, rows = mark.args[0], mark.args[1]
        names = [part.strip() for part in names.split(",")] if isinstance(names, str) else list(names)
        expanded = []
        for ids, values in cases:
            for index, row in enumerate(rows):
                row = getattr(row, "values", row)  # pytest.param(...)
                row = tuple(row) if len(names) > 1 else (row,)
                expanded.append((ids + (str(index),), dict(values, **dict(zip(names, row)))))
        cases = expanded
    return [
        ("%s[%s]" % (name, "-".join(ids)) if ids else name, lambda values=values: call(**values))
        for ids, values in cases
    ]


def _litmus_run_tests(source, namespace, solution_file):
    try:
        tree = _ast.parse(source, "<tests>")
    except SyntaxError as error:
        # The tests' fault, not the code's: reported apart so it is never blamed on the model.
        return _LitmusTestReport({"passed": 0, "failed": 0, "failures": [], "invalid": "line %s: %s" % (error.lineno, error.msg)})
    lines = _litmus_source_lines(source)
    tree = _ast.fix_missing_locations(_RewriteEqualityAsserts(lines).visit(tree))
    namespace["_litmus_check_equal"] = _litmus_check_equal
    results = []
    tests = []
    test_functions = []

    def record(name, line, run):
        try:
            run()
        # A test whose code exits (sys.exit) fails like one that raises; only the cell's interrupt goes through.
        except (Exception, SystemExit, _LitmusTimeLimit) as error:  # noqa: BLE001 (a failing test is a result)
            failure = _litmus_failure(name, line, error, solution_file)
            results.append(failure)
            tests.append({"test": name, "line": line, "passed": False})
            print("FAIL %s: %s: %s" % (name, failure["exception"], error))
            return
        results.append(None)
        tests.append({"test": name, "line": line, "passed": True})
        print("PASS %s" % name)

    for node in tree.body:
        module = _ast.Module(body=[node], type_ignores=[])
        code = compile(module, "<tests>", "exec")
        text = _litmus_brief((_litmus_segment(lines, node) or "").split("\n")[0])
        original_is_assert = isinstance(node, _ast.Assert) or (
            isinstance(node, _ast.Expr)
            and isinstance(node.value, _ast.Call)
            and getattr(node.value.func, "id", "") == "_litmus_check_equal"
        )
        if original_is_assert:
            record(text, node.lineno, lambda: exec(code, namespace))
            continue
        try:
            exec(code, namespace)
        except (Exception, SystemExit) as error:  # noqa: BLE001 (setup code calling the solution can fail too)
            results.append(_litmus_failure(text, node.lineno, error, solution_file))
            tests.append({"test": text, "line": node.lineno, "passed": False})
            print("FAIL %s: %s: %s" % (text, type(error).__name__, error))
            continue
        if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)) and node.name.startswith("test_"):
            for name, run in _litmus_parametrized(node.name, namespace[node.name]):
                test_functions.append((name, node.lineno, run))
        elif isinstance(node, _ast.ClassDef) and node.name.startswith("Test"):
            # pytest collects test_* methods of Test* classes, on a fresh instance each.
            for item in node.body:
                if isinstance(item, _ast.FunctionDef) and item.name.startswith("test_"):
                    method = getattr(namespace[node.name], item.name)
                    for name, run in _litmus_parametrized(item.name, method, owner=namespace[node.name]):
                        test_functions.append(("%s.%s" % (node.name, name), item.lineno, run))
    for name, line, run in test_functions:
        record(name, line, run)
    failures = [failure for failure in results if failure is not None]
    _sys.stdout.flush()
    report = {"passed": len(results) - len(failures), "failed": len(failures), "failures": failures, "tests": tests}
    if not results:
        report["invalid"] = "no tests found: write assert lines or test_* functions"
    return _LitmusTestReport(report)

"""litmus bench: EvalPlus-style input/output checks, run in the sandbox after the program under test.

`_litmus_ground_truth` runs the reference solution on every input of a task and returns the outputs and
times; `_litmus_check_io` runs a sample on the same inputs and compares its outputs with those, stopping at
the first mismatch. The comparison follows EvalPlus (evalplus/eval/__init__.py and _special_oracle.py at
26d6d00) exactly, including its task-specific oracles and the "sticky" float tolerance. Inputs are parsed
here, by Python's json, because the datasets hold integers beyond 2**53, floats such as 1.0 that must stay
floats, and bare Infinity tokens, none of which survive a trip through JavaScript numbers.

Preloaded into bench sandboxes as the module `_litmus_io_checks`, after the test harness
(loop/harness/python_tests.py, module `_litmus_tests`) whose time limit and assertion error it uses.
"""

import base64 as _litmus_b64
from array import array as _litmus_array
import copy as _litmus_copy
import hashlib as _litmus_hashlib
import json as _litmus_json
import math as _litmus_math
import mmap as _litmus_mmap
import os as _litmus_os
import pickle as _litmus_pickle
import select as _litmus_select
import signal as _litmus_signal
import sys as _litmus_sys
import time as _litmus_time
import traceback as _litmus_traceback
import zlib as _litmus_zlib

from _litmus_tests import _LitmusAssertionError, _LitmusTimeLimit

# evalplus/eval/_special_oracle.py: MBPP tasks (by entry point) whose outputs only need to be (not) None, or
# equal as sets.
_LITMUS_MBPP_NOT_NONE = frozenset(["check_str", "text_match_three", "text_starta_endb"])
_LITMUS_MBPP_SET_EQ = frozenset(
    ["similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum",
     "intersection_array", "find_dissimilar", "Diff"]
)
_LITMUS_SHOWN_CHARS = 200


def _litmus_deserialize(task_id, inputs):
    """evalplus/data/mbpp.py mbpp_deserialize_inputs: MBPP+ stores tuples, sets and complex numbers as lists
    and strings; these tasks need them back."""
    if not task_id.startswith("Mbpp/"):
        return inputs
    n = int(task_id.split("/")[-1])
    if n in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740,
             744, 809):
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if n in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
    if n in (75, 413, 444, 753):
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if n in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if n == 115:
        # {} is a dict, as in EvalPlus.
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]] for inp in inputs]
    if n == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if n in (250, 405, 446, 617, 720, 763, 808):
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if n in (259, 401, 445):
        modified = [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if n == 278:
        modified = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if n == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if n == 722:
        return [[{key: tuple(value) for key, value in inp[0].items()}] + inp[1:] for inp in inputs]
    if n == 252:
        return [[complex(inp[0])] for inp in inputs]
    if n in (580, 615, 791):
        def as_tuple(value):
            return tuple(as_tuple(item) for item in value) if isinstance(value, list) else value

        return [as_tuple(inp) for inp in inputs]
    return inputs


# Expected outputs larger than this (pickled) do not travel as values: HumanEval/15's pickle to 147 MB.
_LITMUS_KEEP_BYTES = 4096
_LITMUS_EXACT = 2**53


class _LitmusDigest:
    """Stands for a large expected output of a simple shape: its shape and the sha256 of its content."""

    __slots__ = ("key", "size")

    def __init__(self, key, size):
        self.key = key
        self.size = size

    def __repr__(self):
        return "<the reference's output: %d bytes pickled, %s sha256 %s...>" % (self.size, self.key[0], self.key[1][:12])


class _LitmusRecompute:
    """Stands for a large expected output of any other shape: the checker calls the reference again."""

    __slots__ = ("seconds",)

    def __init__(self, seconds):
        self.seconds = seconds

    def __repr__(self):
        return "<the reference's output, recomputed>"


def _litmus_sha(data):
    return _litmus_hashlib.sha256(data).hexdigest()


def _litmus_packed_numbers(value):
    """A list of ints, bools and floats as doubles (C speed: HumanEval/130 returns lists of 10**6), or None
    where that would not be exact under ==: a non-number, an int beyond 2**53, a NaN."""
    try:
        packed = _litmus_array("d", value)
    except (TypeError, OverflowError):
        return None
    if value and (max(value) > _LITMUS_EXACT or min(value) < -_LITMUS_EXACT):
        return None
    total = sum(packed)
    if total != total:  # a NaN (or infinities that cancel)
        return None
    if packed.count(0.0):  # -0.0 == 0.0: one encoding for both
        for index, item in enumerate(packed):
            if item == 0.0:
                packed[index] = 0.0
    return packed.tobytes()


def _litmus_fast_digest(value):
    """(shape, sha256) of a value whose == is plain content equality and that hashes at C speed: a string,
    bytes, an int too large for any float to equal, a list or tuple of numbers (1, 1.0 and True alike), a list
    or tuple of strings. None for others.
    The shape depends only on the value, so two equal values always get the same key."""
    kind = type(value)
    if kind is str:
        return ("str", _litmus_sha(value.encode("utf-8", "surrogatepass")))
    if kind is bytes or kind is bytearray:
        return ("bytes", _litmus_sha(bytes(value)))
    if kind is int and value.bit_length() > 1100:
        # Beyond any float's range (HumanEval/139's factorials): equal only to the same int.
        return ("int", _litmus_sha(value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)))
    if kind is list or kind is tuple:
        packed = _litmus_packed_numbers(value)
        if packed is not None:
            return (kind.__name__ + " of numbers", _litmus_sha(packed))
        if all(type(item) is str for item in value):
            text = _litmus_json.dumps(value, ensure_ascii=False)
            return (kind.__name__ + " of strings", _litmus_sha(text.encode("utf-8", "surrogatepass")))
    return None


def _litmus_size(value):
    """About how large a value is pickled; a long string or container counts as large without pickling it
    (pickling Mbpp/255's outputs just to measure them took 5 s)."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) > _LITMUS_KEEP_BYTES // 16:
        return _LITMUS_KEEP_BYTES + 1
    return len(_litmus_pickle.dumps(value, protocol=_litmus_pickle.HIGHEST_PROTOCOL))


def _litmus_compact(outputs, seconds, keep_values):
    """Large outputs as digests, or as marks to recompute them; unless their values are needed (tolerances,
    set comparison)."""
    if keep_values:
        return outputs
    compact = []
    for output, time in zip(outputs, seconds):
        size = _litmus_size(output)
        if size > _LITMUS_KEEP_BYTES:
            key = _litmus_fast_digest(output)
            output = _LitmusDigest(key, size) if key is not None else _LitmusRecompute(time)
        compact.append(output)
    return compact


class _LitmusGroundTruth:
    def __init__(self, report):
        self.report = report

    def _repr_json_(self):
        return self.report

    def __repr__(self):
        return "ground truth: %d base and %d plus outputs" % (
            len(self.report["base"]["seconds"]), len(self.report["plus"]["seconds"]))


def _litmus_reference_outputs(fn, inputs, not_none):
    """evalplus/gen/util trusted_exec: each input deep-copied, only the call timed (wall clock)."""
    outputs, seconds = [], []
    for inp in inputs:
        inp = _litmus_copy.deepcopy(inp)
        started = _litmus_time.time()
        outputs.append(fn(*inp))
        seconds.append(_litmus_time.time() - started)
    if not_none:
        outputs = [output is not None for output in outputs]
    return outputs, seconds


def _litmus_ground_truth(fn, task_id, entry_point, base_json, plus_json, atol):
    """The reference outputs and times of every input, phase by phase (base, plus: a sample is checked on each
    apart, as in EvalPlus): each phase's inputs and outputs as a pickle (opaque to the host), its times as JSON."""
    not_none = task_id.startswith("Mbpp/") and entry_point in _LITMUS_MBPP_NOT_NONE
    # Values the comparison reads beyond ==: with a tolerance (any float in a phase makes it sticky) or as sets.
    needs_values = atol != 0 or (task_id.startswith("Mbpp/") and entry_point in _LITMUS_MBPP_SET_EQ)
    report = {}
    for phase, inputs_json in (("base", base_json), ("plus", plus_json)):
        inputs = _litmus_deserialize(task_id, list(_litmus_json.loads(inputs_json)))
        outputs, seconds = _litmus_reference_outputs(fn, inputs, not_none)
        outputs = _litmus_compact(outputs, seconds, needs_values or any(map(_litmus_is_floats, outputs)))
        recompute = [out.seconds for out in outputs if type(out) is _LitmusRecompute]
        blob = _litmus_pickle.dumps((inputs, outputs), protocol=_litmus_pickle.HIGHEST_PROTOCOL)
        report[phase] = {
            "blob": _litmus_b64.b64encode(_litmus_zlib.compress(blob, 1)).decode("ascii"),
            "seconds": seconds,
            "recomputeSeconds": sum(recompute) if recompute else None,
        }
    return _LitmusGroundTruth(report)


def _litmus_is_floats(value):
    if isinstance(value, float):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(item, float) for item in value)
    return False


def _litmus_numbers(value):
    """The numbers in a (nested) list or tuple, or the value itself."""
    if isinstance(value, (list, tuple)):
        return [number for item in value for number in _litmus_numbers(item)]
    return [value]


def _litmus_shape(value):
    """numpy's shape of a (nested) list or tuple, or None when it is ragged (numpy refuses it)."""
    if not isinstance(value, (list, tuple)):
        return ()
    shapes = {_litmus_shape(item) for item in value}
    if None in shapes or len(shapes) > 1:
        return None
    return (len(value),) + (shapes.pop() if shapes else ())


_LITMUS_FLOAT_MAX = 1.7976931348623157e308


def _litmus_numpy_refuses(value, expected):
    """Whether numpy.allclose raises on `value` as EvalPlus passes it (its comparison then fails the input): a
    ragged list either side; an expected scalar int a float cannot hold; an expected list numpy can only keep
    as Python objects (ints beyond int64 and uint64, or of both signs beyond int64, which isfinite refuses), or
    with an int a float cannot hold beside floats."""
    if not isinstance(value, (list, tuple)):
        return expected and type(value) is int and abs(value) > _LITMUS_FLOAT_MAX
    if _litmus_shape(value) is None:
        return True
    if not expected:
        return False
    numbers = _litmus_numbers(value)
    ints = [number for number in numbers if type(number) is int]
    if not ints:
        return False
    if len(ints) != len(numbers):
        return any(abs(number) > _LITMUS_FLOAT_MAX for number in ints)
    low, high = min(ints), max(ints)
    return low < -(2**63) or high >= 2**64 or (high >= 2**63 and low < 0)


def _litmus_allclose(out, exp, atol):
    """numpy.allclose(out, exp, rtol=1e-07, atol=atol), False where it raises, as EvalPlus compares: numpy's own
    where the sandbox has it (the bench template), with its broadcasting and its refusals; else a close
    emulation for numbers and (nested) sequences of them."""
    try:
        import numpy
    except ImportError:
        if _litmus_numpy_refuses(out, False) or _litmus_numpy_refuses(exp, True):
            return False
        return _litmus_close(out, exp, atol)
    try:
        return bool(numpy.allclose(out, exp, rtol=1e-07, atol=atol))
    except Exception:  # noqa: BLE001 (EvalPlus's assertion fails on whatever numpy raises)
        return False


def _litmus_close(out, exp, atol):
    if isinstance(exp, (list, tuple)):
        if not isinstance(out, (list, tuple)) or len(out) != len(exp):
            return False
        return all(_litmus_close(o, e, atol) for o, e in zip(out, exp))
    if isinstance(out, (list, tuple)):
        return False
    if out == exp:  # equal infinities
        return True
    return abs(out - exp) <= atol + 1e-07 * abs(exp)


def _litmus_poly(xs, x):
    return sum([coeff * _litmus_math.pow(x, i) for i, coeff in enumerate(xs)])


def _litmus_surface_area(base_edge, height):
    slant_height = _litmus_math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant_height) / 2)


def _litmus_digit_distance_nums(num1, num2):
    a, b = str(num1), str(num2)
    width = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width)))


def _litmus_shown(value):
    text = repr(value)
    return text if len(text) <= _LITMUS_SHOWN_CHARS else text[:_LITMUS_SHOWN_CHARS] + "..."


def _litmus_call_text(entry_point, inp):
    return "%s(%s)" % (entry_point, ", ".join(_litmus_shown(arg) for arg in inp))


def _litmus_matches(family, entry_point, inp, out, exp, atol, reference):
    """Whether `out` is right (EvalPlus unsafe_execute); returns (ok, atol to use from now on). `reference()`
    gives the reference function, to recompute an expected output kept only as a digest when `out` is not of a
    type the digest can judge (a subclass of list or str, say: EvalPlus's == may still hold)."""
    if family == "humaneval" and entry_point == "find_zero":
        return abs(_litmus_poly(*inp, out)) <= atol, atol
    if type(exp) is _LitmusDigest:
        key = _litmus_fast_digest(out)
        exact = key == exp.key if key is not None else out == reference()(*_litmus_copy.deepcopy(inp))
    else:
        exact = out == exp
    if family == "mbpp":
        if entry_point == "surface_Area":
            exact = exact or abs(out - _litmus_surface_area(*inp)) <= atol
        elif entry_point == "digit_distance_nums":
            exact = exact or out == _litmus_digit_distance_nums(*inp)
        elif entry_point in _LITMUS_MBPP_SET_EQ:
            exact = set(out) == set(exp)
        elif entry_point in _LITMUS_MBPP_NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if atol == 0 and _litmus_is_floats(exp):
        atol = 1e-6  # EvalPlus: floats are compared with a tolerance, kept for the rest of the phase
    if not exact and atol != 0:
        if type(out) is not type(exp):
            return False, atol
        return _litmus_allclose(out, exp, atol), atol
    return bool(exact), atol


def _litmus_check_phase(phase, fn, family, entry_point, inputs, expected, limits, atol, reference):
    """Calls the sample on the phase's inputs in a child forked from this interpreter, as EvalPlus runs each
    phase in a process of its own, and watches it: a call that overruns its limit has the child killed then,
    whatever the sample does with the exception a signal would raise in it (EvalPlus's signal can be caught,
    and a bare `except:` around the call keeps it going until the phase's budget). This interpreter, and the
    program's state in it, outlive the phase: the next phase forks from the same state without running the
    program again. Raises what failed, as the child saw it."""
    watch = _LitmusWatch()
    read_fd, write_fd = _litmus_os.pipe()
    pid = _litmus_os.fork()
    if pid == 0:
        try:
            _litmus_os.close(read_fd)
            word = _litmus_phase_child(watch, phase, fn, family, entry_point, inputs, expected, limits, atol, reference)
            _litmus_os.write(write_fd, _litmus_json.dumps(word).encode("utf-8") + b"\n")
        finally:
            _litmus_os._exit(0)  # never back into the kernel's loop: the parent carries on from here
    _litmus_os.close(write_fd)
    try:
        word = _litmus_watch_phase(pid, read_fd, watch, min(limits, default=1.0))
    finally:
        _litmus_os.close(read_fd)
        watch.close()
    if word.get("passed"):
        return
    index = word["input"]
    error = _litmus_error_of(word, phase, entry_point, inputs[index] if 0 <= index < len(inputs) else (), limits)
    error.litmus_details = {"phase": phase, "input": index, "inputs": len(inputs)}
    raise error


_LITMUS_NO_DEADLINE = float("inf")


class _LitmusWatch:
    """Where the child says which call it is in and when that call's limit runs out: shared memory, so the
    parent sleeps until a limit can have run out instead of waking for each of a thousand calls.

    The parent reads while the child writes, so every write must leave a value the parent may see: each slot
    is one aligned 8-byte double, written by a single store through a memoryview. (struct.pack_into zeroes
    its bytes before it packs them: a parent reading in between saw a deadline of 0.0, long past, and killed
    a call that had just begun as a timeout.) The index is written before the deadline it goes with."""

    __slots__ = ("_memory", "_slots")

    def __init__(self):
        self._memory = _litmus_mmap.mmap(-1, 16)
        self._slots = memoryview(self._memory).cast("d")
        self._slots[0] = _LITMUS_NO_DEADLINE
        self._slots[1] = -1

    def call_started(self, index, deadline):
        self._slots[1] = index
        self._slots[0] = deadline

    def call_ended(self):
        self._slots[0] = _LITMUS_NO_DEADLINE

    def deadline(self):
        return self._slots[0]

    def index(self):
        return int(self._slots[1])

    def close(self):
        self._slots.release()
        self._memory.close()


_LITMUS_FRAMES_KEPT = 20


def _litmus_phase_child(watch, phase, fn, family, entry_point, inputs, expected, limits, atol, reference):
    """In the forked child: the calls, each compared as it returns; what happened, as JSON for the parent."""
    # What the calls print is thrown away, as EvalPlus's swallow_io does, down to the file descriptors: a
    # sample printing on each of a thousand inputs must not cost the time of carrying it out of the sandbox.
    sink = _litmus_os.open(_litmus_os.devnull, _litmus_os.O_WRONLY)
    _litmus_os.dup2(sink, 1)
    _litmus_os.dup2(sink, 2)
    _litmus_sys.stdout = _litmus_sys.stderr = open(sink, "w", closefd=False)
    index = -1
    try:
        for index, (inp, exp) in enumerate(zip(inputs, expected)):
            if type(exp) is _LitmusRecompute:
                exp = reference()(*_litmus_copy.deepcopy(inp))  # the checker's work: outside the call's limit
            watch.call_started(index, _litmus_time.monotonic() + limits[index])
            out = fn(*inp)
            watch.call_ended()
            ok, atol = _litmus_matches(family, entry_point, inp, out, exp, atol, reference)
            if not ok:
                call = _litmus_call_text(entry_point, inp)
                raise _LitmusAssertionError(
                    "%s input #%d: %s: expected %s, got %s" % (phase, index, call, _litmus_shown(exp), _litmus_shown(out)),
                    _litmus_shown(exp),
                    _litmus_shown(out),
                )
    except BaseException as error:  # noqa: BLE001 (whatever the sample raises, SystemExit too, fails the input)
        watch.call_ended()
        return _litmus_word_of(error, index)
    return {"passed": True}


def _litmus_word_of(error, index):
    """A failure as JSON: the parent rebuilds an exception of the same name from it."""
    word = {"passed": False, "input": index, "exception": type(error).__name__, "message": _litmus_brief_text(error)}
    if isinstance(error, SystemExit):
        code = error.code
        word["exit"] = code if code is None or isinstance(code, (int, str)) else repr(code)
    elif isinstance(error, _LitmusAssertionError):
        word["expected"], word["actual"] = error.expected, error.actual
    word["kind"] = "assertion" if isinstance(error, AssertionError) else "exception"
    # The innermost frames: where the sample failed (a RecursionError's traceback has a thousand).
    frames = _litmus_traceback.extract_tb(error.__traceback__, limit=-_LITMUS_FRAMES_KEPT)
    word["frames"] = [[frame.filename, frame.lineno, frame.line or ""] for frame in frames]
    return word


def _litmus_brief_text(error):
    try:
        return str(error)[:4000]
    except Exception:  # noqa: BLE001 (a sample's exception with a broken __str__)
        return ""


def _litmus_watch_phase(pid, read_fd, watch, shortest_limit):
    """The child's last word, or what the parent saw instead: a call that ran past its limit (the child is
    killed then), or a child gone without a word (it exited or crashed in a call)."""
    received = b""
    while True:
        deadline = watch.deadline()
        now = _litmus_time.monotonic()
        if deadline <= now:
            _litmus_reap(pid, kill=True)
            # Read once the child can no longer move on.
            return {"passed": False, "input": watch.index(), "exception": "_LitmusTimeLimit", "kind": "timeout"}
        # Between calls the child sets no deadline; it will set one no sooner than now plus the shortest limit.
        wait = shortest_limit if deadline == _LITMUS_NO_DEADLINE else deadline - now
        ready, _, _ = _litmus_select.select([read_fd], [], [], wait)
        if not ready:
            continue
        chunk = _litmus_os.read(read_fd, 65536)
        if chunk:
            received += chunk
            if received.endswith(b"\n"):
                _litmus_reap(pid, kill=False)
                return _litmus_json.loads(received)
            continue
        status = _litmus_reap(pid, kill=False)
        index = watch.index()
        return {"passed": False, "input": index, "exception": "_LitmusDied", "status": status, "kind": "exception"}


def _litmus_reap(pid, kill):
    """The child's wait status, once it is gone (killed first when asked)."""
    if kill:
        _litmus_os.kill(pid, _litmus_signal.SIGKILL)
    return _litmus_os.waitpid(pid, 0)[1]


def _litmus_error_of(word, phase, entry_point, inp, limits):
    """The exception the child's last word describes, to raise here (the harness reports it as the test's)."""
    index = word["input"]
    where = "%s input #%d: %s" % (phase, index, _litmus_call_text(entry_point, inp))
    name = word["exception"]
    if name == "_LitmusTimeLimit":
        return _LitmusTimeLimit("%s ran past its %.1f s limit" % (where, limits[index]))
    if name == "_LitmusDied":
        status = word["status"]
        if _litmus_os.WIFSIGNALED(status):
            number = _litmus_os.WTERMSIG(status)
            if number == _litmus_signal.SIGKILL:  # what the sandbox's memory limit does
                return MemoryError("%s: killed (out of memory)" % where)
            return _litmus_named_exception("ProcessDied")(
                "%s: killed by signal %s" % (where, _litmus_signal.Signals(number).name)
            )
        return SystemExit(_litmus_os.waitstatus_to_exitcode(status))
    if "exit" in word:
        error = SystemExit(word["exit"])
    elif "expected" in word:
        error = _LitmusAssertionError(word["message"], word["expected"], word["actual"])
    elif word["kind"] == "assertion":
        error = AssertionError(word["message"])
    else:
        error = _litmus_named_exception(name)(word["message"])
    error.litmus_frames = word["frames"]
    return error


def _litmus_named_exception(name):
    """An exception class of the sample's exception's name: only its name and message cross from the child
    (a class of its own, as a builtin's str() would not give the message back: KeyError quotes it)."""
    return type(name, (Exception,), {})


def _litmus_check_io(fn, family, entry_point, phase, blob, limits, atol, reference_source):
    """Checks the inputs of one phase (base or plus) with its own tolerance; stops at the first failure
    (EvalPlus's fast check). The limits are a JSON list of seconds per input; `reference_source` is the
    reference solution, for the outputs kept as digests or marks to recompute."""
    inputs, expected = _litmus_pickle.loads(_litmus_zlib.decompress(_litmus_b64.b64decode(blob)))
    loaded = []

    def reference():
        """The reference function, its program run on first need only."""
        if not loaded:
            namespace = {"__name__": "__litmus_reference__"}
            exec(compile(reference_source, "<reference>", "exec"), namespace)
            loaded.append(namespace[entry_point])
        return loaded[0]

    _litmus_check_phase(phase, fn, family, entry_point, inputs, expected, _litmus_json.loads(limits), atol, reference)

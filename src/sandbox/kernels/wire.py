"""JSON lines for the sandbox's control channels, straight from the C accelerator `_json`.

`import json` pulls in `re`, `enum` and `functools` (about 10 ms at every interpreter start, a fifth of a
cold sandbox start). The C scanner and encoder behind the json module need none of them.
"""

import _json
import os


class _DecoderSettings:
    """The attributes `_json.make_scanner` reads from a JSONDecoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__
    memo = {}


_scan = _json.make_scanner(_DecoderSettings())


def loads(text):
    """Parses one JSON document (no surrounding whitespace). Raises ValueError when it is not JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = text.strip()
    try:
        value, end = _scan(text, 0)
    except StopIteration as error:
        raise ValueError("invalid JSON at offset %s" % error.value) from None
    if end != len(text):
        raise ValueError("extra data after JSON at offset %d" % end)
    return value


def _encoder(default):
    # Arguments of c_make_encoder: markers, default, string encoder, indent, key and item separators,
    # sort_keys, skipkeys, allow_nan.
    return _json.make_encoder({}, default, _json.encode_basestring_ascii, None, ":", ",", False, False, True)


def _unserialisable(value):
    raise TypeError("%s is not JSON serialisable" % type(value).__name__)


_strict = _encoder(_unserialisable)
_lenient = _encoder(repr)


def dumps(value, lenient=False):
    """One line of JSON; `lenient` turns values JSON cannot hold into their repr instead of failing."""
    return "".join((_lenient if lenient else _strict)(value, 0))


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(message, fd=1, lenient=False):
    """Writes one message as a JSON line (blocking until all of it is written)."""
    write_all(fd, (dumps(message, lenient) + "\n").encode())


class LineBuffer:
    """Turns a byte stream into JSON messages, one per line. Lines that are not JSON, or longer than
    `max_line` bytes, are dropped: some streams come from processes that run user code."""

    def __init__(self, max_line=64 << 20):
        self.parts = []
        self.size = 0
        self.max_line = max_line
        self.skipping = False  # inside an overlong line: drop everything up to its end

    def feed(self, chunk):
        messages = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end == -1:
                break
            piece = chunk[start:end]
            start = end + 1
            if self.skipping:
                self.skipping = False
                continue
            line = b"".join(self.parts) + piece if self.parts else piece
            self.parts = []
            self.size = 0
            if line.strip():
                try:
                    messages.append(loads(line))
                except (ValueError, RecursionError):  # a line nested deeper than the parser goes: dropped too
                    pass
        rest = chunk[start:]
        if rest and not self.skipping:
            self.parts.append(rest)
            self.size += len(rest)
            if self.size > self.max_line:
                self.parts = []
                self.size = 0
                self.skipping = True
        return messages

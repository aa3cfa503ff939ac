"""litmus Python kernel: runs cells like a notebook in one persistent namespace.

Forked from the supervisor (which imported this module), so starting one costs a fork. Requests arrive as
JSON lines on one fd, events leave as JSON lines on another; user code keeps the real fds 0-2, so output of
subprocesses and C extensions is captured too. The value of a trailing expression becomes a result.
"""

import _ast  # the C module behind `ast`: parsing without importing ast's 15 ms of Python helpers
import binascii
import builtins
import os
import _signal as signal  # the C module: `signal` itself imports enum, 4 ms of start-up
import sys
import types

import notebook as notebook_cells
import wire

# Cell sources by filename, handed to linecache only when a traceback needs them: importing linecache and
# traceback up front would double the kernel's start-up time.
CELL_SOURCES = {}
TOP_LEVEL_AWAIT = 0x2000  # ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
CO_COROUTINE = 0x80

RICH_FORMATS = (
    ("_repr_html_", "html"),
    ("_repr_markdown_", "markdown"),
    ("_repr_svg_", "svg"),
    ("_repr_png_", "png"),
    ("_repr_jpeg_", "jpeg"),
    ("_repr_latex_", "latex"),
    ("_repr_json_", "json"),
)


class Channel:
    def __init__(self, request_fd, event_fd):
        # Move the control fds out of the way and close them on exec, so user subprocesses never hold them.
        self.request_fd = os.dup(request_fd)
        self.event_fd = os.dup(event_fd)
        os.close(request_fd)
        os.close(event_fd)
        os.set_inheritable(self.request_fd, False)
        os.set_inheritable(self.event_fd, False)
        self.reader = os.fdopen(self.request_fd, "rb", buffering=65536)

    def requests(self):
        for line in self.reader:
            if line.strip():
                yield wire.loads(line)

    def send(self, message):
        wire.send(message, fd=self.event_fd, lenient=True)


def format_result(value):
    """A notebook-style result: text always, rich formats when the object offers them."""
    result = {"text": repr(value), "isMainResult": True}
    for method, key in RICH_FORMATS:
        render = getattr(type(value), method, None)
        if render is None:
            continue
        try:
            data = render(value)
        except Exception:  # noqa: BLE001 (a broken repr must not fail the cell)
            continue
        if data is None:
            continue
        if isinstance(data, bytes):
            data = binascii.b2a_base64(data, newline=False).decode()
        result[key] = data
    return result


def error_of(error):
    """The error as name, value and a traceback that starts at the user's code, not the kernel's."""
    import linecache
    import traceback

    for filename, source in CELL_SOURCES.items():
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    lines = traceback.format_exception(type(error), error, tb)
    return {"name": type(error).__name__, "value": str(error), "traceback": "".join(lines)}


def exit_code_of(system_exit):
    code = system_exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


class Cell:
    """Compiles one cell: everything but a trailing expression runs as statements, that one is evaluated."""

    def __init__(self, code, number):
        self.filename = "<cell-%d>" % number
        CELL_SOURCES[self.filename] = code
        flags = TOP_LEVEL_AWAIT
        tree = compile(code, self.filename, "exec", flags=_ast.PyCF_ONLY_AST | flags, dont_inherit=True)
        trailing = None
        if tree.body and isinstance(tree.body[-1], _ast.Expr):
            trailing = _ast.Expression(tree.body.pop().value)
        self.body = compile(tree, self.filename, "exec", flags=flags, dont_inherit=True)
        self.trailing = compile(trailing, self.filename, "eval", flags=flags, dont_inherit=True) if trailing else None

    def run(self, namespace):
        run_code(self.body, namespace)
        if self.trailing is None:
            return None
        return run_code(self.trailing, namespace)


def run_code(code, namespace):
    value = eval(code, namespace)  # noqa: S307 (running user code is the point)
    if code.co_flags & CO_COROUTINE and isinstance(value, types.CoroutineType):  # top-level await
        import asyncio

        value = asyncio.new_event_loop().run_until_complete(value)
    return value


def set_environment(envs):
    """A run's own environment variables; returns what restores the environment as it was before."""
    saved = {name: os.environ.get(name) for name in envs}
    os.environ.update(envs)

    def restore():
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore


def user_sys_path():
    """The import path user code expects: its working directory first, then the standard library and the
    interpreter's site/dist-packages. The interpreter runs with -I -S (fast, and nothing from the host's
    environment), so those are added here without importing `site` (about 9 ms)."""
    version = "python%d.%d" % sys.version_info[:2]
    candidates = []
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix)):
        candidates += [
            os.path.join(prefix, "local", "lib", version, "dist-packages"),
            os.path.join(prefix, "lib", "python3", "dist-packages"),
            os.path.join(prefix, "lib", version, "dist-packages"),
            os.path.join(prefix, "lib", version, "site-packages"),
        ]
    kernel_dir = os.path.dirname(os.path.abspath(__file__))
    stdlib = [path for path in sys.path if os.path.abspath(path) != kernel_dir]
    # -I ignores PYTHONPATH; the sandbox sets it (a template's packages), so it is read here, before the
    # interpreter's own packages as Python would put it.
    extra = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    site = [path for path in candidates if os.path.isdir(path) and path not in stdlib]
    return [""] + extra + stdlib + site


def serve(request_fd, event_fd):
    channel = Channel(request_fd, event_fd)
    sys.path[:] = user_sys_path()
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.argv = [""]
    # SIGINT means "stop this cell": it raises KeyboardInterrupt while a cell runs and is ignored between
    # cells, so an interrupt that races with the end of a cell cannot kill the kernel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    n = None  # the cell running: echoed in every event, the supervisor drops events of any other cell
    notebook = None
    if notebook_cells.available():
        notebook = notebook_cells.Notebook(lambda result: channel.send({"ev": "result", "n": n, "result": result}))
    for request in channel.requests():
        error = None
        exit_code = 0
        exited = False  # the cell raised SystemExit (exit(), sys.exit()), whatever its status
        n = request.get("n")
        restore_environment = set_environment(request.get("envs") or {})
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if notebook is not None:
                error, exit_code, exited = notebook.run(request["code"])
            else:
                value = Cell(request["code"], request["n"]).run(namespace)
                if value is not None:
                    namespace["_"] = value
                    channel.send({"ev": "result", "n": n, "result": format_result(value)})
        except SystemExit as system_exit:
            exited = True
            exit_code = exit_code_of(system_exit)
            if exit_code != 0:
                error = {"name": "SystemExit", "value": str(system_exit.code), "traceback": ""}
        except SyntaxError as syntax_error:
            error = error_of(syntax_error)
            exit_code = 1
        except BaseException as raised:  # noqa: BLE001 (KeyboardInterrupt included: that is a timeout)
            error = error_of(raised)
            exit_code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            restore_environment()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        channel.send({"ev": "done", "n": n, "error": error, "exitCode": exit_code, "exited": exited})

"""Cells through IPython's own InteractiveShell, where the sandbox has IPython (the code-interpreter template).

A notebook's semantics come from IPython itself rather than an imitation of them: the common indentation of a
cell is removed, `!cmd` and the magics work, a trailing `;` hides the value, `Out`, `_` and `_N` are kept,
and every value is formatted by IPython's display formatters. What IPython would print to a terminal is sent
as events instead: the cell's value and every `display()` (figures, images, DataFrames) become results in the
formats E2B's code interpreter gives, errors become the error of the cell.

E2B's template adds three formats to IPython's, and litmus gives the same: `data` (a DataFrame's columns),
`chart` (a matplotlib figure read by e2b-charts) and `json` for plain dicts and lists; and it makes PIL's
`Image.save(path)` and `Image.show()` display the image. Figures are captured by matplotlib's inline backend.
"""

import binascii
import os
import sys

# MIME type -> the field of a result (E2B's names); anything else goes into `extra`.
FIELDS = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "application/pdf": "pdf",
    "text/latex": "latex",
    "application/json": "json",
    "application/javascript": "javascript",
    "e2b/data": "data",
    "e2b/chart": "chart",
}


def available():
    """Whether IPython can be imported here (without importing it: that is most of a notebook's start-up)."""
    from importlib.util import find_spec

    return find_spec("IPython") is not None


def preload():
    """In the zygote of a template with IPython: IPython's shell imported once (about half a second), so the first
    cell of each sandbox starts warm. The template's packages are on the import path only meanwhile: a sandbox
    sets its own. Nothing that starts threads (numpy's BLAS does) may be imported before a fork."""
    extra = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path.extend(extra)
    try:
        if available():
            import IPython.core.interactiveshell  # noqa: F401
            import IPython.display  # noqa: F401
    finally:
        del sys.path[len(sys.path) - len(extra) :]


def result_of(bundle, is_main):
    """A MIME bundle as a result: E2B's fields, byte payloads in base64, other formats in `extra`."""
    result = {"isMainResult": is_main}
    extra = {}
    for mime, value in bundle.items():
        if isinstance(value, bytes):
            value = binascii.b2a_base64(value, newline=False).decode()
        field = FIELDS.get(mime)
        if field is None:
            extra[mime] = value
        else:
            result[field] = value
    if extra:
        result["extra"] = extra
    return result


def json_safe(value):
    """What JSON can hold of a value, as E2B's template makes it with orjson: NaN and infinities become null,
    numpy arrays and scalars plain lists and numbers, other keys strings, datetimes ISO strings. None where a
    part cannot be held (the format is then left out)."""
    try:
        import orjson
    except ImportError:
        return None
    try:
        return orjson.loads(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS))
    except TypeError:
        return None


class Notebook:
    """One IPython shell whose output becomes events: `send(event)` gets each result as it is displayed."""

    def __init__(self, send):
        # Figures are displayed by matplotlib's inline backend; IPython keeps its profile and history out of
        # the user's workspace (and writes no history at all).
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        os.environ.setdefault("IPYTHONDIR", "/tmp/.ipython")
        from traitlets.config import Config

        from IPython.core.interactiveshell import InteractiveShell

        config = Config()
        config.InteractiveShell.colors = "NoColor"
        config.HistoryManager.enabled = False
        # Long lists and dicts are not cut at 1000 items (E2B's setting).
        config.PlainTextFormatter.max_seq_length = 0
        self.send = send
        self.error = None
        self.shell = InteractiveShell.instance(
            config=config,
            displayhook_class=_hook_class(self),
            display_pub_class=_publisher_class(self),
        )
        self.shell._showtraceback = self._record_error
        # `!cmd` writes to the real descriptors (captured like any subprocess), with no pseudo-terminal.
        self.shell.system = self.shell.system_raw
        _add_formats(self.shell)
        _display_pil_images()

    def publish(self, bundle, is_main):
        flush_output()
        if bundle:
            self.send(result_of(bundle, is_main))

    def _record_error(self, etype, evalue, stb):
        """Where IPython would print a traceback: the cell's error (the first one, as E2B keeps)."""
        if self.error is None:
            text = self.shell.InteractiveTB.stb2text(stb)
            self.error = {"name": etype.__name__, "value": str(evalue), "traceback": text}

    def run(self, code):
        """Runs one cell; returns (error or None, exit code, whether it raised SystemExit)."""
        self.error = None
        outcome = self.shell.run_cell(code, store_history=True)
        flush_output()
        failure = outcome.error_in_exec
        if isinstance(failure, SystemExit):
            code = failure.code
            status = 0 if code is None else code if isinstance(code, int) else 1
            error = None if status == 0 else {"name": "SystemExit", "value": str(code), "traceback": ""}
            return error, status, True
        if self.error is not None or outcome.error_before_exec is not None or failure is not None:
            return self.error or _error_of(outcome.error_before_exec or failure), 1, False
        return None, 0, False


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 (a stream the user closed)
            pass


def _error_of(error):
    return {"name": type(error).__name__, "value": str(error), "traceback": ""}


def _hook_class(notebook):
    from IPython.core.displayhook import DisplayHook

    class ResultHook(DisplayHook):
        """The cell's value: a main result, not an `Out[n]:` on the terminal."""

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            notebook.publish(format_dict, True)

        def finish_displayhook(self):
            flush_output()

    return ResultHook


def _publisher_class(notebook):
    from IPython.core.displaypub import DisplayPublisher

    class ResultPublisher(DisplayPublisher):
        """`display()` and figures: results that are not the cell's value."""

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            notebook.publish(data, False)

        def clear_output(self, wait=False):
            pass

    return ResultPublisher


def _add_formats(shell):
    from traitlets import ObjectName, Unicode

    from IPython.core.formatters import BaseFormatter

    def formatter(mime, module, class_name, convert):
        """A format of objects of one class (looked up only once its module is imported), and of any object with
        the matching `_repr_..._` method. Matched by isinstance, not registered by type: matplotlib's inline
        backend removes every format registered for figures when it starts."""

        class Formatter(BaseFormatter):
            format_type = Unicode(mime)
            print_method = ObjectName("_repr_%s_" % mime.replace("/", "_"))
            _return_type = (dict, str)

            def __call__(self, obj):
                loaded = sys.modules.get(module)
                if loaded is not None and isinstance(obj, getattr(loaded, class_name)):
                    return convert(obj)
                return super().__call__(obj)

        return Formatter(parent=shell.display_formatter)

    formatters = shell.display_formatter.formatters
    formatters["e2b/data"] = formatter("e2b/data", "pandas", "DataFrame", _dataframe_data)
    formatters["e2b/chart"] = formatter("e2b/chart", "matplotlib.figure", "Figure", _figure_chart)
    for kind in (dict, list):
        formatters["application/json"].for_type(kind, json_safe)


def _dataframe_data(frame):
    """A DataFrame's columns as lists (E2B's `data`), timestamps as ISO strings."""
    columns = frame.to_dict(orient="list")
    for name, values in columns.items():
        columns[name] = [value.isoformat() if hasattr(value, "isoformat") else value for value in values]
    return json_safe(columns)


def _figure_chart(figure):
    """What e2b-charts reads from a figure (its type, titles, axes and data); {} where it reads nothing."""
    try:
        from e2b_charts import chart_figure_to_dict

        return chart_figure_to_dict(figure)
    except Exception:  # noqa: BLE001 (a figure e2b-charts cannot read is still shown as an image)
        return {}


def _display_pil_images():
    """PIL's `Image.show()` opens a viewer on a desktop, and there is none: it displays the image instead, and so
    does `Image.save(path)` before saving, as in E2B's sandboxes."""
    from importlib.util import find_spec

    if find_spec("PIL") is None:
        return
    from PIL import Image

    from IPython.display import display

    save = Image.Image.save

    def save_and_display(self, fp, format=None, **params):
        if isinstance(fp, str):
            display(self)
        return save(self, fp, format, **params)

    Image.Image.save = save_and_display
    Image.Image.show = lambda self, title=None: display(self)

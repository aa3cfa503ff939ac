"""prctl(2) through the C module `_ctypes`: `ctypes` itself costs 5 ms of start-up, `_ctypes` under 1 ms."""

import _ctypes
import os

PR_SET_DUMPABLE = 4


class _Int(_ctypes._SimpleCData):
    _type_ = "i"


class _ULong(_ctypes._SimpleCData):
    _type_ = "L"


class _Libc:
    _handle = _ctypes.dlopen(None, os.RTLD_NOW)


class _Function(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


_prctl = _Function(("prctl", _Libc()))
_prctl.argtypes = (_Int, _ULong, _ULong, _ULong, _ULong)


def set_dumpable(dumpable):
    """A non-dumpable process cannot be ptraced, nor its fds taken (pidfd_getfd, /proc/PID/fd), by processes
    of the same uid without capabilities: the supervisor is one, so user code cannot write to the host's
    channel or stop the supervisor. Its children become dumpable again for the user's own tools."""
    if _prctl(PR_SET_DUMPABLE, 1 if dumpable else 0, 0, 0, 0) != 0:
        raise OSError(_ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")

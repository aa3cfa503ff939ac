"""C library calls through the C module `_ctypes`: `ctypes` itself costs 5 ms of start-up, `_ctypes` under 1 ms."""

import _ctypes
import os


class Int(_ctypes._SimpleCData):
    _type_ = "i"


class UInt(_ctypes._SimpleCData):
    _type_ = "I"


class ULong(_ctypes._SimpleCData):
    _type_ = "L"


class CharP(_ctypes._SimpleCData):
    _type_ = "z"


class _Libc:
    _handle = _ctypes.dlopen(None, os.RTLD_NOW)


class _Function(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = Int


def function(name, *argtypes):
    """The libc function `name`, returning an int (errno kept for `errno()`)."""
    call = _Function((name, _Libc()))
    call.argtypes = argtypes
    return call


def errno():
    return _ctypes.get_errno()

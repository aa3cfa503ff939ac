"""prctl(2), through libc.py."""

import libc

PR_SET_DUMPABLE = 4

_prctl = libc.function("prctl", libc.Int, libc.ULong, libc.ULong, libc.ULong, libc.ULong)


def set_dumpable(dumpable):
    """A non-dumpable process cannot be ptraced, nor its fds taken (pidfd_getfd, /proc/PID/fd), by processes
    of the same uid without capabilities: the supervisor is one, so user code cannot write to the host's
    channel or stop the supervisor. Its children become dumpable again for the user's own tools."""
    if _prctl(PR_SET_DUMPABLE, 1 if dumpable else 0, 0, 0, 0) != 0:
        raise OSError(libc.errno(), "prctl(PR_SET_DUMPABLE)")

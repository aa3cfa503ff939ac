"""Child processes in a poll() loop: SIGCHLD wakes the loop through a pipe, and reap() collects exits."""

import _signal as signal  # the C module: `signal` itself imports enum, 4 ms of start-up
import os


def wake_on_child_exit():
    """Makes SIGCHLD (and any other handled signal) write to a pipe; returns the fd to poll."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return wake_r


def drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def reap(on_exit):
    """Collects every child that has exited, calling on_exit(pid, status) for each."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        on_exit(pid, status)

"""litmus sandbox supervisor: PID 1 inside one bubblewrap sandbox.

It speaks newline-delimited JSON with the host on stdin/stdout and owns every process in the sandbox:
kernels (one per context), commands, and orphans (as PID 1 it reaps them). It enforces execution timeouts
itself (interrupt, then kill after a grace period) so a busy host event loop cannot stretch them, caps the
output forwarded per execution, and applies rlimits to every child before user code runs.

Python kernels are forked from this process, which has already imported everything they need, so a fresh
Python context costs a fork (about a millisecond) instead of an interpreter start.
"""

import binascii
import codecs
import os
import resource
import select
import _signal as signal  # the C module: `signal` itself imports enum, 4 ms of start-up
import stat
import sys
import time

KERNEL_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, KERNEL_DIR)

import children  # noqa: E402
import prctl  # noqa: E402
import python_kernel  # noqa: E402  (imported before any fork so kernels start warm)
import watcher  # noqa: E402
import wire  # noqa: E402

# Set by configure(): from the command line when bubblewrap starts this file, from the spawn request when
# the zygote forks a sandbox.
CONFIG = {}
LIMITS = {}
HOME = "/home/user"


def configure(config):
    global CONFIG, LIMITS, HOME
    CONFIG = config
    LIMITS = config["limits"]
    HOME = config["home"]

READ_CHUNK = 65536
MAX_FILE_BYTES = 64 << 20  # files.read answers in one message


def send(message):
    wire.send(message)


def now_ms():
    return time.monotonic() * 1000.0


def apply_child_limits():
    """Runs in a forked child before user code: rlimits and a high OOM score."""
    def cap(kind, value):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass

    cpu = LIMITS.get("cpuSeconds")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    cap(resource.RLIMIT_FSIZE, LIMITS["fileSizeBytes"])
    cap(resource.RLIMIT_NOFILE, LIMITS["openFiles"])
    cap(resource.RLIMIT_CORE, 0)
    if LIMITS.get("rlimitMemoryBytes"):
        cap(resource.RLIMIT_DATA, LIMITS["rlimitMemoryBytes"])
    elif LIMITS.get("memoryBytes"):
        # Deep recursion (sys.setrecursionlimit, then 50,000 calls deep) may use the sandbox's memory as stack,
        # as EvalPlus allows its samples, not just the 8 MiB a process starts with; the cgroup still bounds it.
        # Not where an rlimit is the memory limit: each thread's stack would count against it whole.
        cap(resource.RLIMIT_STACK, LIMITS["memoryBytes"])
    if LIMITS.get("rlimitProcesses"):
        cap(resource.RLIMIT_NPROC, LIMITS["rlimitProcesses"])
    try:
        # Under memory pressure the kernel's OOM killer must pick user code, never the supervisor.
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("800")
    except OSError:
        pass


# Signals the supervisor ignores: it is the PID namespace's init, and user code may send it any signal it has a
# handler for (Python has one for SIGINT). Without this, `os.kill(1, signal.SIGINT)` ended the sandbox.
IGNORED_SIGNALS = (
    signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
    signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU,
)


# The descriptor of the code cgroup's cgroup.procs (cgroups.ts): held by the supervisor, never by user code.
CODE_CGROUP_FD = 9
# Where the host passes it to a supervisor started by its own bubblewrap (launch-direct.ts).
DIRECT_CODE_CGROUP_FD = 3


def join_code_cgroup():
    """In a forked child, first: into the group that holds the sandbox's memory limit for user code. The
    supervisor stays outside it, so when user code runs out of memory the kernel kills user code only. A child
    that cannot join does not run."""
    if CONFIG.get("codeCgroup"):
        os.write(CODE_CGROUP_FD, b"0")
        os.close(CODE_CGROUP_FD)


def fork_holding_signals(child_fds):
    """os.fork, the child holding every signal until child_setup has made it a process of its own. Until its
    setsid a new child leads no group, so signal_group sends to its pid, and until its dispositions are reset it
    would ignore what the supervisor ignores: held, a signal sent then waits and acts once the child is set up.
    (The supervisor does not wait for the child instead: user code can stop a new child before its set-up.)
    When there can be no child (user code took every process the sandbox may have), the descriptors made for
    it are closed, or each refused request would leak them."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        for fd in child_fds:
            if fd is not None:
                os.close(fd)
        raise
    if pid != 0:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return pid


def child_setup(stdout_fd, stderr_fd, keep_fds, cwd, stdin_fd=None):
    """Common set-up of a child from fork_holding_signals: own session, stdio, no inherited supervisor fds,
    limits, default signal dispositions; then the signals it held are let through."""
    join_code_cgroup()
    os.setsid()
    os.dup2(os.open("/dev/null", os.O_RDONLY) if stdin_fd is None else stdin_fd, 0)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    for target, fd in enumerate(keep_fds, start=3):
        os.dup2(fd, target)
        os.set_inheritable(target, True)
    os.closerange(3 + len(keep_fds), 65536)
    prctl.set_dumpable(True)
    for sig in (signal.SIGCHLD, signal.SIGPIPE) + IGNORED_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    apply_child_limits()
    try:
        os.chdir(cwd)
    except OSError:
        os.chdir(HOME)
    signal.pthread_sigmask(signal.SIG_SETMASK, ())


class Stream:
    """A child's stdout or stderr pipe, decoded incrementally and routed to the current task."""

    def __init__(self, fd, name, owner):
        self.fd = fd
        self.name = name
        self.owner = owner
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        os.set_blocking(fd, False)

    def read_available(self):
        """Reads what is in the pipe now; returns False at end of file."""
        while True:
            try:
                chunk = os.read(self.fd, READ_CHUNK)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            if not chunk:
                # An unfinished UTF-8 sequence at the very end becomes U+FFFD, not nothing.
                rest = self.decoder.decode(b"", final=True)
                if rest:
                    self.owner.output(self.name, rest, 0)
                return False
            self.owner.output(self.name, self.decoder.decode(chunk), len(chunk))


class Task:
    """One execution or command: its request id, deadlines and output budget."""

    def __init__(self, request_id, timeout_ms):
        self.id = request_id
        self.started_ms = now_ms()
        timeout_ms = timeout_ms or LIMITS["timeoutMs"]
        self.timeout_ms = timeout_ms
        self.interrupt_at = self.started_ms + timeout_ms
        self.kill_at = None
        self.killed = False
        self.timed_out = False
        self.cancelled = False
        self.output_bytes = 0
        self.result_bytes = 0
        self.truncated = False

    def admit_result(self, size):
        """Results have a budget of their own (LIMITS["resultBytes"]): images are larger than text."""
        if self.result_bytes + size > LIMITS["resultBytes"]:
            self.truncated = True
            return False
        self.result_bytes += size
        return True

    def forward(self, name, text, size):
        if self.truncated:
            return
        if self.output_bytes + size > LIMITS["outputBytes"]:
            self.truncated = True
            room = max(0, LIMITS["outputBytes"] - self.output_bytes)
            text = text.encode()[:room].decode("utf-8", "ignore")
            size = room
        self.output_bytes += size
        if text:
            send({"id": self.id, "ev": name, "text": text})


class Process:
    """A child process group with piped stdout/stderr: base of kernels and commands."""

    def __init__(self, supervisor):
        self.supervisor = supervisor
        self.pid = None
        self.streams = []
        self.task = None
        self.status = None

    def watch_output(self, out_r, err_r):
        self.streams = [Stream(out_r, "stdout", self), Stream(err_r, "stderr", self)]
        for stream in self.streams:
            self.supervisor.watch(stream.fd, stream)

    def output(self, name, text, size):
        if self.task is not None:
            self.task.forward(name, text, size)

    def drain(self):
        for stream in self.streams:
            if not stream.read_available():
                self.supervisor.unwatch(stream.fd)

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            # No such group yet: the child has not reached its setsid, nor forked. Its pid is all there is, and it
            # holds the signal until its set-up is done (fork_holding_signals).
            try:
                os.kill(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        except PermissionError:
            pass

    def close_streams(self):
        for stream in self.streams:
            self.supervisor.unwatch(stream.fd)
            try:
                os.close(stream.fd)
            except OSError:
                pass
        self.streams = []


def exit_description(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.WEXITSTATUS(status), None


class Kernel(Process):
    """A stateful interpreter for one context. Requests go in on fd 3, events come back on fd 4."""

    def __init__(self, supervisor, name, language, cwd):
        super().__init__(supervisor)
        self.name = name
        self.language = language
        self.cwd = cwd
        self.execution_count = 0
        self.queue = []
        self.events = None
        self.request_fd = None
        self.events_fd = None
        self.start()

    def start(self):
        req_r, req_w = os.pipe()
        ev_r, ev_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = fork_holding_signals([req_r, req_w, ev_r, ev_w, out_r, out_w, err_r, err_w])
        if pid == 0:
            try:
                child_setup(out_w, err_w, [req_r, ev_w], self.cwd)
                if self.language == "python":
                    python_kernel.serve(3, 4)
                    os._exit(0)
                if self.language == "bash":
                    os.execv("/bin/bash", ["bash", "--noprofile", "--norc", os.path.join(KERNEL_DIR, "bash-kernel.sh")])
                node = CONFIG.get("node")
                if not node:
                    os.write(2, b"litmus: no Node.js runtime is mounted in this sandbox\n")
                    os._exit(127)
                args = [node, "--disable-warning=ExperimentalWarning", "--stack-size=984"]
                # V8 stops at its heap limit with a clear "heap out of memory" well before the cgroup kills it.
                heap_mb = max(16, LIMITS["memoryBytes"] * 3 // 4 >> 20)
                args.append("--max-old-space-size=%d" % heap_mb)
                args += [os.path.join(KERNEL_DIR, "js-kernel.mjs"), self.language]
                os.execv(node, args)
            except BaseException as error:  # noqa: BLE001 (report anything, then leave without cleanup)
                try:
                    os.write(2, ("litmus: kernel failed to start: %r\n" % (error,)).encode())
                finally:
                    os._exit(127)
        for fd in (req_r, ev_w, out_w, err_w):
            os.close(fd)
        self.pid = pid
        self.status = None
        self.request_fd = req_w
        self.events_fd = ev_r
        self.events = wire.LineBuffer(max_line=LIMITS["resultBytes"] + 65536)
        os.set_blocking(ev_r, False)
        self.supervisor.watch(ev_r, self)
        self.watch_output(out_r, err_r)
        self.supervisor.processes[pid] = self

    @property
    def alive(self):
        return self.status is None

    def submit(self, request_id, code, timeout_ms, envs=None):
        self.queue.append((request_id, code, timeout_ms, envs or {}))
        self.pump()

    def pump(self):
        if self.task is not None or not self.queue:
            return
        if not self.alive:
            self.restart()
        request_id, code, timeout_ms, envs = self.queue.pop(0)
        self.execution_count += 1
        self.task = Task(request_id, timeout_ms)
        if self.language == "bash":
            source = code.encode()
            # The cell's variables follow its code, each "NAME=value" ended by a NUL byte.
            variables = b"".join(("%s=%s" % item).encode() + b"\0" for item in envs.items())
            payload = b"%d %d %d\n" % (self.execution_count, len(source), len(envs)) + source + variables
        else:
            payload = (wire.dumps({"code": code, "n": self.execution_count, "envs": envs}) + "\n").encode()
        try:
            wire.write_all(self.request_fd, payload)
        except OSError:
            pass  # the kernel died; its exit is reported by reap()

    def restart(self):
        self.close()
        self.start()

    def read_available(self):
        """Events from the kernel on fd 4."""
        while True:
            try:
                chunk = os.read(self.events_fd, READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.supervisor.unwatch(self.events_fd)
                break
            for event in self.events.feed(chunk):
                self.on_event(event)
        return True

    def on_event(self, event):
        task = self.task
        # Events come from the kernel, where user code runs and can write anything on this pipe: an event of
        # another cell (a stale one, or one written by the cell's own code ahead of the real one) is dropped.
        if task is None or not isinstance(event, dict) or event.get("n") != self.execution_count:
            return
        kind = event.get("ev")
        if kind == "result":
            self.drain()  # output printed before the value was produced goes out first
            line = (wire.dumps({"id": task.id, "ev": "result", "result": event.get("result")}, lenient=True) + "\n").encode()
            if task.admit_result(len(line)):
                wire.write_all(1, line)
        elif kind == "done":
            self.drain()
            exit_code = event.get("exitCode", 0)
            error = event.get("error")
            if not isinstance(exit_code, int) or isinstance(exit_code, bool):
                exit_code = 1
            if error is not None and not (
                isinstance(error, dict) and all(isinstance(error.get(key), str) for key in ("name", "value", "traceback"))
            ):
                error = {"name": "KernelProtocolError", "value": "the kernel sent a malformed result", "traceback": ""}
            if self.language == "bash" and exit_code != 0:
                error = exit_status_error(exit_code)
            self.finish(error, exit_code, exited=event.get("exited") is True)

    def finish(self, error, exit_code, signal_number=None, exited=False):
        task = self.task
        self.task = None
        if task.timed_out or task.cancelled:
            error = timeout_error(task) if task.timed_out else {"name": "Cancelled", "value": "execution was cancelled", "traceback": ""}
            if exit_code == 0:
                exit_code = 1
        send({
            "id": task.id,
            "ev": "done",
            "error": error,
            "exitCode": exit_code,
            "exited": exited,
            "signal": signal_number,
            "executionCount": self.execution_count,
            "timedOut": task.timed_out,
            "truncated": task.truncated,
            "durationMs": now_ms() - task.started_ms,
        })
        self.pump()

    def exited(self, status):
        """The kernel process ended (reaped by the supervisor)."""
        self.status = status
        self.drain()
        code, sig = exit_description(status)
        if self.task is not None:
            if sig is not None:
                value = "the %s kernel was killed by signal %d" % (self.language, sig)
                if sig == signal.SIGXCPU:
                    value += " (CPU time limit is %ss per process)" % LIMITS.get("cpuSeconds")
            elif self.language == "bash":
                # `exit N` in a shell cell is an ordinary way to finish a script, not a crash.
                self.finish(exit_status_error(code) if code else None, code)
                return
            else:
                value = "the %s kernel exited with code %d" % (self.language, code)
            error = {"name": "KernelExited", "value": value + "; the context restarts empty on the next run", "traceback": ""}
            self.finish(error, code, sig)

    def close(self):
        if self.alive and self.pid:
            self.signal_group(signal.SIGKILL)
        # Forget the old process: when it is reaped it must not be mistaken for the restarted kernel.
        self.supervisor.processes.pop(self.pid, None)
        if self.task is not None:
            task, self.task = self.task, None
            send({"id": task.id, "ev": "done", "exitCode": 1, "executionCount": self.execution_count,
                  "error": {"name": "ContextRestarted", "value": "the context was restarted or removed while this ran", "traceback": ""}})
        self.supervisor.unwatch(self.events_fd)
        for fd in (self.request_fd, self.events_fd):
            try:
                os.close(fd)
            except (OSError, TypeError):
                pass
        self.close_streams()


class Command(Process):
    """`commands.run`: a bash -c process with streamed output and an exit code, and, if asked, a stdin of its
    own that the host writes to. Its pid (in the sandbox) is sent as soon as it runs."""

    def __init__(self, supervisor, request_id, cmd, cwd, envs, timeout_ms, stdin=False):
        super().__init__(supervisor)
        self.task = Task(request_id, timeout_ms)
        self.config = {"cmd": cmd, "cwd": cwd or HOME, "envs": envs or {}}
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, self.stdin = os.pipe() if stdin else (None, None)
        env = dict(os.environ)
        env.update(envs or {})
        pid = fork_holding_signals([out_r, out_w, err_r, err_w, in_r, self.stdin])
        if pid == 0:
            try:
                child_setup(out_w, err_w, [], cwd or HOME, stdin_fd=in_r)
                os.execve("/bin/bash", ["bash", "-c", cmd], env)
            except BaseException as error:  # noqa: BLE001
                os.write(2, ("litmus: command failed to start: %r\n" % (error,)).encode())
                os._exit(127)
        for fd in (out_w, err_w, in_r):
            if fd is not None:
                os.close(fd)
        if self.stdin is not None:
            # Never block the supervisor on a process that does not read its input.
            os.set_blocking(self.stdin, False)
            os.set_inheritable(self.stdin, False)
        self.pid = pid
        self.watch_output(out_r, err_r)
        supervisor.processes[pid] = self
        send({"id": request_id, "ev": "started", "pid": pid})

    def write_stdin(self, data):
        if self.stdin is None:
            raise ValueError("process %d has no stdin of its own: start it with stdin" % self.pid)
        try:
            written = os.write(self.stdin, data)
        except BlockingIOError:
            written = 0
        if written < len(data):
            raise ValueError("process %d is not reading its input fast enough; %d bytes were not sent" % (self.pid, len(data) - written))

    def close_stdin(self):
        if self.stdin is not None:
            os.close(self.stdin)
            self.stdin = None

    def exited(self, status):
        self.status = status
        self.drain()
        self.close_streams()
        self.close_stdin()
        code, sig = exit_description(status)
        task = self.task
        self.task = None
        error = None
        if task.timed_out:
            error = timeout_error(task)
        send({
            "id": task.id,
            "ev": "done",
            "error": error,
            "exitCode": code,
            "signal": sig,
            "timedOut": task.timed_out,
            "truncated": task.truncated,
            "durationMs": now_ms() - task.started_ms,
        })


def exit_status_error(code):
    return {"name": "NonZeroExit", "value": "exited with status %d" % code, "traceback": ""}


def timeout_error(task):
    return {
        "name": "TimeoutError",
        "value": "execution exceeded its %d ms time limit and was stopped" % task.timeout_ms,
        "traceback": "",
    }


def open_regular(path, flags):
    """Opens a regular file without ever blocking the supervisor: a FIFO or device planted by user code
    (O_NONBLOCK makes opening a FIFO return at once) is refused instead of read."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("%s is not a regular file" % path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb" if flags == os.O_RDONLY else "wb")
    except BaseException:
        os.close(fd)
        raise


def resolve_path(path):
    return os.path.normpath(os.path.join(HOME, path or "."))


def entry_info(path):
    """What envd tells of a file: its type (a link's is its target's; "symlink" for a link to nothing), size,
    permission bits and their `ls -l` form, owner and group by name, modification time (of the entry itself),
    and a link's target as an absolute path."""
    info = os.lstat(path)
    mode = info.st_mode
    kind = "dir" if stat.S_ISDIR(mode) else "file"
    if stat.S_ISLNK(mode):
        try:
            kind = "dir" if stat.S_ISDIR(os.stat(path).st_mode) else "file"
        except OSError:
            kind = "symlink"
    entry = {
        "name": os.path.basename(path) or path,
        "path": path,
        "type": kind,
        "size": info.st_size,
        "mode": stat.S_IMODE(mode),
        "permissions": stat.filemode(mode),
        "owner": _user_name(info.st_uid),
        "group": _group_name(info.st_gid),
        "modifiedTime": info.st_mtime_ns // 1000000,
    }
    metadata = _metadata(path)
    if metadata:
        entry["metadata"] = metadata
    if stat.S_ISLNK(mode):
        entry["symlinkTarget"] = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))
    return entry


# Where a file's metadata is kept, as envd keeps it: one extended attribute per key.
METADATA_XATTR = "user.e2b."


def _metadata(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    metadata = {}
    for name in names:
        if name.startswith(METADATA_XATTR):
            try:
                value = os.getxattr(path, name, follow_symlinks=False)
            except OSError:
                continue
            metadata[name[len(METADATA_XATTR):]] = value.decode(errors="replace")
    return metadata


def list_tree(directory, depth):
    """The entries of a directory and, `depth` levels down, of its subdirectories (links are not followed)."""
    entries = []
    with os.scandir(directory) as it:
        for found in it:
            entries.append(entry_info(found.path))
            if depth > 1 and found.is_dir(follow_symlinks=False):
                entries += list_tree(found.path, depth - 1)
    return entries


def _user_name(uid):
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


class DirectoryWatch:
    """A `files.watch` request: events stream while it lasts; cancelling it ends it."""

    def __init__(self, supervisor, request_id, path, recursive, include_entry):
        self.supervisor = supervisor
        self.request_id = request_id
        self.include_entry = include_entry
        self.watcher = watcher.Watcher(path, recursive)
        supervisor.watch(self.watcher.fd, self)
        supervisor.watches[request_id] = self
        send({"id": request_id, "ev": "watching"})

    def read_available(self):
        for name, kind in self.watcher.events():
            event = {"id": self.request_id, "ev": "watch", "name": name, "type": kind}
            if self.include_entry:
                try:
                    event["entry"] = entry_info(os.path.join(self.watcher.top, name))
                except OSError:
                    pass  # gone already (removed, renamed away)
            send(event)
        return True

    def stop(self):
        self.supervisor.unwatch(self.watcher.fd)
        self.supervisor.watches.pop(self.request_id, None)
        self.watcher.close()
        send({"id": self.request_id, "ev": "done"})


class Supervisor:
    def __init__(self):
        self.watches = {}
        self.poller = select.poll()
        self.watched = {}
        self.processes = {}
        self.kernels = {}
        prctl.set_dumpable(False)
        self.requests = wire.LineBuffer()
        self.wake_r = children.wake_on_child_exit()
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        for sig in IGNORED_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        self.poller.register(0, select.POLLIN)
        self.poller.register(self.wake_r, select.POLLIN)

    def watch(self, fd, owner):
        self.watched[fd] = owner
        self.poller.register(fd, select.POLLIN)

    def unwatch(self, fd):
        if fd in self.watched:
            del self.watched[fd]
            self.poller.unregister(fd)

    # -- requests from the host --------------------------------------------------------------------

    def handle(self, request):
        request_id = request.get("id")
        op = request.get("op")
        try:
            if op == "exec":
                kernel = self.kernels.get(request.get("context") or "default")
                if kernel is None:
                    raise LookupError("no context named %r" % request.get("context"))
                kernel.submit(request_id, request["code"], request.get("timeoutMs"), request.get("envs"))
            elif op == "context.create":
                name = self.create_context(request["language"], request.get("cwd") or HOME, request.get("name"))
                send({"id": request_id, "ev": "done", "context": name})
            elif op == "context.restart":
                self.kernels[request["context"]].restart()
                send({"id": request_id, "ev": "done"})
            elif op == "context.remove":
                kernel = self.kernels.pop(request["context"])
                for queued_id, *_ in kernel.queue:
                    send({"id": queued_id, "ev": "failed", "name": "LookupError", "message": "the context was removed"})
                kernel.queue = []
                kernel.close()
                send({"id": request_id, "ev": "done"})
            elif op == "cancel":
                for process in list(self.processes.values()):
                    if process.task is not None and process.task.id == request["target"]:
                        process.task.cancelled = True
                        self.interrupt(process)
                directory_watch = self.watches.get(request["target"])
                if directory_watch is not None:
                    directory_watch.stop()
                send({"id": request_id, "ev": "done"})
            elif op == "files.watch":
                DirectoryWatch(self, request_id, resolve_path(request.get("path")), bool(request.get("recursive")),
                               bool(request.get("includeEntry")))
            elif op == "command":
                Command(self, request_id, request["cmd"], request.get("cwd"), request.get("envs"), request.get("timeoutMs"),
                        stdin=bool(request.get("stdin")))
            elif op == "command.list":
                commands = [process for process in self.processes.values() if isinstance(process, Command) and process.task]
                send({"id": request_id, "ev": "done",
                      "processes": [dict(process.config, pid=process.pid) for process in commands]})
            elif op in ("command.input", "command.close-stdin", "command.signal"):
                command = self.processes.get(request.get("pid"))
                if not isinstance(command, Command) or command.task is None:
                    raise LookupError("no running command with pid %r" % request.get("pid"))
                if op == "command.input":
                    command.write_stdin(binascii.a2b_base64(request["data"]))
                elif op == "command.close-stdin":
                    command.close_stdin()
                elif request.get("signal") == "kill":
                    # Gone when the answer comes (not a zombie `kill -0` still finds): SIGKILL ends it at once,
                    # unless it is stuck in the kernel (uninterruptible I/O); then it is reaped when it ends, and
                    # this loop, which serves every request of the sandbox, waits no more than a second for it.
                    command.signal_group(signal.SIGKILL)
                    deadline = time.monotonic() + 1.0
                    try:
                        while time.monotonic() < deadline:
                            pid, status = os.waitpid(command.pid, os.WNOHANG)
                            if pid:
                                self.child_exited(pid, status)
                                break
                            time.sleep(0.002)
                    except ChildProcessError:
                        pass  # reaped already
                else:
                    command.signal_group(signal.SIGTERM)
                send({"id": request_id, "ev": "done"})
            elif op.startswith("files."):
                send(dict(self.files(op, request), id=request_id, ev="done"))
            elif op == "ping":
                send({"id": request_id, "ev": "done"})
            elif op == "reset":
                self.reset()
                send({"id": request_id, "ev": "done"})
            else:
                raise ValueError("unknown operation %r" % op)
        except Exception as error:  # noqa: BLE001 (every failure goes back to the host as a reply)
            send({"id": request_id, "ev": "failed", "name": type(error).__name__, "message": str(error)})

    def reset(self):
        """Back to a fresh sandbox: every process but this one killed (background ones that left their
        kernel's process group included), every context gone but a new default one, and the workspace, /tmp
        and /dev/shm emptied. Nothing one user of the sandbox left can then reach the next (benchmark lanes)."""
        for directory_watch in list(self.watches.values()):
            directory_watch.stop()
        for kernel in self.kernels.values():
            for queued_id, *_ in kernel.queue:
                send({"id": queued_id, "ev": "failed", "name": "LookupError", "message": "the sandbox was reset"})
            kernel.queue = []
            kernel.close()
        self.kernels = {}
        # This supervisor is the PID namespace's init: kill(-1) reaches every other process in it, in one step
        # the kernel takes under its task list lock, so nothing forks its way out between a scan and a kill.
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing else was running
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            self.child_exited(pid, status)
        for directory in (HOME, "/tmp", "/dev/shm"):
            empty_directory(directory)
        self.create_context(CONFIG.get("defaultLanguage", "python"), HOME, "default")

    def create_context(self, language, cwd, name=None):
        if language not in ("python", "javascript", "typescript", "bash"):
            raise ValueError("unsupported language %r" % language)
        if name is None:
            # Unique beyond this sandbox too (like E2B's kernel ids): an id another sandbox gave out names nothing here.
            name = "ctx-%s" % os.urandom(8).hex()
        self.kernels[name] = Kernel(self, name, language, cwd)
        return name

    def files(self, op, request):
        path = resolve_path(request.get("path"))
        if op == "files.write":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) as f:
                f.write(binascii.a2b_base64(request["data"]))
                f.flush()
                # A file written anew has the metadata of this write only, and envd's permissions (a watch
                # sees the change, as envd's does: created, written, its mode set).
                for name in os.listxattr(f.fileno()):
                    if name.startswith(METADATA_XATTR):
                        os.removexattr(f.fileno(), name)
                for key, value in (request.get("metadata") or {}).items():
                    os.setxattr(f.fileno(), METADATA_XATTR + key, value.encode())
                os.fchmod(f.fileno(), 0o644)
            return {"path": path}
        if op == "files.read":
            with open_regular(path, os.O_RDONLY) as f:
                data = f.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise ValueError("%s is larger than %d MiB; read it in parts with commands.run" % (path, MAX_FILE_BYTES >> 20))
            return {"data": binascii.b2a_base64(data, newline=False).decode()}
        if op == "files.list":
            entries = list_tree(path, max(1, int(request.get("depth") or 1)))
            entries.sort(key=lambda e: e["path"])
            return {"entries": entries}
        if op == "files.stat":
            return {"entry": entry_info(path)}
        if op == "files.rename":
            destination = resolve_path(request.get("destination"))
            os.rename(path, destination)
            return {"entry": entry_info(destination)}
        if op == "files.remove":
            remove_tree(path)
            return {}
        if op == "files.mkdir":
            os.makedirs(path, exist_ok=True)
            return {}
        if op == "files.exists":
            return {"exists": os.path.lexists(path)}
        raise ValueError("unknown operation %r" % op)

    # -- timeouts and children ---------------------------------------------------------------------

    def interrupt(self, process):
        if process.task is None or process.task.kill_at is not None:
            return
        process.signal_group(signal.SIGINT)
        process.task.kill_at = now_ms() + LIMITS["graceMs"]

    def check_deadlines(self):
        current = now_ms()
        for process in list(self.processes.values()):
            task = process.task
            if task is None:
                continue
            if task.kill_at is None and current >= task.interrupt_at:
                task.timed_out = True
                self.interrupt(process)
            elif task.kill_at is not None and not task.killed and current >= task.kill_at:
                process.signal_group(signal.SIGKILL)
                task.killed = True

    def next_deadline_ms(self):
        deadlines = []
        for process in self.processes.values():
            task = process.task
            if task is not None and not task.killed:
                deadlines.append(task.interrupt_at if task.kill_at is None else task.kill_at)
        if not deadlines:
            return None
        return max(0, min(deadlines) - now_ms())

    def child_exited(self, pid, status):
        process = self.processes.pop(pid, None)
        if process is not None:
            process.exited(status)

    def read_requests(self):
        try:
            chunk = os.read(0, READ_CHUNK)
        except InterruptedError:
            return True
        if not chunk:
            return False
        for request in self.requests.feed(chunk):
            self.handle(request)
        return True

    def run(self):
        preload(CONFIG.get("preload", []))
        self.create_context(CONFIG.get("defaultLanguage", "python"), HOME, "default")
        send({"ev": "ready", "pid": os.getpid()})
        while True:
            timeout = self.next_deadline_ms()
            try:
                events = self.poller.poll(timeout)
            except InterruptedError:
                events = []
            for fd, _ in events:
                if fd == 0:
                    if not self.read_requests():
                        return  # the host closed the channel: the sandbox ends
                elif fd == self.wake_r:
                    children.drain(self.wake_r)
                else:
                    owner = self.watched.get(fd)
                    if owner is not None and not owner.read_available():
                        self.unwatch(fd)
            children.reap(self.child_exited)
            self.check_deadlines()


def preload(modules):
    """Imports (or defines from source) modules before any kernel forks, so every kernel has them for free."""
    for module in modules:
        name, source = module["name"], module.get("source")
        if source is None:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 (a module this Python lacks is the code's problem, not ours)
                pass
            continue
        namespace = type(sys)(name)
        exec(compile(source, "<%s>" % name, "exec"), namespace.__dict__)  # noqa: S102 (litmus's own harness)
        sys.modules[name] = namespace


def empty_directory(path):
    """Removes everything in `path`, whatever its permissions: a directory its owner made unreadable is
    opened up first (the sandbox's user owns everything it could create here)."""
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return
    for name in names:
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            os.chmod(full, 0o700)
            empty_directory(full)
            os.rmdir(full)
        else:
            os.unlink(full)


def remove_tree(path):
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path, topdown=False):
            for name in files:
                os.unlink(os.path.join(root, name))
            for name in dirs:
                full = os.path.join(root, name)
                if os.path.islink(full):
                    os.unlink(full)
                else:
                    os.rmdir(full)
        os.rmdir(path)
    else:
        os.unlink(path)


if __name__ == "__main__":
    configure(wire.loads(sys.argv[1]))
    if CONFIG.get("codeCgroup"):
        os.dup2(DIRECT_CODE_CGROUP_FD, CODE_CGROUP_FD, inheritable=False)
    os.closerange(3, CODE_CGROUP_FD)  # the code cgroup's original and bubblewrap's seccomp descriptor
    Supervisor().run()

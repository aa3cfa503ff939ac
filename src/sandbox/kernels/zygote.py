"""litmus zygote: a pre-initialised template that forks fresh sandboxes in milliseconds.

It runs as PID 1 of a bubblewrap sandbox that has no user code in it and keeps capabilities inside its own
user namespace. The host connects to its Unix socket once per new sandbox and sends one JSON line (the
sandbox's id, config, environment and cgroups). The zygote forks; the child joins the sandbox's cgroups,
enters new namespaces (sandbox_init.py), forks the new PID namespace's init, and that process drops every
capability and becomes the sandbox's supervisor, talking to the host over the connection it was handed.

Host control on stdin/stdout (JSON lines): {"op": "kill", "sandboxId"} in; {"ev": "ready"} out.
"""

import os
import select
import _signal as signal  # the C module: `signal` itself imports enum, 4 ms of start-up
import socket
import sys

KERNEL_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, KERNEL_DIR)

import children  # noqa: E402
import notebook  # noqa: E402
import prctl  # noqa: E402
import sandbox_init  # noqa: E402
import supervisor  # noqa: E402  (imports the Python kernel too: every sandbox starts warm)
import wire  # noqa: E402

SOCKET_PATH = "/.litmus/run/zygote.sock"
REQUEST_LIMIT = 1 << 20


def read_request(connection):
    """The spawn request: one JSON line, sent by the host right after connecting."""
    connection.settimeout(5)
    data = b""
    while b"\n" not in data:
        chunk = connection.recv(65536)
        if not chunk or len(data) > REQUEST_LIMIT:
            raise ValueError("incomplete spawn request")
        data += chunk
    connection.settimeout(None)
    return wire.loads(data.split(b"\n", 1)[0])


def open_code_cgroup(path, host_uid):
    """The code cgroup's cgroup.procs, opened now while the cgroup directories are in view (the supervisor
    hands it to each child it starts, which moves itself in). cgroup v1 lets a descriptor move a process only
    if its opener had the process's uid: opened as the sandbox's host uid where it has one of its own."""
    if host_uid is None:
        return os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    own = os.geteuid()
    os.seteuid(host_uid)
    try:
        return os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    finally:
        os.seteuid(own)
        # A change of uid makes a process undumpable, and the zygote could then no longer write its uid map.
        prctl.set_dumpable(True)


def run_sandbox(connection, request, report_fd, go_fd):
    """In the forked child: set up the namespaces, fork the sandbox's init, report its pid, leave.

    Reports to the zygote are lines on `report_fd`: "map <host uid>" (then wait for a byte on `go_fd`), and
    finally "<init pid> <sandbox id>"."""
    config = request["config"]
    host_uid = request.get("hostUid")

    def map_by_zygote():
        os.write(report_fd, b"map %d %d\n" % (request["uid"], host_uid))
        if os.read(go_fd, 1) != b"1":
            raise OSError("the zygote did not map the user namespace")

    sandbox_init.join_cgroups(request["cgroupProcs"])
    code_cgroup = request.get("codeCgroupProcs")
    code_cgroup_fd = open_code_cgroup(code_cgroup, host_uid) if code_cgroup else None
    sandbox_init.enter_namespaces(
        request["uid"],
        request["diskBytes"],
        config["home"],
        request["network"],
        map_by_zygote if host_uid is not None else None,
    )
    init_pid = os.fork()
    if init_pid != 0:
        os.write(report_fd, ("%d %s\n" % (init_pid, request["sandboxId"])).encode())
        os._exit(0)
    os.close(report_fd)
    try:
        sandbox_init.become_init(request["uid"])
        # detach(): the socket object must not close its fd number later, when it may belong to something else.
        channel_fd = connection.detach()
        os.dup2(channel_fd, 0)
        os.dup2(channel_fd, 1)
        if code_cgroup_fd is not None and code_cgroup_fd != supervisor.CODE_CGROUP_FD:
            os.dup2(code_cgroup_fd, supervisor.CODE_CGROUP_FD, inheritable=False)
        os.closerange(3, supervisor.CODE_CGROUP_FD)
        os.closerange(supervisor.CODE_CGROUP_FD + 1, 65536)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(config["home"])
        supervisor.configure(config)
    except BaseException as error:  # noqa: BLE001 (the host hears why, on the sandbox's own channel)
        wire.send({"ev": "start-failed", "message": "sandbox set-up failed: %r" % (error,)}, fd=1 if connection.fileno() < 0 else connection.fileno())
        os._exit(1)
    supervisor.Supervisor().run()
    os._exit(0)


class Spawn:
    """A sandbox being set up by a forked child."""

    def __init__(self, connection, pid, go_fd):
        self.connection = connection
        self.pid = pid
        self.go_fd = go_fd
        self.report = b""
        self.outcome = None  # the child's last report: "<init pid> <sandbox id>" or "error: ..."


class Zygote:
    def __init__(self):
        self.sandboxes = {}  # init pid (in the zygote's PID namespace) -> sandbox id
        self.by_id = {}
        self.pending = {}  # report pipe fd -> (connection, request) of a sandbox being set up
        self.poller = select.poll()
        self.control = wire.LineBuffer()
        self.wake_r = children.wake_on_child_exit()
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        if os.path.exists(SOCKET_PATH):
            os.unlink(SOCKET_PATH)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(SOCKET_PATH)
        self.listener.listen(128)

    def spawn(self, connection):
        """Forks at once: the child reads the request itself, so the zygote never holds a sandbox's
        environment or config in its memory, which every later fork would inherit."""
        report_r, report_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(report_r)
                os.close(go_w)
                self.forget_others()
                request = read_request(connection)
                run_sandbox(connection, request, report_w, go_r)
            except BaseException as error:  # noqa: BLE001 (anything that stops a sandbox is reported)
                try:
                    os.write(report_w, ("error: %s\n" % error).encode())
                finally:
                    os._exit(1)
        os.close(report_w)
        os.close(go_r)
        # The child reports as it sets up. Joining a cgroup can wait for an RCU grace period, so the zygote
        # never blocks on a child: other spawns go on meanwhile.
        self.pending[report_r] = Spawn(connection, pid, go_w)
        self.poller.register(report_r, select.POLLIN)

    def forget_others(self):
        """In a forked child: drop the zygote's listener, other spawns' connections and the sandbox table."""
        self.listener.close()
        for spawn in self.pending.values():
            spawn.connection.detach()  # its fd is closed with the rest; the object must not close a reused number
        self.pending.clear()
        self.sandboxes.clear()
        self.by_id.clear()

    def on_report(self, report_fd):
        spawn = self.pending[report_fd]
        chunk = os.read(report_fd, 4096)
        spawn.report += chunk
        while b"\n" in spawn.report:
            line, spawn.report = spawn.report.split(b"\n", 1)
            self.handle_report(spawn, line.decode(errors="replace"))
        if not chunk:
            self.finish_spawn(report_fd)

    def handle_report(self, spawn, line):
        fields = line.split(" ")
        if fields[0] == "map" and len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
            try:
                sandbox_init.map_user_namespace(spawn.pid, int(fields[1]), int(fields[2]))
                os.write(spawn.go_fd, b"1")
            except OSError as error:
                spawn.outcome = "error: cannot map the sandbox's user namespace: %s" % error
                os.write(spawn.go_fd, b"0")
        else:
            spawn.outcome = line

    def finish_spawn(self, report_fd):
        spawn = self.pending.pop(report_fd)
        self.poller.unregister(report_fd)
        os.close(report_fd)
        os.close(spawn.go_fd)
        fields = (spawn.outcome or "").split(" ")
        if len(fields) != 2 or not fields[0].isdigit():
            message = spawn.outcome or "the sandbox did not start"
            self.refuse(spawn.connection, message[7:] if message.startswith("error: ") else message)
            return
        init_pid, sandbox_id = int(fields[0]), fields[1]
        self.sandboxes[init_pid] = sandbox_id
        self.by_id[sandbox_id] = init_pid
        spawn.connection.close()

    def refuse(self, connection, message):
        try:
            wire.send({"ev": "start-failed", "message": message}, fd=connection.fileno())
        except OSError:
            pass
        connection.close()

    def handle(self, request):
        if request.get("op") == "kill":
            pid = self.by_id.get(request.get("sandboxId"))
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def child_exited(self, pid, _status):
        sandbox_id = self.sandboxes.pop(pid, None)
        if sandbox_id is not None:
            self.by_id.pop(sandbox_id, None)

    def read_control(self):
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        for request in self.control.feed(chunk):
            self.handle(request)
        return True

    def run(self):
        poller = self.poller
        poller.register(0, select.POLLIN)
        poller.register(self.listener.fileno(), select.POLLIN)
        poller.register(self.wake_r, select.POLLIN)
        wire.send({"ev": "ready"})
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                events = []
            for fd, _ in events:
                if fd == 0:
                    if not self.read_control():
                        return  # the host went away: every sandbox goes with this PID namespace
                elif fd == self.listener.fileno():
                    connection, _ = self.listener.accept()
                    self.spawn(connection)
                elif fd in self.pending:
                    self.on_report(fd)
                else:
                    children.drain(self.wake_r)
            children.reap(self.child_exited)


if __name__ == "__main__":
    sandbox_init.uncover_proc()
    sandbox_init.limit_template_inotify()
    zygote = Zygote()  # binds the listener first: preparing the template unmounts its directory
    sandbox_init.prepare_template()
    notebook.preload()
    zygote.run()

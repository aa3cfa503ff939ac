"""Turns a process forked from the zygote into a fresh, isolated sandbox.

The zygote runs inside a bubblewrap "template" sandbox and keeps capabilities there, so a fork of it can set
up new namespaces itself: a new user namespace (its own uid mapping, keyrings and limits, with no further
user namespaces allowed), new mount, PID, network, IPC, UTS and cgroup namespaces, fresh size-bounded tmpfs
for the workspace, /tmp and /dev/shm, a new devpts and /proc, and then every capability is dropped for good
before any user code runs. This costs a few milliseconds instead of a bubblewrap plus interpreter start.
"""

import ctypes
import fcntl
import os
import socket
import struct

_libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_MOVE = 0x2000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, "%s: %s" % (what, os.strerror(error)))


def _mount(source, target, fstype, flags, options=None):
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            options.encode() if options else None,
        ),
        "mount %s" % target,
    )


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def join_cgroups(procs_files):
    """Moves this process into the sandbox's cgroups (memory, pids) before anything else runs."""
    for path in procs_files:
        _write(path, "0")


def _loopback_up():
    """A new network namespace starts with `lo` down; the sandbox gets a working loopback of its own."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


MNT_DETACH = 2
# inotify instances are counted per user at every level of nested user namespaces, up to the host user's
# budget (fs.inotify.max_user_instances, 128 by default) that every program of that user shares. A sandbox may
# hold 8 (a process's file watcher needs one: libuv and watchdog take one each); the sandboxes of one template
# 96 together, so that sandboxes never take the host user's last ones.
INOTIFY_INSTANCES_PER_SANDBOX = 8
INOTIFY_INSTANCES_PER_TEMPLATE = 96
# What bubblewrap covers with read-only mounts in a /proc it mounts, where its user can write them.
BWRAP_PROC_COVERS = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")


def uncover_proc():
    """In the zygote, once: removes bubblewrap's covers from the template's /proc (run by root, it covers
    sysrq-trigger). In a sandbox's user namespace they would be locked mounts over non-empty entries, and the
    kernel would refuse the sandbox a /proc of its own (mount_too_revealing). No user code runs here, each
    sandbox's own /proc hides this one, and sandboxes never run as a host uid that owns these entries."""
    with open("/proc/self/mountinfo") as f:
        covered = {line.split(" ")[4] for line in f} & set(BWRAP_PROC_COVERS)
    for path in covered:
        _check(_libc.umount2(path.encode(), MNT_DETACH), "umount %s" % path)


def limit_template_inotify():
    """In the template (the zygote's user namespace): what all its sandboxes may hold together."""
    _write("/proc/sys/user/max_inotify_instances", str(INOTIFY_INSTANCES_PER_TEMPLATE))


def enter_namespaces(uid, disk_bytes, home, network, map_by_zygote=None):
    """In the forked child (still in the zygote's PID namespace): everything but the new PID namespace's init.

    The new user namespace maps `uid` either onto the zygote's own uid (written here), or, when the zygote
    holds a range of host uids, onto the sandbox's own host uid: only the zygote, in the parent namespace,
    may write that map, so `map_by_zygote()` asks it to and waits.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare mount namespace")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    isolate_shared_mounts()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare user namespace")
    if map_by_zygote is not None:
        map_by_zygote()
    else:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
        _write("/proc/self/gid_map", "%d %d 1" % (uid, uid))
    # Code in this sandbox may not create user namespaces of its own.
    _write("/proc/sys/user/max_user_namespaces", "0")
    # A share of the template's inotify budget each, so one sandbox cannot break inotify in all the others.
    _write("/proc/sys/user/max_inotify_instances", str(INOTIFY_INSTANCES_PER_SANDBOX))
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    if not network:
        flags |= CLONE_NEWNET
    _check(_libc.unshare(flags), "unshare namespaces")
    if not network:
        _loopback_up()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    size = "size=%d" % disk_bytes
    _mount("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV, "%s,mode=0700,uid=%d,gid=%d" % (size, uid, uid))
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, size + ",mode=1777")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, size + ",mode=1777")
    _mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
    # What is left of the set-up (the cgroup directories, the overlays' empty layer) disappears from view.
    _mount("tmpfs", "/.litmus", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")


# Filesystems of the template that hold no host files. Host files may be on any other type, tmpfs and overlay
# included (a /tmp in memory; litmus itself in a container).
NOT_HOST_FILES = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "mqueue"}
# Where the template has mounts of its own: its root and /dev (bwrap's tmpfs), /proc, its control directory.
NOT_HOST_PATHS = ("/proc", "/dev", "/.litmus")
CONTROL = "/.litmus"
CONTROL_RUN = CONTROL + "/run"
# Directories bwrap makes in the template (bwrap-args.ts): an empty lower layer for overlays, and a mount point
# to build an overlay on before it is moved into place.
EMPTY = CONTROL + "/empty"
STAGING = CONTROL + "/staging"
# Copied into the template's memory once (prepare_template): small, and otherwise a bind per file.
COPIED_INTO_TEMPLATE = ("/etc", "/opt/litmus/kernels")
# Where each sandbox puts an overlay, listed once by the zygote: every sandbox forked from it has the list.
OVERLAID = []
SHARED_FLAGS = MS_RDONLY | MS_NOSUID | MS_NODEV


def prepare_template():
    """In the zygote, once, after its listener is bound: what every sandbox would otherwise undo for itself.

    /etc (a bind per file and per directory, some from litmus's temporary files) and the kernels directory
    become copies in the template's memory, and the binds they came from are unmounted. A bind whose source is
    elsewhere on the host (node's directory, a template) is replaced by an overlay of it, and the control
    socket's directory (a host temporary directory; the listener stays bound) is unmounted: /proc/self/mountinfo
    lists covered mounts too, with their host paths. Each sandbox then needs only one overlay per shared
    directory, and no unmount (each waits for an RCU grace period)."""
    global OVERLAID
    for directory in COPIED_INTO_TEMPLATE:
        if not os.path.isdir(directory):
            continue
        tree = _read_tree(directory)
        for target in reversed([t for t in _mount_points_below(directory)] + _mounted_at(directory)):
            _unmount(target)
        _mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755")
        _write_tree(directory, tree)
        _mount(None, directory, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    if CONTROL_RUN in _mount_points_below(CONTROL):
        _unmount(CONTROL_RUN)
    shared = _shared_mounts()
    targets = [target for target, _ in shared]
    for target, names_host_path in shared:
        if names_host_path and _overlaid(target, targets):
            # Built aside over the bind, which then goes (the overlay keeps its own reference to it).
            _mount("overlay", STAGING, "overlay", SHARED_FLAGS, _layers(target))
            _unmount(target)
            _mount(STAGING, target, None, MS_MOVE)
    OVERLAID = [target for target in targets if _overlaid(target, targets)]


def _read_tree(top):
    """Every directory, regular file (its bytes) and symbolic link under `top`, parents first."""
    entries = []
    for root, directories, files in os.walk(top):
        for name in directories + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            relative = os.path.relpath(path, top)
            if os.path.islink(path):
                entries.append(("link", relative, os.readlink(path), 0))
            elif os.path.isdir(path):
                entries.append(("dir", relative, None, info.st_mode & 0o7777))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    entries.append(("file", relative, f.read(), info.st_mode & 0o7777))
    return entries


def _write_tree(top, entries):
    for kind, relative, data, mode in entries:
        path = os.path.join(top, relative)
        if kind == "dir":
            os.mkdir(path)
            os.chmod(path, mode)
        elif kind == "link":
            os.symlink(data, path)
        else:
            with open(path, "xb") as f:
                f.write(data)
                os.fchmod(f.fileno(), mode)  # whatever this process's umask


def isolate_shared_mounts():
    """In a mount namespace of its own, still in the template's user namespace (where the template's mounts are
    not locked): the host's read-only directories become the sandbox's own.

    inotify reports events per inode, and every sandbox of the template saw the same inodes through the
    template's mounts: a watch on /usr or /etc/ld.so.cache saw the other sandboxes' imports and program starts.
    Each shared directory gets an overlay of its own (new inodes over the same files; the page cache stays
    shared). A few mounts each: every mount also costs at the sandbox's end."""
    for target in OVERLAID:
        _mount("overlay", target, "overlay", SHARED_FLAGS, _layers(target))


def _overlaid(target, shared_targets):
    """Whether a shared mount gets an overlay. A directory with other shared mounts below it is left as it is
    (an overlay would hide them; the template has none). A file bound on its own (node's binary, where its
    directory holds other programs) stays shared."""
    return os.path.isdir(target) and not any(other.startswith(target.rstrip("/") + "/") for other in shared_targets)


def _layers(target):
    return "lowerdir=%s:%s" % (_overlay_path(target), EMPTY)


def _unmount(target):
    """Unmounts at once where nothing uses the mount; lazily (0.6 ms: the kernel waits for an RCU grace
    period) where something does, such as this process's own interpreter in /usr."""
    if _libc.umount2(target.encode(), 0) != 0:
        _check(_libc.umount2(target.encode(), MNT_DETACH), "umount %s" % target)


def _mounted_at(path):
    return [target for _, target, _, _ in _mount_table() if target == path]


def _mount_points_below(directory):
    """Mount points strictly inside `directory`, in mount order."""
    return [target for _, target, _, _ in _mount_table() if target.startswith(directory.rstrip("/") + "/")]


def _mount_table():
    """(root in its filesystem, mount point, per-mount options, filesystem type) of every mount, as
    /proc/self/mountinfo lists them."""
    table = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            separator = fields.index("-")
            table.append((_unescape(fields[3]), _unescape(fields[4]), fields[5].split(","), fields[separator + 1]))
    return table


def _shared_mounts():
    """(mount point, whether its source is another host path) of host files and directories, read-only. A copy
    in the template's memory (a tmpfs: root "/") names none."""
    return [
        (target, root not in (target, "/"))
        for root, target, options, fstype in _mount_table()
        if target != "/"
        and "ro" in options
        and fstype not in NOT_HOST_FILES
        and not any(target == path or target.startswith(path + "/") for path in NOT_HOST_PATHS)
    ]


def _unescape(path):
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for escaped, plain in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(escaped, plain)
    return path


def _overlay_path(path):
    """overlayfs splits lowerdir on ':' and reads ',' as the next option: both are escaped in a layer's path."""
    return path.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,")


def map_user_namespace(pid, uid, host_uid):
    """In the zygote: maps the child's new user namespace (uid inside -> the sandbox's own host uid)."""
    _write("/proc/%d/setgroups" % pid, "deny")
    _write("/proc/%d/uid_map" % pid, "%d %d 1" % (uid, host_uid))
    _write("/proc/%d/gid_map" % pid, "%d %d 1" % (uid, host_uid))


def become_init(uid):
    """In PID 1 of the new PID namespace: its own /proc, the sandbox user, then no capabilities and no way to
    regain any."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("/dev/null", "/proc/cmdline", None, MS_BIND)  # the host kernel's command line stays the host's
    _mount("/proc/sys", "/proc/sys", None, MS_BIND | MS_REC)
    _mount(None, "/proc/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if os.getuid() != uid:  # mapped by the zygote: switch from the unmapped overflow uid to the sandbox user
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    for capability in range(64):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    _check(_libc.capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl NO_NEW_PRIVS")

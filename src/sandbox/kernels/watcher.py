"""`files.watchDir`: inotify on a directory (and, if asked, every directory below it, new ones included),
its events named as envd names them."""

import os
import struct

import libc

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_ISDIR = 0x40000000
IN_IGNORED = 0x8000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
WATCHED = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then the name, NUL-padded


_init = libc.function("inotify_init1", libc.Int)
_add_watch = libc.function("inotify_add_watch", libc.Int, libc.CharP, libc.UInt)


def _kind(mask):
    """envd's event type (as fsnotify, which envd uses, reads inotify)."""
    if mask & (IN_CREATE | IN_MOVED_TO):
        return "create"
    if mask & (IN_DELETE | IN_DELETE_SELF):
        return "remove"
    if mask & (IN_MOVED_FROM | IN_MOVE_SELF):
        return "rename"
    if mask & IN_MODIFY:
        return "write"
    if mask & IN_ATTRIB:
        return "chmod"
    return None


class Watcher:
    """Watches `top`; `events()` reads what happened since, as (name relative to `top`, type)."""

    def __init__(self, top, recursive):
        if not os.path.isdir(top):
            if os.path.lexists(top):
                raise ValueError("%s is not a directory" % top)
            raise FileNotFoundError("%s does not exist" % top)
        self.top = top
        self.recursive = recursive
        self.fd = _init(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(libc.errno(), "inotify_init1 (a sandbox may hold 8 inotify instances)")
        self.directories = {}  # watch descriptor -> directory
        self._add(top)
        if recursive:
            for root, names, _ in os.walk(top):
                for name in names:
                    self._add(os.path.join(root, name))

    def _add(self, directory):
        wd = _add_watch(self.fd, directory.encode(), WATCHED)
        if wd < 0:
            raise OSError(libc.errno(), "inotify_add_watch %s" % directory)
        self.directories[wd] = directory

    def events(self):
        found = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return found
            offset = 0
            while offset < len(data):
                wd, mask, _, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0").decode(errors="replace")
                offset += EVENT.size + length
                directory = self.directories.get(wd)
                if directory is None or mask & IN_IGNORED or not name:
                    continue  # the watched directory itself: its own removal is seen by its parent's watch
                path = os.path.join(directory, name)
                kind = _kind(mask)
                if kind is not None:
                    found.append((os.path.relpath(path, self.top), kind))
                if self.recursive and mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                    found += self._watch_new(path)

    def _watch_new(self, directory):
        """A directory that appeared below a recursive watch: watched from now on, and what was made in it before
        its watch existed (`mkdir -p a/b && touch a/b/c` is quicker than this process) reported as created."""
        try:
            self._add(directory)
        except OSError:
            return []  # gone already, or out of watches: events below it are not seen
        created = []
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return created
        for name in names:
            path = os.path.join(directory, name)
            created.append((os.path.relpath(path, self.top), "create"))
            if os.path.isdir(path) and not os.path.islink(path):
                created += self._watch_new(path)
        return created

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

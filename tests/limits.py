"""limits.py - resource limits put on a running server, and what /proc says it holds.

What is here:
  footprint(pid)       descriptors, RSS (KiB), threads and processes of a server and its
                       session (fork's children count too)
  PidsLimit            a pids cgroup around a running server: no new task (thread or
                       process) beyond the limit. We run as root, and RLIMIT_NPROC does not
                       apply to root (CAP_SYS_RESOURCE / CAP_SYS_ADMIN), so the pids
                       controller is the limit that works: cgroup v1 (/sys/fs/cgroup/pids)
                       or v2 (a cgroup2 mount with "pids" in cgroup.controllers).
                       PidsLimit.unavailable() says why not, for the skip message.
  address_space(pid)   RLIMIT_AS set on a running server (prlimit(2)) and restored: mmap,
                       brk and so malloc and thread stacks fail with ENOMEM beyond it.
                       (A cgroup memory limit would answer with the OOM killer, which no
                       server can handle: RLIMIT_AS is the failure a server can meet.)

Only the standard library is used.
"""

import contextlib
import errno
import itertools
import os
import resource
import selectors
import socket
import time

import lib

PIDS_V1 = "/sys/fs/cgroup/pids"
PREFIX = "srvtests-"


# ---------------------------------------------------------------- /proc

def _status_number(pid, key):
    """The first number of a /proc/PID/status line (kB for Vm*), None if pid is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_rss_kb(pid):
    return _status_number(pid, "VmRSS")


def proc_vm_kb(pid):
    return _status_number(pid, "VmSize")


class Footprint:
    """What a server holds: fds and RSS of its main process, threads of all its
    processes, and how many processes its session has."""

    def __init__(self, pid):
        pids = lib.proc_session(pid) or [pid]
        self.fds = proc_fds(pid)
        self.rss_kb = proc_rss_kb(pid)
        self.threads = sum(_status_number(p, "Threads") or 0 for p in pids)   # a child may go meanwhile
        self.procs = len(pids)

    def text(self):
        return "%s fds, %s KiB RSS, %d threads, %d processes" % (self.fds, self.rss_kb, self.threads, self.procs)


def footprint(pid):
    return Footprint(pid)


# ---------------------------------------------------------------- pids cgroup

def _v2_pids_root():
    """The mount point of a cgroup2 hierarchy with the pids controller, or None."""
    try:
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f if l.split()[2:3] == ["cgroup2"]]
    except OSError:
        return None
    for m in mounts:
        try:
            with open(os.path.join(m, "cgroup.controllers")) as f:
                if "pids" in f.read().split():
                    return m
        except OSError:
            continue
    return None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _read(path):
    with open(path) as f:
        return f.read()


def _sweep_stale(root):
    """Remove the empty cgroups that test runs no longer running left behind."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        owner = name[len(PREFIX):].split("-")[0]
        if owner.isdigit() and not os.path.exists("/proc/%s" % owner):
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass


class PidsLimit:
    """A pids cgroup of its own (named after this test process) holding a server."""

    _seq = itertools.count(1)

    def __init__(self):
        self.root = None
        self.path = None
        self.v2 = False

    @staticmethod
    def unavailable():
        """None when a pids cgroup can be made here, else why not (one line)."""
        if os.geteuid() != 0:
            return "creating a pids cgroup needs root (and RLIMIT_NPROC would be the limit to use instead)"
        if os.path.isfile(os.path.join(PIDS_V1, "cgroup.procs")) and os.access(PIDS_V1, os.W_OK):
            return None
        if _v2_pids_root():
            return None
        return "no writable pids cgroup (neither %s nor a cgroup2 mount with the pids controller)" % PIDS_V1

    def create(self):
        if os.path.isfile(os.path.join(PIDS_V1, "cgroup.procs")):
            self.root = PIDS_V1
        else:
            self.root = _v2_pids_root()
            self.v2 = True
            ctl = os.path.join(self.root, "cgroup.subtree_control")
            if "pids" not in _read(ctl).split():
                _write(ctl, "+pids")
        _sweep_stale(self.root)
        self.path = os.path.join(self.root, "%s%d-%d" % (PREFIX, os.getpid(), next(PidsLimit._seq)))
        os.mkdir(self.path)
        return self

    def add(self, pid):
        """Move pid (all its threads) into the cgroup."""
        _write(os.path.join(self.path, "cgroup.procs"), "%d\n" % pid)

    def current(self):
        return int(_read(os.path.join(self.path, "pids.current")))

    def set_max(self, n):
        _write(os.path.join(self.path, "pids.max"), "max\n" if n is None else "%d\n" % n)

    def close(self):
        """Lift the limit, move every task back to the root, remove the cgroup."""
        if not self.path:
            return
        try:
            self.set_max(None)
            for p in _read(os.path.join(self.path, "cgroup.procs")).split():
                try:
                    _write(os.path.join(self.root, "cgroup.procs"), p + "\n")
                except OSError:
                    pass                # gone meanwhile
        except OSError:
            pass
        deadline = time.monotonic() + 2.0
        while True:
            try:
                os.rmdir(self.path)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        self.path = None


@contextlib.contextmanager
def pids_cgroup(pid):
    """A pids cgroup holding pid (no limit yet: set_max() sets it); removed on exit."""
    cg = PidsLimit().create()
    try:
        cg.add(pid)
        yield cg
    finally:
        cg.close()


# ---------------------------------------------------------------- address space

@contextlib.contextmanager
def address_space(pid, extra_kb):
    """RLIMIT_AS of pid set to its current virtual size plus extra_kb; the old limit
    restored on exit (if pid still runs)."""
    old = resource.prlimit(pid, resource.RLIMIT_AS)
    vm_kb = proc_vm_kb(pid)
    limit = (vm_kb + extra_kb) * 1024
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, old[1]))
    try:
        yield vm_kb + extra_kb
    finally:
        try:
            resource.prlimit(pid, resource.RLIMIT_AS, old)
        except (ProcessLookupError, OSError):
            pass


# ---------------------------------------------------------------- a connect burst

IP_BIND_ADDRESS_NO_PORT = 24      # <linux/in.h>: the port is chosen at connect(), per 4-tuple


def connect_burst(port, n=20000, seconds=15.0, wave=500, wait_s=0.02, sources=8):
    """n non-blocking connects to 127.0.0.1:port in waves of `wave`, from 127.0.0.2 ..
    127.0.0.(1+sources) so no one source address runs out of ports; each socket is closed
    wait_s after its wave was sent, connected or not. Bounded by `seconds`.
    Returns (attempted, connected, failed at once)."""
    attempted = connected = refused = 0
    deadline = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    try:
        while attempted < n and time.monotonic() < deadline:
            socks = []
            for i in range(min(wave, n - attempted)):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                    s.bind(("127.0.0.%d" % (2 + (attempted % sources)), 0))
                except OSError:
                    pass                          # then from 127.0.0.1, the kernel's choice
                attempted += 1
                rc = s.connect_ex((lib.HOST, port))
                if rc not in (0, errno.EINPROGRESS):
                    refused += 1
                    s.close()
                    continue
                socks.append(s)
                sel.register(s, selectors.EVENT_WRITE)
            end = time.monotonic() + wait_s
            while sel.get_map() and time.monotonic() < end:
                for key, _ in sel.select(max(0.0, end - time.monotonic())):
                    sel.unregister(key.fileobj)
                    if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        connected += 1
            for s in socks:
                try:
                    sel.unregister(s)
                except KeyError:
                    pass                          # connected (or failed) already
                s.close()
    finally:
        sel.close()
    return attempted, connected, refused


def listen_overflows():
    """TcpExt ListenOverflows of this network namespace (every listener's, not one's), or None."""
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return dict(zip(names.split()[1:], map(int, values.split()[1:]))).get("ListenOverflows")
    return None


# ---------------------------------------------------------------- back near the baseline

FD_MARGIN = 2                     # descriptors a server may hold beyond its baseline afterwards
RSS_MARGIN_KB = 16 * 1024         # plus half the baseline: allocator arenas, cached stacks
SANITIZER_RSS_KB = 64 * 1024      # ASan: quarantine, shadow, the state it keeps of exited threads


def rss_allowance_kb(base, kept_kb=0, sanitized=False):
    """How far above the baseline RSS a server may stay once the load is gone: 16 MiB plus
    half the baseline (a heap grown by a peak of connections is not trimmed; pth's 20,000-connect
    burst leaves ~8 MiB), plus what the model keeps by design (kept_kb), plus 64 MiB under a
    sanitizer (ASan's quarantine and shadow, and the per-thread state it keeps of exited threads:
    the thread model grows ~30 MiB in one burst under ASan, nothing in the plain build).
    What the model keeps counts 4 times under a sanitizer: TSan maps 4 bytes of shadow per byte
    of heap (iocp-emul's buffers: 72 MiB -> 290 MiB after one burst under TSan).
    A leak detector this is not: one burst, generous bounds; the soak (tests/soak.py) is."""
    if sanitized:
        return RSS_MARGIN_KB + base.rss_kb // 2 + 4 * kept_kb + SANITIZER_RSS_KB
    return RSS_MARGIN_KB + base.rss_kb // 2 + kept_kb


def settle(pid, base, rss_allow_kb, within=3.0, threads_kept=0):
    """Wait up to `within` s for the server to be back near its baseline: fds <= base + 2,
    RSS <= base + rss_allow_kb, threads <= base + threads_kept (a pool the model keeps),
    processes <= base. Returns (ok, footprint now)."""
    deadline = time.monotonic() + within
    while True:
        now = footprint(pid)
        ok = (now.fds is not None and now.rss_kb is not None and now.fds <= base.fds + FD_MARGIN
              and now.rss_kb <= base.rss_kb + rss_allow_kb and now.threads <= base.threads + threads_kept
              and now.procs <= base.procs)
        if ok or time.monotonic() > deadline:
            return ok, now
        time.sleep(0.1)

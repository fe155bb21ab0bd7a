"""peerlib.py - what the peer wrappers share (harness/peers/nginx, apache-*).

A peer is a production server run behind the suite's server command line
(../shared/contract.md): parse the contract flags, write a config into a
private temporary directory, start the real server in the foreground as a
child (in the wrapper's process group, so the runner's group kill reaches
it, except Apache, whose parent signals its whole process group on stop and
so gets a session of its own; either gets SIGTERM if the wrapper dies), print `listening on ADDR:PORT` once an HTTP
request on that port is answered, and on SIGTERM/SIGINT stop the server,
remove the directory and exit 0.  With `-p 0` the wrapper picks a free port
itself (nginx and Apache want a real one) and retries if another process took
it first.  Served: `--root DIR`'s files, else `Hello, World!` (13 bytes,
text/plain) for every path.  Not supported (exit 2 with a message):
`--proto daytime`, `--spin-us`, `--block-us`.
"""

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HELLO = b"Hello, World!"
READY_TIMEOUT_S = 10.0
STOP_WAIT_S = 1.7          # the contract allows 2 s from SIGTERM to exit
FD_LIMIT = 20000           # what the runner gives every server


def parse(name, argv, workers_default):
    ap = argparse.ArgumentParser(prog=name, description=f"{name}: a production server behind the suite's command line")
    ap.add_argument("-a", dest="addr", default="127.0.0.1")
    ap.add_argument("-p", dest="port", type=int, default=8080)
    ap.add_argument("--proto", default="http", choices=["http", "daytime"])
    ap.add_argument("--root")
    ap.add_argument("--workers", type=int, default=workers_default)
    ap.add_argument("--max-conns", type=int, default=FD_LIMIT - 100,
                    help=f"connections the server is configured to hold (default {FD_LIMIT - 100})")
    ap.add_argument("--idle-ms", type=int, default=10000)
    ap.add_argument("--backlog", type=int, default=4096)
    ap.add_argument("--spin-us", type=int, default=0)
    ap.add_argument("--block-us", type=int, default=0)
    ap.add_argument("--quiet", action="store_true")

    def fail(msg):
        print(f"{name}: {msg}", file=sys.stderr)
        sys.exit(2)
    ap.error = fail
    a = ap.parse_args(argv)
    if a.proto != "http":
        fail("--proto daytime: not supported by this peer (HTTP only)")
    if a.spin_us or a.block_us:
        fail("--spin-us/--block-us: not supported by this peer (the work hooks live in servers/common)")
    if not 0 <= a.port <= 65535:
        fail(f"-p {a.port}: not a port")
    for flag, v in (("--workers", a.workers), ("--max-conns", a.max_conns), ("--idle-ms", a.idle_ms),
                    ("--backlog", a.backlog)):
        if v < 1:
            fail(f"{flag} {v}: must be >= 1")
    if a.root:
        a.root = os.path.abspath(a.root)
        if not os.path.isdir(a.root):
            fail(f"--root {a.root}: not a directory")
    return a


def free_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def answers(addr, port):
    """Does an HTTP server answer on addr:port?"""
    try:
        with socket.create_connection((addr, port), timeout=0.5) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def die_with_parent():
    """In the child: SIGTERM when the wrapper dies; the runner's descriptor limit."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def proc_stat(pid):
    """(ppid, start time) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            f = f.read().rsplit(")", 1)[1].split()
        return int(f[1]), int(f[19])
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid):
    """[(pid, start time)] of every process below pid."""
    kids = {}
    for n in os.listdir("/proc"):
        st = proc_stat(n) if n.isdigit() else None
        if st:
            kids.setdefault(st[0], []).append((int(n), st[1]))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k[0])
    return out


class Peer:
    """One run of a production server: make_argv(args, tmp, port) writes the config into tmp
    and returns the command line (foreground, logs to tmp, nothing on stdout)."""

    def __init__(self, name, make_argv, workers_default=1, own_session=False):
        self.name, self.make_argv = name, make_argv
        self.workers_default, self.own_session = workers_default, own_session
        self.child, self.tmp, self.stopping = None, None, False

    def main(self, argv):
        args = parse(self.name, argv, self.workers_default)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.tmp = tempfile.mkdtemp(prefix=f"peer-{self.name}-")
        os.chmod(self.tmp, 0o755)          # Apache's children run as nobody
        try:
            with open(os.path.join(self.tmp, "hello.txt"), "wb") as f:
                f.write(HELLO)
            port = self._start(args)
            if port is None:
                return 1
            print(f"listening on {args.addr}:{port}", flush=True)
            while not self.stopping and self.child.poll() is None:
                time.sleep(0.05)
            if not self.stopping:
                print(f"{self.name}: the server exited by itself (status {self.child.returncode});"
                      f" its log: {self._log_tail()}", file=sys.stderr)
                return 1
            self._stop()
            return 0
        finally:
            self._stop()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _on_signal(self, signum, frame):
        self.stopping = True

    def _start(self, args):
        tries = 5 if args.port == 0 else 1
        for _ in range(tries):
            port = args.port or free_port(args.addr)
            argv = self.make_argv(args, self.tmp, port)
            self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr,
                                          preexec_fn=die_with_parent, cwd=self.tmp,
                                          start_new_session=self.own_session)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline and self.child.poll() is None and not self.stopping:
                if answers(args.addr, port):
                    return port
                time.sleep(0.02)
            self._stop()
            if self.stopping:
                return None
        print(f"{self.name}: the server did not answer on {args.addr} within {READY_TIMEOUT_S:g} s;"
              f" its log: {self._log_tail()}", file=sys.stderr)
        return None

    def _stop(self):
        """Stop the server and every process it started; at most STOP_WAIT_S, then SIGKILL."""
        c = self.child
        if c is None:
            return
        self.child = None
        kids = descendants(c.pid)
        if c.poll() is None:
            c.send_signal(signal.SIGTERM)
            try:
                c.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                print(f"{self.name}: server still running {STOP_WAIT_S:g} s after SIGTERM; killed", file=sys.stderr)
                kids = descendants(c.pid) + kids
                c.kill()
                c.wait()
        deadline = time.monotonic() + 0.3
        for pid, start in kids:              # children the server should have stopped
            while (proc_stat(pid) or (0, None))[1] == start and time.monotonic() < deadline:
                time.sleep(0.01)
            if (proc_stat(pid) or (0, None))[1] == start:
                os.kill(pid, signal.SIGKILL)

    def _log_tail(self):
        path = os.path.join(self.tmp, "error.log")
        try:
            with open(path, errors="replace") as f:
                lines = [l.strip() for l in f if l.strip()]
            return " | ".join(lines[-3:]) or "(empty)"
        except OSError:
            return "(none)"

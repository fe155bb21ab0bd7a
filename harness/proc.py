#!/usr/bin/env python3
"""proc.py - start a process, wait for its ready line, stop it.

Every process the suite runs goes through here: the runner's servers and
clients (point.py), the remote agent's (remote_agent.py, rsynced with this
file), the tests' servers (tests/lib.py, tests/test_loadgen.py) and the
comparison scripts (client_efficiency.py; cpu_compare.sh and wrk_compare.sh
through `proc.py port FILE`).

  spawn(argv, **popen)        a process in its own session (so its own process group)
  wait_ready(proc, timeout)   its first stdout line, read from the pipe (or from a file
                              with path=): a Ready, or why not ("exited", "eof", "timeout",
                              or the line that came instead)
  start(argv, timeout)        spawn with stdout piped, then wait_ready
  stop(proc, grace_s)         SIGTERM, wait up to grace_s, then SIGKILL the whole group
                              (and wait for it to go, at most KILL_WAIT_S): a Stopped
  kill_group, group_alive     the process group, whatever its leader did

The ready line of a server is the contract's `listening on ADDR:PORT`.  Python 3
standard library only (it runs on remote hosts too).
"""

import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

READY_RE = re.compile(r"^listening on (\S+):(\d+)\r?$")
READY_TIMEOUT_S = 10.0   # a server must print its ready line this fast
STOP_GRACE_S = 2.0       # the contract: SIGTERM -> exit 0 within 2 s
KILL_WAIT_S = 5.0        # after SIGKILL, how long the group may take to go


@dataclass
class Ready:
    line: str
    host: str
    port: int

    @property
    def addr(self):
        """HOST:PORT to connect to (a wildcard bind means this host)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "*") else self.host
        return f"{host}:{self.port}"


def parse_ready(line, pattern=READY_RE):
    """A Ready from a `listening on ADDR:PORT` line, else None."""
    m = pattern.match(line.rstrip("\n"))
    return Ready(line.rstrip("\r\n"), m.group(1), int(m.group(2))) if m else None


def spawn(argv, **kw):
    """Popen in a new session: the process and what it starts form one group."""
    return subprocess.Popen(argv, start_new_session=True, **kw)


def read_line(proc, timeout_s, path=None):
    """(first line, why): why is None when a whole line came, else "exited", "eof" or
    "timeout" (the text then is what came).  From proc.stdout one byte at a time (so
    nothing after the line is taken from the pipe), or from the file at path."""
    deadline = time.monotonic() + timeout_s
    buf = b""
    while True:
        if path is not None:
            try:
                with open(path, "rb") as f:
                    buf = f.read()
            except FileNotFoundError:
                buf = b""
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode("utf-8", "replace"), None
            if proc is not None and proc.poll() is not None:
                return buf.decode("utf-8", "replace"), "exited"
            if time.monotonic() >= deadline:
                return buf.decode("utf-8", "replace"), "timeout"
            time.sleep(0.01)
            continue
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            return buf.decode("utf-8", "replace"), "timeout"
        ch = os.read(proc.stdout.fileno(), 1)
        if not ch:
            return buf.decode("utf-8", "replace"), ("exited" if proc.poll() is not None else "eof")
        if ch == b"\n":
            return buf.decode("utf-8", "replace"), None
        buf += ch


def wait_ready(proc, timeout_s=READY_TIMEOUT_S, path=None, pattern=READY_RE):
    """(Ready or None, text, why): why is None with a Ready; "exited", "eof", "timeout",
    or "not a ready line" otherwise (text is what came)."""
    text, why = read_line(proc, timeout_s, path)
    if why is None:
        ready = parse_ready(text, pattern)
        return (ready, text, None) if ready else (None, text, "not a ready line")
    if why == "eof":       # stdout closed: give the exit a moment to be seen
        try:
            proc.wait(0.2)
            why = "exited"
        except subprocess.TimeoutExpired:
            pass
    return None, text, why


def start(argv, timeout_s=READY_TIMEOUT_S, pattern=READY_RE, **kw):
    """spawn with stdout piped, then wait_ready: (proc, Ready or None, text, why).
    On failure the process is still there: the caller stops it (stop())."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    proc = spawn(argv, stdout=subprocess.PIPE, **kw)
    return (proc,) + wait_ready(proc, timeout_s, pattern=pattern)


def why_text(why, text, timeout_s, proc=None):
    """A failed wait_ready in words."""
    if why == "exited":
        return f"{returncode_text(proc.returncode if proc else None)} at start, before its listening line"
    if why == "timeout":
        return f"did not print 'listening on ADDR:PORT' within {timeout_s:g} s (got {text[:80]!r})"
    if why == "eof":
        return f"closed its stdout before its ready line (got {text[:80]!r})"
    return f"printed {text[:80]!r}, not 'listening on ADDR:PORT'"


def _stat_fields(pid):
    """(state, pgid) of /proc/PID/stat, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    rest = text[text.rfind(")") + 2:].split()
    return rest[0], int(rest[2])


def group_alive(pgid):
    """Whether any process of process group pgid is alive (zombies do not count)."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat_fields(name)
            if st and st[1] == pgid and st[0] != "Z":
                return True
    return False


def kill_group(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Stopped:
    returncode: int = None    # Popen's: -N = killed by signal N
    took_s: float = 0.0       # from the signal to the exit (or to giving up)
    hung: bool = False        # still running grace_s after the signal: killed
    left_behind: bool = False  # the group had processes left after the leader: killed
    was_dead: bool = False    # had exited before stop() was called


def stop(proc, grace_s=STOP_GRACE_S, sig=signal.SIGTERM, group=False):
    """sig to the process (to its group with group=True), wait up to grace_s,
    then SIGKILL whatever is left of its group and reap it."""
    was_dead = proc.poll() is not None
    if not was_dead:
        if group:
            kill_group(proc.pid, sig)
        else:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
    t0 = time.monotonic()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        pass
    took = time.monotonic() - t0
    hung = proc.poll() is None
    left = group_alive(proc.pid)
    if hung or left:
        kill_group(proc.pid)
        deadline = time.monotonic() + KILL_WAIT_S
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    return Stopped(proc.returncode, took, hung, left and not hung, was_dead)


def returncode_text(rc):
    """A Popen return code (-N: killed by signal N) in words."""
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited {rc}"


def main(args):
    """proc.py port FILE [TIMEOUT_S]: wait for FILE (a server's stdout) to hold its
    ready line; print the port, exit 0; else say why on stderr, exit 1."""
    if len(args) not in (2, 3) or args[0] != "port":
        print("usage: proc.py port FILE [TIMEOUT_S]", file=sys.stderr)
        return 2
    try:
        timeout = float(args[2]) if len(args) == 3 else READY_TIMEOUT_S
    except ValueError:
        print(f"proc.py: TIMEOUT_S must be a number, got {args[2]!r}", file=sys.stderr)
        return 2
    text, why = read_line(None, timeout, path=args[1])
    ready = parse_ready(text) if why is None else None
    if ready is None:
        print(f"proc.py: {args[1]}: " + why_text(why or "not a ready line", text, timeout), file=sys.stderr)
        return 1
    print(ready.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

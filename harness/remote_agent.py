#!/usr/bin/env python3
"""remote_agent.py - the runner's helper on a remote host, one per process and point,
run over ssh from harness/remote.py (copied with bin/ into the host's run folder).

  remote_agent.py serve -- ARGV...   start the server ARGV in its own session, pass
      its `listening on` line to stdout, then read commands on stdin:
        window T0 DURATION   sample the server's /proc (sampling.py) from CLOCK_REALTIME
                             T0 every interval until T0 + DURATION - 0.1, kept in memory
        stop                 SIGTERM the server, wait up to 2 s, kill what is left; print
                             the samples, the server's stderr and its exit, then `end`
  remote_agent.py run --hist FILE -- ARGV...   run a client to its end; print its stdout,
      FILE (its --hist-out), its CPU seconds and exit status, then `end`.
In both modes, end of stdin (the runner or its ssh gone) kills the child's session:
nothing the runner started survives it on the host.  Python 3 standard library only.
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proc  # noqa: E402
from proc import READY_TIMEOUT_S, STOP_GRACE_S, kill_group  # noqa: E402
from sampling import cpu_times, last_pid, read_text, sample_server  # noqa: E402


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stdin_line(timeout):
    """A line from stdin, '' on EOF, None on timeout."""
    if not select.select([0], [], [], max(0.0, timeout))[0]:
        return None
    buf = b""
    while not buf.endswith(b"\n"):
        c = os.read(0, 1)
        if not c:
            return ""
        buf += c
    return buf.decode().strip()


def take_sample(pid, samples):
    s = sample_server(pid)
    samples.append({"s": s.__dict__, "pid": last_pid(), "cpus": cpu_times()})


def sample_window(pid, t0, duration, samples):
    """Samples from t0 to t0 + duration - 0.1 (CLOCK_REALTIME), as the local runner takes them."""
    end = t0 + duration - 0.1
    nxt = t0
    while True:
        now = time.time()
        if now >= nxt:
            t = time.monotonic()
            take_sample(pid, samples)
            cost = time.monotonic() - t
            last = nxt >= end
            nxt = max(now + max(0.1, 8 * cost), nxt)
            if last:
                return None
            if nxt > end:
                nxt = end
        line = stdin_line(min(0.05, max(0.0, nxt - time.time())))
        if line == "" or line == "stop":
            return line


def serve(argv):
    err = tempfile.TemporaryFile()
    srv, ready, text, _ = proc.start(argv, READY_TIMEOUT_S, stderr=err)
    out(ready.line if ready else text or "no-ready-line")
    samples, ok = [], True
    while ok:
        cmd = stdin_line(3600)
        if not cmd or cmd == "stop":
            ok = cmd == "stop"
            break
        if cmd.startswith("window "):
            _, t0, dur = cmd.split()
            early = sample_window(srv.pid, float(t0), float(dur), samples)
            if early is not None:
                ok = early == "stop"
                break
    st = proc.stop(srv, STOP_GRACE_S)
    if not ok:
        return 1
    for s in samples:
        out("sample " + json.dumps(s))
    err.seek(0)
    for text in err.read().decode("utf-8", "replace").splitlines():
        out("stderr " + text)
    out(f"stopped {'hung' if st.hung else 'exit'} {st.returncode} {st.took_s:.3f} {int(st.left_behind)}")
    out("end")
    return 0


def run(hist, argv):
    cli = proc.spawn(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.set_blocking(cli.stdout.fileno(), False)
    data = b""
    while True:
        wpid, status, ru = os.wait4(cli.pid, os.WNOHANG)
        r = select.select([0, cli.stdout.fileno()], [], [], 0.05)[0]
        if cli.stdout.fileno() in r or wpid:
            try:
                data += os.read(cli.stdout.fileno(), 65536) or b""
            except BlockingIOError:
                pass
        if wpid:
            break
        if 0 in r and not os.read(0, 1):
            kill_group(cli.pid)
            return 1
    try:
        data += cli.stdout.read() or b""
    except (BlockingIOError, TypeError):
        pass
    kill_group(cli.pid)
    for text in data.decode("utf-8", "replace").splitlines():
        out("stdout " + text)
    for text in (read_text(hist) or "").splitlines():
        out("hist " + text)
    out(f"finished {os.waitstatus_to_exitcode(status)} {ru.ru_utime + ru.ru_stime:.3f}")
    out("end")
    return 0


def main(args):
    if len(args) >= 3 and args[0] == "serve" and args[1] == "--":
        return serve(args[2:])
    if len(args) >= 5 and args[0] == "run" and args[1] == "--hist" and args[3] == "--":
        return run(args[2], args[4:])
    sys.exit("usage: remote_agent.py serve -- ARGV... | run --hist FILE -- ARGV...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

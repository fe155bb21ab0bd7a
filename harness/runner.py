#!/usr/bin/env python3
"""runner.py - run the experiment sweep and write results/<UTC time>_<name>/.

For every point (experiment, model, level, repetition) the runner starts the
server pinned to the server CPUs (`taskset`), waits for its `listening on` line,
runs the client pinned to the client CPUs (bin/loadgen --csv, or wrk with
harness/wrk_csv.lua), samples the server's /proc during the measured window,
stops the server with SIGTERM, checks that it exited 0 within 2 s, and appends
one row to runs.csv (flushed).  Then it writes meta.txt and calls report.py
for the plots and REPORT.md.

Python 3 standard library only.  See results/README.md for what every column
means and how the server-side columns are measured; ./run_all.sh --help for the
experiments, levels and flags.

Limits: Linux only (/proc, taskset).  Context switches are per task in /proc,
so tasks that end inside the window are lost; srv_ctxsw_* is left empty then.
"""

import argparse
import csv
import datetime
import math
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from runs import COLUMNS, CPU_COLUMNS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = ["iterative", "fork", "thread", "select", "epoll", "libevent", "iocp-emul", "pth"]

# Connections a model can hold at once.  select() and Pth (whose scheduler
# waits in select()) cannot watch a descriptor >= FD_SETSIZE (1024); stdio,
# the listener and a reserve descriptor take a few.  A keep-alive level above
# the ceiling is not run: it gets a row with variant "ceiling" (results/README.md).
CEILINGS = {"select": 1000, "pth": 1000}

POOL_WORKERS = 64        # thread --workers (variant "pool") and fork --workers ("prefork")
FD_LIMIT = 20000         # RLIMIT_NOFILE for servers and clients
PORTS_PER_SRC_ADDR = 8000   # loadgen stalls with >= 15000 conns from one source address (seen here)
CLIENT_BOUND_FRACTION = 0.90  # client_bound = 1 when the client used >= 90 % of its CPUs,
CLIENT_CPUS_BUSY_FRACTION = 0.95  # or its own CPUs were >= 95 % busy (softirq included)
STOP_GRACE_S = 2.0       # the contract: SIGTERM -> exit 0 within 2 s
READY_TIMEOUT_S = 10.0   # a server must print its listening line this fast
REQUEST_TIMEOUT_MS = 1000  # client request timeout: shorter than the measured window, so a
                           # connection that gets no answer in it is counted (err_timeout)


@dataclass
class Setup:
    """One line on a plot: a model, its flags, and where it runs."""
    model: str
    variant: str = ""
    flags: tuple = ()
    cpus: str = "default"   # "default": --server-cpus; "all": server and client CPUs together
    client: str = ""        # "" = --client; else forced ("loadgen" or "wrk")


@dataclass
class Experiment:
    name: str
    title: str
    proto: str              # http | daytime
    workload: str           # what is served: file8k, hello, hello+block1000us, daytime
    keepalive: bool
    levels: list
    quick_levels: list
    setups: list
    server_flags: tuple = ()
    path: str = "/"
    needs_file: bool = False


def _setups(*specs):
    return [Setup(*s) if isinstance(s, tuple) else Setup(s) for s in specs]


POOL = ("--workers", str(POOL_WORKERS))

EXPERIMENTS = [
    Experiment(
        "seda", "SEDA figures 2 and 4: 8 KB file over keep-alive HTTP against connections",
        "http", "file8k", True,
        [1, 4, 16, 64, 256, 1024, 4096, 16384], [16, 1024],
        _setups("thread", ("thread", "pool", POOL), "fork", ("fork", "prefork", POOL),
                "select", "epoll", "libevent", "iocp-emul", "pth"),
        path="/file8k.html", needs_file=True),
    Experiment(
        "ousterhout", "Events against threads: plaintext keep-alive on 1 and 2 server CPUs",
        "http", "hello", True,
        [10, 100, 1000], [100],
        _setups("select", "epoll", "libevent", "thread", "pth",
                ("epoll", "", (), "all"), ("epoll", "reactors2", ("--workers", "2"), "all"),
                ("thread", "", (), "all"), ("pth", "", (), "all"))),
    Experiment(
        "blocking", "A 1 ms blocking call per request at 64 connections",
        "http", "hello+block1000us", True,
        [64], [64],
        _setups("thread", ("thread", "pool", POOL), "fork", ("fork", "prefork", POOL),
                "select", "epoll", "libevent", "iocp-emul", "pth"),
        server_flags=("--block-us", "1000")),
    Experiment(
        "daytime", "Daytime (RFC 867): a new connection per request",
        "daytime", "daytime", False,
        [1, 16, 256, 1024], [16],
        _setups("iterative", "fork", ("fork", "prefork", POOL), "thread", ("thread", "pool", POOL),
                "select", "epoll", "libevent", "iocp-emul", "pth"),
        server_flags=("--proto", "daytime")),
    Experiment(
        "crosscheck", "loadgen against wrk: one model, one load, both clients",
        "http", "hello", True,
        [64], [64],
        _setups(("epoll", "", (), "default", "loadgen"), ("epoll", "", (), "default", "wrk"))),
]
EXP_BY_NAME = {e.name: e for e in EXPERIMENTS}

QUICK = {"duration_s": 1.0, "warmup_s": 0.5, "reps": 1}
DEFAULT = {"duration_s": 1.5, "warmup_s": 0.5, "reps": 3}
WARMUP_CONNS_PER_S = 8192  # extra warm-up for opening many connections (16384: +2 s)
OVERHEAD_GUESS_S = 0.2   # start, ready line, stop, per point (refined while running)


# ---------------------------------------------------------------- CPU sets

def cpuset_parse(text):
    """'0-1,3' -> {0, 1, 3}."""
    cpus = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.update(range(int(lo), int(hi) + 1))
        else:
            cpus.add(int(part))
    if not cpus:
        raise ValueError("empty CPU list")
    return cpus


def cpuset_format(cpus):
    """{0, 1, 3} -> '0-1,3' (taskset's list format)."""
    out, run = [], []
    for c in sorted(cpus):
        if run and c == run[-1] + 1:
            run.append(c)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [c]
    out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out)


# ---------------------------------------------------------------- points

@dataclass
class Point:
    exp: Experiment
    setup: Setup
    level: int
    rep: int
    server_cpus: str
    client_cpus: str
    client: str
    ceiling: int = 0          # > 0: level above the model's ceiling, not run

    def label(self):
        v = f" {self.setup.variant}" if self.setup.variant else ""
        cpus = f" cpus={self.server_cpus}" if self.setup.cpus != "default" else ""
        return f"{self.exp.name} {self.setup.model}{v}{cpus} c={self.level} {self.client} rep {self.rep}"


def plan(args, experiments):
    """Every point of the sweep in run order: experiment, repetition, setup, level."""
    points = []
    server_cpus, client_cpus = cpuset_parse(args.server_cpus), cpuset_parse(args.client_cpus)
    all_cpus = cpuset_format(server_cpus | client_cpus)
    for exp in experiments:
        levels = args.conns or (exp.quick_levels if args.quick else exp.levels)
        setups = [s for s in exp.setups if s.model in args.models]
        for rep in range(1, args.reps + 1):
            for setup in setups:
                client = setup.client or args.client
                if exp.proto != "http" and client == "wrk":
                    client = "loadgen"          # wrk speaks HTTP only
                for level in levels:
                    p = Point(exp, setup, level, rep,
                              all_cpus if setup.cpus == "all" else cpuset_format(server_cpus),
                              cpuset_format(client_cpus), client)
                    if exp.keepalive:
                        limit = min(CEILINGS.get(setup.model, fd_limit() - 100), fd_limit() - 100)
                        if level > limit:
                            p.ceiling = limit
                    points.append(p)
    return points


def warmup_for(args, level):
    """Warm-up of a point: opening thousands of connections (and the server's
    threads or processes for them) must be over before measuring starts."""
    return args.warmup + level / WARMUP_CONNS_PER_S


def point_seconds(p, args, overhead):
    if p.ceiling:
        return 0.0
    return warmup_for(args, p.level) + args.duration + overhead


# ---------------------------------------------------------------- /proc sampling

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except OSError:
        return None


def _stat_fields(text):
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    return text[text.rfind(")") + 2:].split()


def proc_tree(root_pid):
    """The root and every descendant, from the ppid field of /proc/*/stat."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        text = _read(f"/proc/{name}/stat")
        if text is None:
            continue
        ppid = int(_stat_fields(text)[1])
        children.setdefault(ppid, []).append(int(name))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _status_value(text, key):
    m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else 0


@dataclass
class Sample:
    t: float
    cpu_s: float = 0.0        # server CPU time, see sample_server()
    user_ticks_s: float = 0.0  # tick-based user and system time: only their ratio is used
    sys_ticks_s: float = 0.0
    rss_kb: int = 0
    threads: int = 0
    procs: int = 0
    ctxsw: dict = field(default_factory=dict)   # tid -> (voluntary, involuntary)


def _runtime_s(path):
    """A task's CPU time in nanoseconds from its schedstat (first field), in seconds."""
    text = _read(path)
    return int(text.split()[0]) / 1e9 if text else 0.0


def sample_server(root_pid):
    """CPU of the server and all its descendants, summed VmHWM, tasks,
    processes and the context switches of every task.

    CPU: /proc/PID/stat's utime+stime are whole clock ticks per process, so a
    thousand fork children that each ran 0.5 ms read as zero.  The total is
    therefore, per process, the larger of its tick-based time (which keeps
    its exited threads) and the sum of its live tasks' nanosecond runtimes
    (schedstat), plus the time of its reaped children (cutime+cstime, summed
    by the kernel before the one rounding).  Ticks give the user/system ratio."""
    s = Sample(time.monotonic())
    for pid in proc_tree(root_pid):
        stat = _read(f"/proc/{pid}/stat")
        status = _read(f"/proc/{pid}/status")
        if stat is None or status is None:
            continue
        f = _stat_fields(stat)
        utime, stime, cutime, cstime, nthreads = int(f[11]), int(f[12]), int(f[13]), int(f[14]), int(f[17])
        s.user_ticks_s += (utime + cutime) / CLK_TCK
        s.sys_ticks_s += (stime + cstime) / CLK_TCK
        s.rss_kb += _status_value(status, "VmHWM")
        s.threads += nthreads
        s.procs += 1
        if nthreads == 1:
            runtime = _runtime_s(f"/proc/{pid}/schedstat")
            s.ctxsw[pid] = (_status_value(status, "voluntary_ctxt_switches"),
                            _status_value(status, "nonvoluntary_ctxt_switches"))
        else:
            runtime = 0.0
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                tids = []
            for tid in tids:
                ts = _read(f"/proc/{pid}/task/{tid}/status")
                if ts is not None:
                    s.ctxsw[int(tid)] = (_status_value(ts, "voluntary_ctxt_switches"),
                                         _status_value(ts, "nonvoluntary_ctxt_switches"))
                    runtime += _runtime_s(f"/proc/{pid}/task/{tid}/schedstat")
        s.cpu_s += max((utime + stime) / CLK_TCK, runtime) + (cutime + cstime) / CLK_TCK
    return s


def cpu_times():
    """{cpu: (busy, softirq, total)} in jiffies from /proc/stat; busy includes
    irq and softirq, the kernel's network work that no process is charged for."""
    out = {}
    for line in (_read("/proc/stat") or "").splitlines():
        f = line.split()
        if f and f[0].startswith("cpu") and f[0] != "cpu":
            v = [int(x) for x in f[1:9]]
            idle = v[3] + v[4]
            out[int(f[0][3:])] = (sum(v) - idle, v[6], sum(v))
    return out


def cpu_busy(a, b, cpus):
    """(busy %, softirq %) of a CPU set's capacity between two cpu_times() snapshots."""
    busy = sum(b[c][0] - a[c][0] for c in cpus if c in a and c in b)
    soft = sum(b[c][1] - a[c][1] for c in cpus if c in a and c in b)
    total = sum(b[c][2] - a[c][2] for c in cpus if c in a and c in b)
    return (100.0 * busy / total, 100.0 * soft / total) if total > 0 else (None, None)


def last_pid():
    text = _read("/proc/sys/kernel/ns_last_pid")
    return int(text) if text else None


class Window:
    """The server's counters over the measured window: from the first sample
    (end of warm-up) to the last one taken while the client was still running
    (after it exits, per-connection threads and processes are gone with their
    counts).  Counts are scaled from the window's length to duration_s."""

    def __init__(self):
        self.samples = []         # (Sample, kernel's last allocated pid)
        self.cpus = []            # cpu_times() at each sample

    def add(self, s):
        self.samples.append((s, last_pid()))
        self.cpus.append(cpu_times())

    def cpu_busy(self, cpus):
        """(busy %, softirq %) of these CPUs over the whole sampled window."""
        if len(self.cpus) < 2:
            return None, None
        return cpu_busy(self.cpus[0], self.cpus[-1], cpus)

    def columns(self, duration_s):
        if len(self.samples) < 2:
            return {}
        # The client closes its connections just before it exits, and samples
        # may fall in between: then the window ends at the last sample before
        # server tasks began to vanish, if that keeps at least half the window.
        end = len(self.samples) - 1
        t_first, t_last = self.samples[0][0].t, self.samples[end][0].t
        for i in range(end, 0, -1):
            if self.samples[i][0].t - t_first < 0.5 * (t_last - t_first):
                break
            if not self._vanished(i):
                end = i
                break
        (a, pid0), (b, pid1) = self.samples[0], self.samples[end]
        wall = b.t - a.t
        scale = duration_s / wall
        cpu = max(0.0, b.cpu_s - a.cpu_s)
        tick_user, tick_sys = b.user_ticks_s - a.user_ticks_s, b.sys_ticks_s - a.sys_ticks_s
        window = [s for s, _ in self.samples[:end + 1]]
        cols = {"srv_cpu_pct": f"{100.0 * cpu / wall:.1f}"}
        if tick_user + tick_sys > 0:
            user = cpu * tick_user / (tick_user + tick_sys)
            cols.update(srv_user_s=f"{user * scale:.3f}", srv_sys_s=f"{(cpu - user) * scale:.3f}")
        cols.update({
            "srv_rss_kb": str(max(s.rss_kb for s in window)),
            "srv_threads": str(max(s.threads for s in window)),
            "srv_procs": str(max(s.procs for s in window)),
        })
        # Tasks that ended inside the window took their counts with them;
        # tasks born and gone between two samples were never seen (the
        # kernel's last allocated pid tells whether any could have been).
        # Report context switches only when every server task is accounted for.
        born = set(b.ctxsw) - set(a.ctxsw)
        allocated = None
        if pid0 is not None and pid1 is not None:
            allocated = (pid1 - pid0) % int(_read("/proc/sys/kernel/pid_max") or 32768)
        unseen = born and (allocated is None or allocated > len(born) + 8)
        if not self._vanished(end) and not unseen:
            vol = sum(v[0] - a.ctxsw.get(t, (0, 0))[0] for t, v in b.ctxsw.items())
            inv = sum(v[1] - a.ctxsw.get(t, (0, 0))[1] for t, v in b.ctxsw.items())
            cols["srv_ctxsw_vol"], cols["srv_ctxsw_invol"] = f"{vol * scale:.0f}", f"{inv * scale:.0f}"
        return cols

    def _vanished(self, end):
        """Did a task seen in samples[0..end] vanish by samples[end]?"""
        seen = set()
        for s, _ in self.samples[:end + 1]:
            seen.update(s.ctxsw)
        return bool(seen - set(self.samples[end][0].ctxsw))


# ---------------------------------------------------------------- processes

class Procs:
    """Every process the runner started, each in its own session (so its own
    process group): on Ctrl-C or error, these groups and nothing else die."""

    def __init__(self):
        self.groups = set()

    def spawn(self, argv, **kw):
        n = fd_limit()

        def child_setup():
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if hard != resource.RLIM_INFINITY:
                hard = max(hard, n)            # only root gets here with hard < n
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
            except (ValueError, OSError):
                pass
        p = subprocess.Popen(argv, start_new_session=True, preexec_fn=child_setup, **kw)
        self.groups.add(p.pid)
        return p

    def kill_group(self, pgid, sig=signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass

    def group_alive(self, pgid):
        for name in os.listdir("/proc"):
            if name.isdigit():
                text = _read(f"/proc/{name}/stat")
                if text and int(_stat_fields(text)[2]) == pgid and _stat_fields(text)[0] != "Z":
                    return True
        return False

    def done(self, pgid):
        self.groups.discard(pgid)

    def kill_all(self):
        for pgid in list(self.groups):
            self.kill_group(pgid)
        self.groups.clear()


def fd_limit():
    """The descriptor limit servers and clients get: FD_LIMIT, or less when an
    unprivileged runner's hard limit is lower."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if os.geteuid() == 0 or hard == resource.RLIM_INFINITY or hard >= FD_LIMIT:
        return FD_LIMIT
    return hard


def pinned(cpus, argv):
    return ["taskset", "-c", cpus] + argv


def reap(pid, timeout_s):
    """wait4 with a deadline: (exit status, rusage) or (None, None)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return None, None
        if wpid == pid:
            return status, ru
        if time.monotonic() >= deadline:
            return None, None
        time.sleep(0.01)


def exit_text(status):
    if status is None:
        return "still running"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"


# ---------------------------------------------------------------- one point

class Runner:
    def __init__(self, args, out_dir):
        self.args = args
        self.out = out_dir
        self.procs = Procs()
        self.log = open(os.path.join(out_dir, "runner.log"), "a", buffering=1)
        self.warnings = open(os.path.join(out_dir, "warnings.txt"), "a", buffering=1)
        self.server_log = open(os.path.join(out_dir, "server-stderr.log"), "ab", buffering=0)
        self.client_log = open(os.path.join(out_dir, "client-stderr.log"), "ab", buffering=0)
        self.www = None
        self.max_conns_default = {}
        self.cpu_rows = []        # rows of cpu.csv, written with each runs.csv row

    def warn(self, point, text):
        line = f"{point.label() if point else '-'}: {text}"
        self.warnings.write(line + "\n")
        self.log.write("WARNING " + line + "\n")
        print(f"  warning: {line}", file=sys.stderr, flush=True)

    def www_root(self):
        """A directory with the SEDA task's 8 KB file (read by the server on every request)."""
        if self.www is None:
            self.www = tempfile.mkdtemp(prefix="bench-www-")
            line = b"<p>SEDA benchmark: an 8 KB file, read on every request.</p>\n"
            body = (line * (8192 // len(line) + 1))[:8192]
            with open(os.path.join(self.www, "file8k.html"), "wb") as f:
                f.write(body)
        return self.www

    def cleanup(self):
        self.procs.kill_all()
        if self.www:
            shutil.rmtree(self.www, ignore_errors=True)

    def server_argv(self, p):
        argv = [os.path.join(self.args.bin, p.setup.model), "-p", "0", "--quiet"]
        argv += list(p.exp.server_flags) + list(p.setup.flags)
        if p.exp.needs_file:
            argv += ["--root", self.www_root()]
        default = self.max_conns_default.get(p.setup.model)
        if p.exp.keepalive and default is not None and p.level + 64 > default:
            argv += ["--max-conns", str(p.level + 64)]
        return pinned(p.server_cpus, argv)

    def client_argv(self, p, addr, warmup=False):
        ncpu = len(cpuset_parse(p.client_cpus))
        threads = max(1, min(ncpu, p.level))
        warm = warmup_for(self.args, p.level)
        duration = warm if warmup else self.args.duration
        if p.client == "wrk":
            url = f"http://{addr}{p.exp.path}"
            argv = ["wrk", "-t", str(threads), "-c", str(p.level), "-d", f"{max(1, round(duration))}s",
                    "--timeout", f"{REQUEST_TIMEOUT_MS // 1000}s", "-s", os.path.join(ROOT, "harness", "wrk_csv.lua"), url]
            if not p.exp.keepalive:
                argv[1:1] = ["-H", "Connection: close"]
            return pinned(p.client_cpus, argv)
        url = f"daytime://{addr}" if p.exp.proto == "daytime" else f"http://{addr}{p.exp.path}"
        argv = [os.path.join(self.args.bin, "loadgen"), "-c", str(p.level), "-t", str(threads),
                "-d", f"{duration:g}", "--warmup", f"{warm:g}", "--timeout", str(REQUEST_TIMEOUT_MS), "--csv"]
        if not p.exp.keepalive and p.exp.proto == "http":
            argv.append("--close")
        if p.level > PORTS_PER_SRC_ADDR:
            argv += ["--src-addrs", str(math.ceil(p.level / PORTS_PER_SRC_ADDR))]
        return pinned(p.client_cpus, argv + [url])

    def start_server(self, p):
        argv = self.server_argv(p)
        self.log.write(f"server: {' '.join(argv)}\n")
        self.server_log.write(f"==== {p.label()}\n".encode())
        srv = self.procs.spawn(argv, stdout=subprocess.PIPE, stderr=self.server_log, stdin=subprocess.DEVNULL)
        sel = selectors.DefaultSelector()
        sel.register(srv.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT_S
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(srv.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
        sel.close()
        m = re.match(rb"listening on (\S+):(\d+)\r?\n", buf)
        if not m:
            self.warn(p, f"server did not print 'listening on ADDR:PORT' within {READY_TIMEOUT_S:g} s"
                         f" (got {buf[:80]!r})")
            self.stop_server(p, srv, quiet=True)
            return None, None
        host = m.group(1).decode()
        if host in ("0.0.0.0", "*"):
            host = "127.0.0.1"
        return srv, f"{host}:{int(m.group(2))}"

    def stop_server(self, p, srv, quiet=False):
        """SIGTERM; the contract wants exit 0 within 2 s and nothing left behind."""
        notes = []
        if srv.poll() is None:
            try:
                os.kill(srv.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        t0 = time.monotonic()
        while srv.poll() is None and time.monotonic() - t0 < STOP_GRACE_S:
            time.sleep(0.01)
        took = time.monotonic() - t0
        if srv.poll() is None:
            notes.append(f"server still running {STOP_GRACE_S:g} s after SIGTERM; killed")
        elif srv.returncode != 0:
            notes.append(f"server exited {srv.returncode} after SIGTERM (want 0)")
        if self.procs.group_alive(srv.pid):
            if srv.poll() is not None:
                notes.append("server left processes behind in its group; killed")
            self.procs.kill_group(srv.pid)
            deadline = time.monotonic() + 5
            while self.procs.group_alive(srv.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        srv.wait()
        srv.stdout.close()
        self.procs.done(srv.pid)
        self.log.write(f"server stop: {exit_text(srv.returncode if srv.returncode >= 0 else None)}"
                       f" rc={srv.returncode} in {took:.2f} s\n")
        if not quiet:
            for n in notes:
                self.warn(p, n)

    def run_client(self, p, argv, srv, window, sample_at):
        """Run one client to completion, sampling the server from sample_at on.
        Returns (stdout text, exit status, client CPU seconds, wall seconds)."""
        self.log.write(f"client: {' '.join(argv)}\n")
        self.client_log.write(f"==== {p.label()}\n".encode())
        with tempfile.TemporaryFile() as out:
            t_start = time.monotonic()
            cli = self.procs.spawn(argv, stdout=out, stderr=self.client_log, stdin=subprocess.DEVNULL)
            limit = warmup_for(self.args, p.level) + self.args.duration + 60 + p.level / 200.0
            # Samples: at the end of warm-up, every interval after, and one
            # just before the planned end, all while the client is running.
            next_sample = t_start + sample_at if window is not None else None
            planned_end = t_start + sample_at + self.args.duration - 0.1
            while True:
                wpid, status, ru = os.wait4(cli.pid, os.WNOHANG)
                if wpid == cli.pid:
                    break
                now = time.monotonic()
                if next_sample is not None and now >= next_sample and srv.poll() is None:
                    window.add(sample_server(srv.pid))
                    cost = time.monotonic() - now
                    next_sample = time.monotonic() + max(0.1, 8 * cost)   # the runner shares the client's CPUs
                    if now < planned_end < next_sample:
                        next_sample = planned_end
                if now - t_start > limit:
                    self.warn(p, f"client still running after {limit:.0f} s; killed")
                    self.procs.kill_group(cli.pid)
                    _, status, ru = os.wait4(cli.pid, 0)
                    break
                time.sleep(0.005)
            wall = time.monotonic() - t_start
            cli.returncode = os.waitstatus_to_exitcode(status)   # reaped above with wait4
            self.procs.kill_group(cli.pid)    # anything it left behind
            self.procs.done(cli.pid)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        return text, status, ru.ru_utime + ru.ru_stime, wall

    def measure(self, p):
        """Run one point; returns the row (dict of column -> text)."""
        row = {c: "" for c in COLUMNS}
        row.update(experiment=p.exp.name, model=p.setup.model, variant=p.setup.variant,
                   proto=p.exp.proto, workload=p.exp.workload, conns=str(p.level), rate_rps="",
                   keepalive="1" if p.exp.keepalive else "0", server_cpus=p.server_cpus,
                   client_cpus=p.client_cpus, rep=str(p.rep), client=p.client,
                   started_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if p.ceiling:
            row["variant"] = "ceiling" if not p.setup.variant else f"{p.setup.variant}:ceiling"
            self.log.write(f"{p.label()}: above the model's ceiling of {p.ceiling} connections, not run\n")
            return row
        srv, addr = self.start_server(p)
        if srv is None:
            return row
        try:
            window = Window()
            warm = warmup_for(self.args, p.level)
            if p.client == "wrk" and warm > 0:
                self.run_client(p, self.client_argv(p, addr, warmup=True), srv, None, 0)
                sample_at = 0.0
            else:
                sample_at = warm if p.client == "loadgen" else 0.0
            text, status, cpu_s, wall = self.run_client(p, self.client_argv(p, addr), srv, window, sample_at)
            if srv.poll() is not None:
                self.warn(p, f"server died during the run ({exit_text(srv.returncode)})")
        finally:
            self.stop_server(p, srv)
        got = parse_client_csv(text)
        if got is None:
            self.warn(p, f"client gave no CSV row ({exit_text(status)}); see client-stderr.log")
        elif not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            self.log.write(f"{p.label()}: client {exit_text(status)} (row kept)\n")
        for k, v in (got or {}).items():
            if k in row and v != "" and k not in ("experiment", "model", "variant", "workload",
                                                   "server_cpus", "client_cpus", "rep"):
                row[k] = v
        try:
            measured_s = float(row["duration_s"])       # the client's own measured time
        except ValueError:
            measured_s = self.args.duration
        row.update(window.columns(measured_s))
        if got is not None and not row["cli_cpu_pct"]:
            # The client's whole run (connecting, warm-up, measuring): loaded throughout.
            row["cli_cpu_pct"] = f"{100.0 * cpu_s / max(wall, 1e-6):.1f}"
        # Client-bound: the client used (nearly) all its CPUs, or, when it has
        # them to itself, those CPUs were busy anyway: loopback TCP work runs
        # in softirq context, charged to no process.
        scpus, ccpus = cpuset_parse(p.server_cpus), cpuset_parse(p.client_cpus)
        sbusy, ssoft = window.cpu_busy(scpus)
        cbusy, csoft = window.cpu_busy(ccpus)
        if row["cli_cpu_pct"]:
            bound = float(row["cli_cpu_pct"]) >= CLIENT_BOUND_FRACTION * 100.0 * len(ccpus)
            if cbusy is not None and not scpus & ccpus:
                bound = bound or cbusy >= 100.0 * CLIENT_CPUS_BUSY_FRACTION
            row["client_bound"] = "1" if bound else "0"
        row["client"] = p.client
        self.cpu_rows.append([p.exp.name, p.setup.model, p.setup.variant, p.server_cpus, p.client_cpus,
                              p.level, p.rep] + ["" if v is None else f"{v:.1f}" for v in (sbusy, ssoft, cbusy, csoft)])
        return row


def parse_client_csv(text):
    """The header line and the row after it, as a dict; None when absent."""
    lines = [l for l in text.splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if line.startswith("experiment,") and i + 1 < len(lines):
            rows = list(csv.reader([line, lines[i + 1]]))
            if len(rows[0]) == len(rows[1]):
                return dict(zip(rows[0], rows[1]))
    return None


# ---------------------------------------------------------------- meta.txt and sizes

def _cmd(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def write_meta(path, args, argv, points):
    cpu_model = ""
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    versions = []
    for pkg in ("libevent-dev", "libpth-dev", "liburing-dev", "wrk", "gnuplot-nox", "gcc"):
        v = _cmd(["dpkg-query", "-W", "-f=${Version}", pkg])
        versions.append(f"{pkg}={v or 'not installed'}")
    rev = _cmd(["git", "-C", ROOT, "rev-parse", "HEAD"]) or "unknown"
    dirty = _cmd(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lines = [
        ("date_utc", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("command", " ".join(argv)),
        ("machine", platform.node()),
        ("kernel", " ".join(platform.uname()[2:4])),
        ("arch", platform.machine()),
        ("cpu_model", cpu_model),
        ("cpus_online", str(os.cpu_count())),
        ("cpus_usable", cpuset_format(os.sched_getaffinity(0))),
        ("memory", (_read("/proc/meminfo") or "").splitlines()[0].split(":", 1)[1].strip()
         if _read("/proc/meminfo") else ""),
        ("server_cpus", args.server_cpus),
        ("client_cpus", args.client_cpus),
        ("pinning", f"taskset -c SERVER_CPUS bin/<model> ...; taskset -c CLIENT_CPUS <client> ...;"
                    f" ousterhout's 2-CPU points: server on {cpuset_format(cpuset_parse(args.server_cpus) | cpuset_parse(args.client_cpus))},"
                    f" client on {args.client_cpus} (shared)"),
        ("client", args.client),
        ("duration_s", f"{args.duration:g}"),
        ("warmup_s", f"{args.warmup:g}"),
        ("reps", str(args.reps)),
        ("experiments", ",".join(args.experiments)),
        ("models", ",".join(args.models)),
        ("points", str(len(points))),
        ("pool_workers", str(POOL_WORKERS)),
        ("request_timeout_ms", str(REQUEST_TIMEOUT_MS)),
        ("ulimit_n_runner", f"{soft}/{hard}"),
        ("ulimit_n_servers_clients", str(fd_limit())),
        ("somaxconn", (_read("/proc/sys/net/core/somaxconn") or "").strip()),
        ("tcp_max_syn_backlog", (_read("/proc/sys/net/ipv4/tcp_max_syn_backlog") or "").strip()),
        ("ip_local_port_range", " ".join((_read("/proc/sys/net/ipv4/ip_local_port_range") or "").split())),
        ("pid_max", (_read("/proc/sys/kernel/pid_max") or "").strip()),
        ("threads_max", (_read("/proc/sys/kernel/threads-max") or "").strip()),
        ("cpu_governor", (_read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "n/a").strip()),
        ("versions", " ".join(versions)),
        ("cc", _cmd(["cc", "--version"]).splitlines()[0] if _cmd(["cc", "--version"]) else ""),
        ("wrk", _cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "not installed"),
        ("python", platform.python_version()),
        ("git_revision", rev + (" (dirty)" if dirty else "")),
    ]
    with open(path, "w") as f:
        for k, v in lines:
            f.write(f"{k}: {v}\n")


def code_lines(path):
    """Non-blank lines that are not only comment, of a C file."""
    text = _read(path) or ""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sum(1 for line in text.splitlines() if line.strip())


def write_model_sizes(path):
    """Each model's own code (servers/<model>/*.c, *.h), for the programmability table."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "files", "code_lines"])
        for m in MODELS + ["common"]:
            d = os.path.join(ROOT, "servers", m)
            files = sorted(n for n in os.listdir(d) if n.endswith((".c", ".h"))) if os.path.isdir(d) else []
            w.writerow([m, len(files), sum(code_lines(os.path.join(d, n)) for n in files)])


# ---------------------------------------------------------------- command line

def fmt_duration(s):
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def describe():
    """The --help epilog: experiments, setups, levels, durations."""
    lines = ["experiments (setup = model[:variant flags][@all CPUs]):"]
    for e in EXPERIMENTS:
        lines.append(f"  {e.name:11s} {e.title}")
        setups = []
        for s in e.setups:
            t = s.model + (f":{s.variant}" if s.variant else "")
            t += f"({' '.join(s.flags)})" if s.flags else ""
            t += "@all" if s.cpus == "all" else ""
            t += f"[{s.client}]" if s.client else ""
            setups.append(t)
        lines.append(f"              setups: {' '.join(setups)}")
        lines.append(f"              conns: {','.join(map(str, e.levels))}   quick: {','.join(map(str, e.quick_levels))}"
                     f"   server flags: {' '.join(e.server_flags) or '-'}")
    lines.append(f"models: {' '.join(MODELS)}")
    lines.append(f"ceilings (keep-alive levels above are marked, not run): "
                 + ", ".join(f"{m} {c}" for m, c in CEILINGS.items()))
    lines.append(f"default: reps {DEFAULT['reps']}, duration {DEFAULT['duration_s']:g} s, warm-up {DEFAULT['warmup_s']:g} s"
                 f" (+1 s per {WARMUP_CONNS_PER_S} connections);"
                 f" --quick: reps {QUICK['reps']}, duration {QUICK['duration_s']:g} s, warm-up {QUICK['warmup_s']:g} s, fewer levels")

    class A:
        pass
    for quick in (False, True):
        a = A()
        a.quick, a.conns, a.reps = quick, None, QUICK["reps"] if quick else DEFAULT['reps']
        a.models, a.client = MODELS, "loadgen"
        a.server_cpus, a.client_cpus = "0", "1"
        a.duration = (QUICK if quick else DEFAULT)["duration_s"]
        a.warmup = (QUICK if quick else DEFAULT)["warmup_s"]
        pts = plan(a, EXPERIMENTS)
        est = sum(point_seconds(p, a, OVERHEAD_GUESS_S) for p in pts)
        lines.append(f"{'quick' if quick else 'default'} sweep: {len(pts)} points, about {fmt_duration(est)}")
    lines.append("output: results/<UTC YYYYmmddTHHMMSSZ>_<name>/ (runs.csv meta.txt *.png *.svg REPORT.md),"
                 " results/latest -> it")
    return "\n".join(lines)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="run_all.sh", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the benchmark sweep: every experiment against every model.",
        epilog=describe())
    ap.add_argument("--quick", action="store_true", help="short sweep: every experiment and model, fewer levels, 1 rep")
    ap.add_argument("--experiments", default=",".join(e.name for e in EXPERIMENTS),
                    help="comma list of experiments (default: all)")
    ap.add_argument("--models", default=",".join(MODELS), help="comma list of models (default: all)")
    ap.add_argument("--conns", help="comma list of connection levels, for every experiment")
    ap.add_argument("--reps", type=int, help=f"repetitions of each point (default {DEFAULT['reps']}, quick {QUICK['reps']})")
    ap.add_argument("--duration", type=float, help=f"measured seconds per point (default {DEFAULT['duration_s']:g},"
                                                   f" quick {QUICK['duration_s']:g})")
    ap.add_argument("--warmup", type=float, help=f"warm-up seconds before measuring (default {DEFAULT['warmup_s']:g},"
                                                 f" quick {QUICK['warmup_s']:g}), plus 1 s per"
                                                 f" {WARMUP_CONNS_PER_S} connections")
    ap.add_argument("--client", choices=["loadgen", "wrk"], default="loadgen",
                    help="client for HTTP points (daytime always uses loadgen)")
    ap.add_argument("--server-cpus", default="0", help="CPUs for the server (taskset list, default 0)")
    ap.add_argument("--client-cpus", default="1", help="CPUs for the client (default 1)")
    ap.add_argument("--out", help="result folder (default results/<UTC time>_<name>; results/latest is only"
                                  " updated for folders under results/)")
    ap.add_argument("--bin", default=os.environ.get("BIN") or os.path.join(ROOT, "bin"),
                    help="where the model binaries and loadgen are (default bin/, or $BIN)")
    ap.add_argument("--no-report", action="store_true", help="skip plots and REPORT.md")
    args = ap.parse_args(argv)

    args.bin = os.path.abspath(args.bin)
    args.experiments = [x for x in args.experiments.split(",") if x]
    bad = [x for x in args.experiments if x not in EXP_BY_NAME]
    if bad:
        ap.error(f"unknown experiment(s) {','.join(bad)}; known: {','.join(EXP_BY_NAME)}")
    args.models = [x for x in args.models.split(",") if x]
    bad = [x for x in args.models if x not in MODELS]
    if bad:
        ap.error(f"unknown model(s) {','.join(bad)}; known: {','.join(MODELS)}")
    try:
        args.conns = [int(x) for x in args.conns.split(",")] if args.conns else None
    except ValueError:
        ap.error("--conns wants a comma list of integers")
    if args.conns and min(args.conns) < 1:
        ap.error("--conns: levels must be >= 1")
    if args.reps is None:
        args.reps = QUICK["reps"] if args.quick else DEFAULT['reps']
    if args.duration is None:
        args.duration = (QUICK if args.quick else DEFAULT)["duration_s"]
    if args.warmup is None:
        args.warmup = (QUICK if args.quick else DEFAULT)["warmup_s"]
    if args.reps < 1 or args.duration <= 0 or args.warmup < 0:
        ap.error("--reps >= 1, --duration > 0 and --warmup >= 0, please")
    usable = os.sched_getaffinity(0)
    for name in ("server_cpus", "client_cpus"):
        try:
            cpus = cpuset_parse(getattr(args, name))
        except ValueError:
            ap.error(f"--{name.replace('_', '-')}: not a CPU list: {getattr(args, name)!r}")
        if not cpus <= usable:
            ap.error(f"--{name.replace('_', '-')}: CPU(s) {cpuset_format(cpus - usable)} not usable here"
                     f" (usable: {cpuset_format(usable)})")
    return args


def preflight(args, points):
    """Everything the sweep needs, checked before the first point."""
    missing = []
    models = sorted({p.setup.model for p in points})
    for m in models:
        if not os.access(os.path.join(args.bin, m), os.X_OK):
            missing.append(f"{args.bin}/{m}")
    clients = {p.client for p in points if not p.ceiling}
    if "loadgen" in clients and not os.access(os.path.join(args.bin, "loadgen"), os.X_OK):
        missing.append(f"{args.bin}/loadgen")
    if "wrk" in clients:
        if not shutil.which("wrk"):
            missing.append("wrk (apt-get install wrk)")
        if not os.path.exists(os.path.join(ROOT, "harness", "wrk_csv.lua")):
            missing.append(os.path.join(ROOT, "harness", "wrk_csv.lua"))
    if not shutil.which("taskset"):
        missing.append("taskset (util-linux)")
    if missing:
        sys.exit("run_all.sh: missing: " + ", ".join(missing) +
                 "\n  build with 'make', or leave the model out with --models / the experiment with --experiments")


def read_max_conns_defaults(args, models):
    """Each model's --max-conns default, from its --help ('... (default N)')."""
    out = {}
    for m in models:
        text = _cmd([os.path.join(args.bin, m), "--help"])
        mm = re.search(r"--max-conns\b[^\n]*?\(default (\d+)\)", text)
        if mm:
            out[m] = int(mm.group(1))
    return out


def result_dir(args):
    if args.out:
        return os.path.abspath(args.out)
    if args.quick and len(args.experiments) == len(EXPERIMENTS):
        name = "quick"
    elif len(args.experiments) == len(EXPERIMENTS):
        name = "all"
    else:
        name = "+".join(args.experiments)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join(ROOT, "results", f"{stamp}_{name}")


def link_latest(out_dir):
    results = os.path.join(ROOT, "results")
    if os.path.dirname(out_dir) != results:
        return
    latest = os.path.join(results, "latest")
    tmp = latest + ".tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.basename(out_dir), tmp)
    os.replace(tmp, latest)


# ---------------------------------------------------------------- main

def summary(row):
    if not row["rps"]:
        return "ceiling, not run" if "ceiling" in row["variant"] else "no result"
    lat = f"p50 {float(row['lat_p50_us']) / 1000:.2f} ms p99 {float(row['lat_p99_us']) / 1000:.2f} ms" \
        if row["lat_p99_us"] else ""
    errs = sum(int(row[c] or 0) for c in COLUMNS if c.startswith("err_"))
    bound = " CLIENT-BOUND" if row["client_bound"] == "1" else ""
    return (f"{float(row['rps']):.0f} rps {lat} srv {row['srv_cpu_pct'] or '?'}% cli {row['cli_cpu_pct'] or '?'}%"
            f"{' errors ' + str(errs) if errs else ''}{bound}")


def main(argv):
    args = parse_args(argv)
    experiments = [EXP_BY_NAME[n] for n in args.experiments]
    points = plan(args, experiments)
    if not points:
        sys.exit("run_all.sh: nothing to run (no model of --models is in the chosen experiments)")
    preflight(args, points)

    out_dir = result_dir(args)
    os.makedirs(out_dir, exist_ok=True)
    cmdline = [os.environ.get("RUN_ALL_ARGV0", "harness/runner.py")] + list(argv)
    write_meta(os.path.join(out_dir, "meta.txt"), args, cmdline, points)
    write_model_sizes(os.path.join(out_dir, "model_sizes.csv"))
    link_latest(out_dir)

    # The runner itself stays off the server's CPUs.
    try:
        os.sched_setaffinity(0, cpuset_parse(args.client_cpus))
    except OSError:
        pass

    runner = Runner(args, out_dir)
    runner.max_conns_default = read_max_conns_defaults(args, {p.setup.model for p in points})
    csv_path = os.path.join(out_dir, "runs.csv")
    new_file = not os.path.exists(csv_path) or os.path.getsize(csv_path) == 0
    csv_file = open(csv_path, "a", newline="")
    writer = csv.DictWriter(csv_file, fieldnames=COLUMNS, lineterminator="\n")
    if new_file:
        writer.writeheader()
        csv_file.flush()

    cpu_path = os.path.join(out_dir, "cpu.csv")
    cpu_new = not os.path.exists(cpu_path) or os.path.getsize(cpu_path) == 0
    cpu_file = open(cpu_path, "a", newline="")
    cpu_writer = csv.writer(cpu_file, lineterminator="\n")
    if cpu_new:
        cpu_writer.writerow(CPU_COLUMNS)

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    overhead = OVERHEAD_GUESS_S
    total_est = sum(point_seconds(p, args, overhead) for p in points)
    print(f"run_all: {len(points)} points, about {fmt_duration(total_est)}; results in {out_dir}", flush=True)
    t_sweep = time.monotonic()
    done_runs, spent_runs = 0, 0.0
    code = 0
    try:
        for i, p in enumerate(points, 1):
            t0 = time.monotonic()
            row = runner.measure(p)
            writer.writerow(row)
            csv_file.flush()
            for r in runner.cpu_rows:
                cpu_writer.writerow(r)
            runner.cpu_rows.clear()
            cpu_file.flush()
            took = time.monotonic() - t0
            if not p.ceiling:
                done_runs += 1
                spent_runs += took - warmup_for(args, p.level) - args.duration
                overhead = max(0.0, spent_runs / done_runs)
            left = sum(point_seconds(q, args, overhead) for q in points[i:])
            print(f"[{i:3d}/{len(points)}] {p.label()}: {summary(row)}  ({took:.1f} s, ETA {fmt_duration(left)})",
                  flush=True)
    except KeyboardInterrupt:
        print("\nrun_all: interrupted; stopping what the runner started, keeping finished rows", file=sys.stderr)
        code = 130
    finally:
        runner.cleanup()
        csv_file.close()
        cpu_file.close()
    elapsed = time.monotonic() - t_sweep
    runner.log.write(f"sweep: {fmt_duration(elapsed)}{' (interrupted)' if code else ''}\n")
    with open(os.path.join(out_dir, "meta.txt"), "a") as f:
        f.write(f"sweep_time: {fmt_duration(elapsed)}{' (interrupted)' if code else ''}\n")
    if code:
        return code
    print(f"run_all: sweep done in {fmt_duration(elapsed)}", flush=True)
    if not args.no_report:
        r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), out_dir])
        if r.returncode != 0:
            print("run_all: report.py failed", file=sys.stderr)
            return 1
    print(f"run_all: {out_dir}/REPORT.md", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)

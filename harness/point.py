"""point.py - running one point of the sweep and building its runs.csv row.

Runner.measure(point) starts the server pinned to the server CPUs (taskset),
waits for its `listening on` line, warms up, runs the client pinned to the
client CPUs (bin/loadgen --csv, or wrk with harness/wrk_csv.lua) while
sampling the server's /proc (sampling.py), stops the server with SIGTERM,
checks that it exited 0 within 2 s, and returns the row (columns: runs.py).
Every process it starts is in its own session, killed on error or Ctrl-C.

A point fails when its server exits (or never prints its listening line) at
start, or dies (crash, SIGKILL, exit) before the client is done: the row then
keeps what identifies the point and leaves every measured column empty, and
Runner.failure says why (the runner writes it to failures.csv; results/README.md).
"""

import csv
import datetime
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import proc
from experiments import PEERS, SATURATED, WARMUP_CONNS_PER_S, Experiment, Setup
from runs import COLUMNS, errors, with_rate
from proc import READY_TIMEOUT_S, STOP_GRACE_S, returncode_text  # noqa: F401  (remote.py takes them from here)
from sampling import Window, cpuset_parse, read_text, sample_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FD_LIMIT = 20000         # RLIMIT_NOFILE for servers and clients
PORTS_PER_SRC_ADDR = 8000   # loadgen stalls with >= 15000 conns from one source address (seen here)
CLIENT_BOUND_FRACTION = 0.90  # client_bound = 1 when the client used >= 90 % of its CPUs,
CLIENT_CPUS_BUSY_FRACTION = 0.95  # or its own CPUs were >= 95 % busy (softirq included)
REQUEST_TIMEOUT_MS = 1000  # client request timeout: shorter than the measured window, so a
                           # connection that gets no answer in it is counted (err_timeout)


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
    rate: int = 0             # > 0: open loop at this offered load (loadgen -R)

    def label(self):
        v = f" {self.setup.variant}" if self.setup.variant else ""
        cpus = f" cpus={self.server_cpus}" if self.setup.cpus != "default" else ""
        rate = f" R={self.rate}" if self.rate else ""
        return f"{self.exp.name} {self.setup.model}{v}{cpus} c={self.level}{rate} {self.client} rep {self.rep}"


def warmup_for(args, level):
    """Warm-up of a point: opening thousands of connections (and the server's
    threads or processes for them) must be over before measuring starts."""
    return args.warmup + level / WARMUP_CONNS_PER_S


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
        p = proc.spawn(argv, preexec_fn=child_setup, **kw)
        self.groups.add(p.pid)
        return p

    def kill_group(self, pgid, sig=signal.SIGKILL):
        proc.kill_group(pgid, sig)

    def done(self, pgid):
        self.groups.discard(pgid)

    def kill_all(self):
        for pgid in list(self.groups):
            self.kill_group(pgid)
        self.groups.clear()


def model_binary(args, model):
    """bin/<model>, or the binary that --extra-model LABEL=PATH runs under that label."""
    extra = getattr(args, "extra_models", {})
    return extra[model][0] if model in extra else server_path(args.bin, model)


def fd_limit():
    """The descriptor limit servers and clients get: FD_LIMIT, or less when an
    unprivileged runner's hard limit is lower."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if os.geteuid() == 0 or hard == resource.RLIM_INFINITY or hard >= FD_LIMIT:
        return FD_LIMIT
    return hard


def server_path(bin_dir, model):
    """A model's binary in bin_dir, or a peer's wrapper in harness/peers/."""
    return os.path.join(ROOT, PEERS[model]) if model in PEERS else os.path.join(bin_dir, model)


def pinned(cpus, argv):
    return ["taskset", "-c", cpus] + argv


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
        self.syscall_rows = []    # rows of syscalls.csv (experiments with count_syscalls)
        self.syscalls = None      # the SyscallCount of the point being run
        self.remote = None        # remote.Hosts when the server runs on another host
        self.failure = None       # why the last point failed (measure() sets it), else None

    def warn(self, point, text):
        line = f"{point.label() if point else '-'}: {text}"
        self.warnings.write(line + "\n")
        self.log.write("WARNING " + line + "\n")
        print(f"  warning: {line}", file=sys.stderr, flush=True)

    def www_root(self):
        """A directory with the SEDA task's 8 KB file (read by the server on every request)."""
        if self.www is None:
            self.www = tempfile.mkdtemp(prefix="bench-www-")
            os.chmod(self.www, 0o755)        # Apache's children (peers) serve as nobody
            line = b"<p>SEDA benchmark: an 8 KB file, read on every request.</p>\n"
            body = (line * (8192 // len(line) + 1))[:8192]
            with open(os.path.join(self.www, "file8k.html"), "wb") as f:
                f.write(body)
        return self.www

    def cleanup(self):
        self.procs.kill_all()
        if self.remote is not None:
            self.remote.cleanup()
        if self.www:
            shutil.rmtree(self.www, ignore_errors=True)

    def server_argv(self, p):
        argv = server_command(p, model_binary(self.args, p.setup.model),
                              self.www_root() if p.exp.needs_file else None, self.max_conns_default)
        return pinned(p.server_cpus, argv)

    def client_argv(self, p, addr, warmup=False):
        ncpu = len(cpuset_parse(p.client_cpus))
        conns = p.exp.normal_conns or p.level   # slowclients: the level is K slow clients beside them
        threads = max(1, min(ncpu, conns))
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
        argv = [os.path.join(self.args.bin, "loadgen"), "-c", str(conns), "-t", str(threads),
                "-d", f"{duration:g}", "--warmup", f"{warm:g}", "--timeout", str(REQUEST_TIMEOUT_MS), "--csv"]
        if p.client == "loadgen-uring":
            argv += ["--io", "uring"]
        if p.rate:
            argv += ["-R", str(p.rate)]
        if not p.exp.keepalive and p.exp.proto == "http":
            argv.append("--close")
        if p.level > PORTS_PER_SRC_ADDR:
            argv += ["--src-addrs", str(math.ceil(p.level / PORTS_PER_SRC_ADDR))]
        if p.exp.think_by_conns and p.exp.think_by_conns.get(p.level):
            argv += ["--think-ms", str(p.exp.think_by_conns[p.level])]     # the think experiment
        argv += list(p.setup.client_flags)
        if p.setup.pipeline > 1:
            argv += ["--pipeline", str(p.setup.pipeline)]
        if p.exp.normal_conns and p.setup.slow:
            argv += ["--slow", f"{p.level}:{p.setup.slow}"]                # the slowclients experiment
        return pinned(p.client_cpus, argv + [url])

    def start_server(self, p):
        argv = self.server_argv(p)
        self.log.write(f"server: {' '.join(argv)}\n")
        self.server_log.write(f"==== {p.label()}\n".encode())
        srv = self.procs.spawn(argv, stdout=subprocess.PIPE, stderr=self.server_log, stdin=subprocess.DEVNULL)
        ready, text, why = proc.wait_ready(srv, READY_TIMEOUT_S)
        if ready is None:
            self.failure = "server " + proc.why_text(why, text, READY_TIMEOUT_S, srv)
            self.warn(p, self.failure)
            self.stop_server(p, srv, quiet=True)
            return None, None
        return srv, ready.addr

    def stop_server(self, p, srv, quiet=False):
        """SIGTERM; the contract wants exit 0 within 2 s and nothing left behind."""
        st = proc.stop(srv, STOP_GRACE_S)
        self.procs.done(srv.pid)
        notes = []
        if st.hung:
            notes.append(f"server still running {STOP_GRACE_S:g} s after SIGTERM; killed")
        elif st.returncode != 0 and not st.was_dead:
            notes.append(f"server {returncode_text(st.returncode)} after SIGTERM (want exit 0)")
        if st.left_behind:
            notes.append("server left processes behind in its group; killed")
        self.log.write(f"server stop: {returncode_text(st.returncode)}"
                       f" rc={st.returncode} in {st.took_s:.2f} s\n")
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
                    if self.syscalls and not self.syscalls.started:
                        self.syscalls.start(self.procs, srv.pid, self.args.duration - 0.1, p.client_cpus)
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
        self.failure = None
        row = {c: "" for c in COLUMNS}
        row.update(experiment=p.exp.name, model=p.setup.model, variant=p.setup.variant,
                   proto=p.exp.proto, workload=p.exp.workload, conns=str(p.exp.normal_conns or p.level),
                   rate_rps=str(p.rate) if p.rate else "",
                   slow_conns=str(p.level if p.exp.normal_conns else 0), pipeline=str(p.setup.pipeline),
                   keepalive="1" if p.exp.keepalive else "0", server_cpus=p.server_cpus,
                   client_cpus=p.client_cpus, rep=str(p.rep), client=p.client,
                   started_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if p.ceiling:
            row["variant"] = "ceiling" if not p.setup.variant else f"{p.setup.variant}:ceiling"
            self.log.write(f"{p.label()}: above the model's ceiling of {p.ceiling} connections, not run\n")
            return row
        if self.remote is not None:
            return self.remote.measure(self, p, row)     # harness/remote.py
        srv, addr = self.start_server(p)
        if srv is None:
            return row
        self.syscalls = SyscallCount() if p.exp.count_syscalls else None
        died = None
        try:
            window = Window()
            warm = warmup_for(self.args, p.level)
            if p.client == "wrk" and warm > 0:
                self.run_client(p, self.client_argv(p, addr, warmup=True), srv, None, 0)
                sample_at = 0.0
            else:
                sample_at = warm if p.client.startswith("loadgen") else 0.0
            text, status, cpu_s, wall = self.run_client(p, self.client_argv(p, addr), srv, window, sample_at)
            if srv.poll() is not None:
                died = returncode_text(srv.returncode)
                self.warn(p, f"server died during the run ({died})")
        finally:
            self.stop_server(p, srv)
        got = parse_client_csv(text)
        if died:
            seen = f"; the client saw {got['requests'] or 0} requests, " \
                   f"{sum(int(got[c] or 0) for c in got if c.startswith('err_'))} errors" if got else ""
            self.failure = f"server {died} during the point{seen}"
            return failed_row(row)
        if got is None:
            self.warn(p, f"client gave no CSV row ({exit_text(status)}); see client-stderr.log")
        elif not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            self.log.write(f"{p.label()}: client {exit_text(status)} (row kept)\n")
        # The client's whole run (connecting, warm-up, measuring): loaded throughout.
        scpus, ccpus = cpuset_parse(p.server_cpus), cpuset_parse(p.client_cpus)
        cbusy, csoft = window.cpu_busy(ccpus)
        sbusy, ssoft = fill_row(row, got, window, p, self.args.duration,
                                cli_cpu_pct=100.0 * cpu_s / max(wall, 1e-6),
                                client_cpus_busy=cbusy if not scpus & ccpus else None)
        row["client"] = p.client
        if self.syscalls:
            self.syscall_rows.append([p.exp.name, p.setup.model, point_variant(p), p.server_cpus,
                                      p.client_cpus, p.level, p.rep] + self.syscalls.result(row["rps"]))
        self.cpu_rows.append(cpu_row(p, sbusy, ssoft, cbusy, csoft))
        return row


# What a failed point's row keeps: the point's identity; the rest stays empty.
IDENTITY = ("experiment", "model", "variant", "proto", "workload", "conns", "rate_rps", "keepalive",
            "server_cpus", "client_cpus", "rep", "client", "started_utc", "slow_conns", "pipeline")


def failed_row(row):
    return {c: (row[c] if c in IDENTITY else "") for c in row}


def server_command(p, binary, root=None, max_conns_default=None, addr=None, quiet=True):
    """The server's command line for point p, local or remote (unpinned): binary, the
    bind address when given, -p 0, the experiment's and the setup's flags, --root for
    the experiments that serve a file, and --max-conns where the model's default is
    below the point's connections (+64 for the client's own slack)."""
    argv = [binary] + (["-a", addr] if addr else []) + ["-p", "0"] + (["--quiet"] if quiet else [])
    argv += list(p.exp.server_flags) + list(p.setup.flags)
    if p.exp.needs_file:
        argv += ["--root", root]
    default = (max_conns_default or {}).get(p.setup.model)
    if p.exp.keepalive and default is not None and p.level + 64 > default:
        argv += ["--max-conns", str(p.level + 64)]
    return argv


def client_bound(cli_cpu_pct, client_cpus, n_clients=1, client_cpus_busy=None):
    """The client_bound rule, one for local and remote points: the clients used
    (nearly) all their CPUs (CLIENT_BOUND_FRACTION of n_clients x client_cpus), or,
    when the client has its CPUs to itself and their busy share is known
    (client_cpus_busy, % of the set), those CPUs were busy anyway: loopback TCP work
    runs in softirq context, charged to no process.  "" when cli_cpu_pct is unknown."""
    try:
        used = float(cli_cpu_pct)
    except (TypeError, ValueError):
        return ""
    bound = used >= CLIENT_BOUND_FRACTION * 100.0 * len(client_cpus) * n_clients
    if client_cpus_busy is not None:
        bound = bound or client_cpus_busy >= 100.0 * CLIENT_CPUS_BUSY_FRACTION
    return "1" if bound else "0"


def delivered(p, row):
    """An open-loop point that got its offered load through: achieved at least SATURATED of
    it, with no errors. (runner.saturated() is its negation.)"""
    try:
        rps = float(row["rps"])
    except (KeyError, ValueError):
        return False
    return errors(row) == 0 and rps >= SATURATED * p.rate


# Columns the client's row never overrides: the runner knows them.
RUNNER_KNOWS = ("experiment", "model", "variant", "workload", "server_cpus", "client_cpus", "rep", "conns")


def fill_row(row, got, window, p, planned_s, n_clients=1, cli_cpu_pct=None, client_cpus_busy=None):
    """Assemble a measured point's runs.csv row, local or remote: the client's CSV row
    (got, a dict; None when there was none), the server's sampled window (columns over
    the client's measured time), cli_cpu_pct where the client did not give one,
    client_bound (client_bound()) and srv_cpu_us_per_req.  Returns the server CPU set's
    (busy %, softirq %) for cpu.csv."""
    for k, v in (got or {}).items():
        if k in row and v != "" and k not in RUNNER_KNOWS:
            row[k] = v
    try:
        measured_s = float(row["duration_s"])       # the client's own measured time
    except ValueError:
        measured_s = planned_s
    row.update(window.columns(measured_s))
    if got is not None and not row["cli_cpu_pct"] and cli_cpu_pct is not None:
        row["cli_cpu_pct"] = f"{cli_cpu_pct:.1f}"
    row["client_bound"] = client_bound(row["cli_cpu_pct"], cpuset_parse(p.client_cpus), n_clients,
                                       client_cpus_busy) or row["client_bound"]
    if p.rate and not p.ceiling and delivered(p, row):
        row["client_bound"] = "0"  # open loop, the offered load delivered: the client was not the limit
    scpus = cpuset_parse(p.server_cpus)
    sbusy, ssoft = window.cpu_busy(scpus)
    row["srv_cpu_us_per_req"] = cpu_us_per_req(sbusy, len(scpus), row["rps"])
    return sbusy, ssoft


def point_variant(p):
    """The variant as cpu.csv and syscalls.csv key it: an open-loop point's carries its offered load
    (runs.with_rate, as runs.csv rows are keyed)."""
    return with_rate(p.setup.variant, p.rate)


def cpu_row(p, sbusy, ssoft, cbusy=None, csoft=None):
    """A cpu.csv row: the point, then the server's and the client's CPU sets' busy and softirq %."""
    return [p.exp.name, p.setup.model, point_variant(p), p.server_cpus, p.client_cpus, p.level, p.rep] + \
        ["" if v is None else f"{v:.1f}" for v in (sbusy, ssoft, cbusy, csoft)]


def cpu_us_per_req(busy_pct, ncpus, rps):
    """srv_cpu_us_per_req: the server CPU set's busy time (softirq included, % of
    the set's capacity over the sampled window) per request served; "" unknown."""
    try:
        rate = float(rps)
    except ValueError:
        return ""
    if busy_pct is None or rate <= 0:
        return ""
    return f"{busy_pct / 100.0 * ncpus * 1e6 / rate:.2f}"


class SyscallCount:
    """The server's system calls over the measured window: perf stat on the
    raw_syscalls:sys_enter tracepoint, attached to the server's threads, on
    the client's CPUs, for the window's length.  A tracepoint costs the
    server a little on each call (the more calls, the more): said in the report."""

    def __init__(self):
        self.started, self.proc, self.seconds, self.note = False, None, 0.0, ""
        self.out = tempfile.NamedTemporaryFile(prefix="perf-", suffix=".txt")

    def start(self, procs, pid, seconds, cpus):
        self.started, self.seconds, self.procs = True, seconds, procs
        perf = shutil.which("perf")
        if not perf:
            self.note = "perf not installed (linux-perf)"
            return
        argv = ["taskset", "-c", cpus, perf, "stat", "-x,", "-o", self.out.name,
                "-e", "raw_syscalls:sys_enter", "-p", str(pid), "--", "sleep", f"{seconds:.2f}"]
        self.proc = procs.spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def result(self, rps):
        """[syscalls, window_s, syscalls_per_req, note] for syscalls.csv."""
        count = None
        if self.proc:
            try:
                _, err = self.proc.communicate(timeout=self.seconds + 10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, err = self.proc.communicate()
            self.procs.done(self.proc.pid)
            text = read_text(self.out.name) or ""
            m = re.search(r"^(\d+),[^,]*,raw_syscalls:sys_enter", text, re.M)
            if m:
                count = int(m.group(1))
            else:
                why = (err.decode("utf-8", "replace").strip() or text.strip() or "no output").splitlines()
                self.note = "perf stat failed: " + why[0][:160]
        elif not self.started:
            self.note = "the client ended before the window"
        self.out.close()
        try:
            per = f"{count / (float(rps) * self.seconds):.4f}" if count is not None and float(rps) > 0 else ""
        except ValueError:
            per = ""
        return ["" if count is None else count, f"{self.seconds:.2f}", per, self.note]


def parse_client_csv(text):
    """The header line and the row after it, as a dict; None when absent."""
    lines = [l for l in text.splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if line.startswith("experiment,") and i + 1 < len(lines):
            rows = list(csv.reader([line, lines[i + 1]]))
            if len(rows[0]) == len(rows[1]):
                return dict(zip(rows[0], rows[1]))
    return None


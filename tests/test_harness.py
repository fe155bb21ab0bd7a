#!/usr/bin/env python3
"""test_harness.py - the benchmark runner, plots and report, as a specification.

    python3 tests/test_harness.py            (BIN=bin/ by default)

Prints "ok - name", "not ok - name: expected X, got Y" or "ok - name # skip why"
per case; exits 0 when every case passed or was skipped, 1 otherwise.

Cases: runs.csv's columns against the contract (runner, loadgen --csv, report
reader); CPU-list parsing; /proc sampling of a process tree; the sweep plan
(ceilings marked, not run); a QUICK bench of two models producing every file;
Ctrl-C keeping finished rows and leaving no process behind; a server killed
mid-point and one that exits at start (fake servers in a --bin folder) each
leaving a failed row, the sweep going on, REPORT.md listing them; plot.py and
report.py on the committed reference CSV (results/reference/runs.csv, else the
quick bench's CSV); a wrong header refused.
"""

import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "harness"))

import experiments  # noqa: E402
import point  # noqa: E402
import proc  # noqa: E402
import runs  # noqa: E402
import runner  # noqa: E402
import sampling  # noqa: E402
import verdicts  # noqa: E402

BIN = os.path.abspath(os.environ.get("BIN") or os.path.join(ROOT, "bin"))

from lib import CONTRACT_COLUMNS  # noqa: E402  (the contract's runs.csv columns)

QUICK_MODELS = ["thread", "epoll"]


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def expect(cond, want, got):
    if not cond:
        raise Fail(f"expected {want}, got {got}")


def have(*names):
    return all(os.access(os.path.join(BIN, n), os.X_OK) for n in names)


def wrk_ready():
    return shutil.which("wrk") is not None and os.path.exists(os.path.join(ROOT, "harness", "wrk_csv.lua"))


def run_all(args, env=None, timeout=300):
    e = dict(os.environ, BIN=BIN)
    e.update(env or {})
    return subprocess.run([os.path.join(ROOT, "run_all.sh")] + args, capture_output=True, text=True,
                          timeout=timeout, env=e)


# ---------------------------------------------------------------- cases

def case_columns_match_contract():
    expect(runs.COLUMNS == CONTRACT_COLUMNS, "harness/runs.py COLUMNS == the contract's columns",
           [c for c in runs.COLUMNS if c not in CONTRACT_COLUMNS] or "a different order")
    expect(len(CONTRACT_COLUMNS) == 43, "43 contract columns", len(CONTRACT_COLUMNS))
    expect(CONTRACT_COLUMNS[-5:-2] == ["conns_served", "fairness_jain", "srv_cpu_us_per_req"],
           "issue 10's three columns appended after started_utc", CONTRACT_COLUMNS[-5:-2])
    expect(CONTRACT_COLUMNS[-2:] == ["slow_conns", "pipeline"],
           "issue 18's slow_conns and pipeline appended last, in that order", CONTRACT_COLUMNS[-2:])


def case_loadgen_csv_header():
    if not have("loadgen"):
        raise Skip(f"no {BIN}/loadgen")
    # Nothing listens on port 1: the run ends with connect errors but still prints its row.
    p = subprocess.run([os.path.join(BIN, "loadgen"), "-c", "1", "-t", "1", "-d", "0.2", "--csv",
                        "http://127.0.0.1:1/"], capture_output=True, text=True, timeout=30)
    lines = p.stdout.splitlines()
    expect(len(lines) >= 2, "a header and a row on stdout", repr(p.stdout[:200]))
    header = next(csv.reader([lines[0]]))
    expect(header == CONTRACT_COLUMNS, "loadgen --csv header == the contract's columns", header)
    got = point.parse_client_csv(p.stdout)
    expect(got is not None and got["client"] == "loadgen", "the runner to parse loadgen's row", got)


def case_cpuset_parse_format():
    table = [("0", {0}, "0"), ("0-1", {0, 1}, "0-1"), ("0,2-4,7", {0, 2, 3, 4, 7}, "0,2-4,7"),
             ("3,1,2", {1, 2, 3}, "1-3")]
    for text, cpus, canonical in table:
        expect(sampling.cpuset_parse(text) == cpus, f"cpuset_parse({text!r}) == {cpus}", sampling.cpuset_parse(text))
        expect(sampling.cpuset_format(cpus) == canonical, f"cpuset_format({cpus}) == {canonical!r}",
               sampling.cpuset_format(cpus))


def case_proc_sampling_counts_children():
    # A shell with two busy children and one sleeping: 3 processes, CPU of the children counted.
    p = subprocess.Popen(["sh", "-c", "sh -c 'while :; do :; done' & sh -c 'while :; do :; done' & sleep 5"],
                         start_new_session=True)
    try:
        time.sleep(0.3)
        a = sampling.sample_server(p.pid)
        time.sleep(0.6)
        b = sampling.sample_server(p.pid)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    expect(b.procs >= 3, "at least 3 processes in the tree (shell, 2 busy children, sleep)", b.procs)
    cpu = b.cpu_s - a.cpu_s
    expect(cpu >= 0.3, "the children's CPU in the tree's total (>= 0.3 s in 0.6 s)", f"{cpu:.2f} s")
    expect(b.rss_kb > 0 and len(b.ctxsw) >= 3, "RSS and per-task context switches", (b.rss_kb, len(b.ctxsw)))


TREE = r"""
import os, sys, time, resource
kids = []
r, w = os.pipe()
for _ in range(200):
    pid = os.fork()
    if pid == 0:
        os.close(w)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:          # 0.2 ms of CPU every 10 ms: under a tick per child
            t = time.process_time()
            while time.process_time() - t < 0.0002:
                pass
            time.sleep(0.01)
        os.read(r, 1)                          # stay alive until the parent says go
        os._exit(0)
    kids.append(pid)
time.sleep(1.5)
print("burnt", flush=True)
sys.stdin.readline()
os.close(w)
for pid in kids:
    os.waitpid(pid, 0)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(ru.ru_utime + ru.ru_stime, flush=True)
"""


def case_proc_sampling_many_small_processes():
    # 200 processes that each run well under a clock tick: /proc/PID/stat alone reads ~0.
    p = subprocess.Popen([sys.executable, "-c", TREE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        time.sleep(0.1)
        a = sampling.sample_server(p.pid)
        expect(p.stdout.readline().strip() == "burnt", "the tree to report 'burnt'", "something else")
        b = sampling.sample_server(p.pid)
        p.stdin.write("go\n")
        p.stdin.flush()
        truth = float(p.stdout.readline())
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    got = b.cpu_s - a.cpu_s
    expect(b.procs >= 201, "201 processes", b.procs)
    expect(truth > 0.05 and abs(got - truth) <= 0.25 * truth + 0.02,
           f"sampled CPU within 25% of the children's getrusage total {truth:.3f} s", f"{got:.3f} s")


def case_every_model_has_a_family():
    missing = [m for m in experiments.MODELS + list(experiments.PEERS) if experiments.family_of(m) == "other"]
    expect(not missing, "every model and peer in one of experiments.FAMILIES", missing)


def case_plan_marks_ceilings():
    args = runner.parse_args(["--experiments", "seda,daytime", "--models", "select,pth,epoll",
                              "--conns", "16,1024,4096", "--reps", "1"])
    pts = runner.plan(args, [experiments.EXP_BY_NAME["seda"], experiments.EXP_BY_NAME["daytime"]])
    ceil = sorted((p.exp.name, p.setup.model, p.level) for p in pts if p.ceiling)
    want = [("seda", "pth", 1024), ("seda", "pth", 4096), ("seda", "select", 1024), ("seda", "select", 4096)]
    expect(ceil == want, f"ceilings only for keep-alive levels above 1000 of select and pth: {want}", ceil)


def case_extra_model_joins_its_models_setups():
    fake = tempfile.mkdtemp(prefix="harness-extra-")
    try:
        student = os.path.join(fake, "fork")
        with open(student, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(student, 0o755)
        args = runner.parse_args(["--experiments", "seda", "--models", "fork", "--conns", "16", "--reps", "1",
                                  "--extra-model", "student=" + student])
        pts = runner.plan(args, [experiments.EXP_BY_NAME["seda"]])
        got = [(p.setup.model, p.setup.variant, point.model_binary(args, p.setup.model)) for p in pts]
        want = [("fork", "", os.path.join(args.bin, "fork")), ("fork", "prefork", os.path.join(args.bin, "fork")),
                ("student", "", student), ("student", "prefork", student)]
        expect(got == want, f"fork's setups, then the same for student run from {student}: {want}", got)
    finally:
        shutil.rmtree(fake, ignore_errors=True)


def case_ceiling_row_written_without_running():
    if not have("select"):
        raise Skip(f"no {BIN}/select")
    out = tempfile.mkdtemp(prefix="harness-test-")
    try:
        r = run_all(["--experiments", "seda", "--models", "select", "--conns", "4096", "--reps", "1",
                     "--out", out, "--no-report"], timeout=60)
        expect(r.returncode == 0, "exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
        rows = runs.load(os.path.join(out, "runs.csv"))
        expect(len(rows) == 1 and rows[0]["variant"] == "ceiling" and rows[0]["rps"] == "",
               "one row, variant 'ceiling', no measurement", rows)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def case_missing_binary_is_a_clear_error():
    fake = tempfile.mkdtemp(prefix="harness-bin-")
    try:
        r = subprocess.run([os.path.join(ROOT, "run_all.sh"), "--bin", fake, "--experiments", "blocking",
                            "--models", "epoll,pth", "--out", os.path.join(fake, "out")],
                           capture_output=True, text=True, timeout=30)
        expect(r.returncode != 0, "a non-zero exit", r.returncode)
        expect(f"{fake}/epoll" in r.stderr and f"{fake}/pth" in r.stderr and "loadgen" in r.stderr,
               "stderr naming every missing binary", r.stderr.strip())
        expect(not os.path.exists(os.path.join(fake, "out")), "no result folder", os.listdir(fake))
    finally:
        shutil.rmtree(fake, ignore_errors=True)


QUICK_OUT = None


def case_quick_bench_produces_every_file():
    global QUICK_OUT
    if not have("loadgen", *QUICK_MODELS):
        raise Skip(f"needs {BIN}/loadgen and {', '.join(QUICK_MODELS)}")
    QUICK_OUT = tempfile.mkdtemp(prefix="harness-quick-")
    args = ["--quick", "--models", ",".join(QUICK_MODELS), "--duration", "0.4", "--warmup", "0.2",
            "--out", QUICK_OUT]
    if not wrk_ready():
        args += ["--experiments", "seda,ousterhout,blocking,daytime"]
    r = run_all(args, timeout=240)
    expect(r.returncode == 0, "run_all.sh --quick to exit 0", f"exit {r.returncode}: {r.stderr[-500:]}")
    for name in ("runs.csv", "meta.txt", "REPORT.md", "model_sizes.csv", "runner.log", "cpu.csv"):
        expect(os.path.getsize(os.path.join(QUICK_OUT, name)) > 0, f"a non-empty {name}", "missing or empty")
    with open(os.path.join(QUICK_OUT, "runs.csv")) as f:
        header = f.readline().strip().split(",")
    expect(header == CONTRACT_COLUMNS, "runs.csv header == the contract's columns", header)
    rows = runs.load(os.path.join(QUICK_OUT, "runs.csv"))
    a = runner.parse_args(args)
    want = len(runner.plan(a, [experiments.EXP_BY_NAME[e] for e in a.experiments]))
    # An open-loop curve (cost's R=...) ends at its first SATURATED point; the rest of it is
    # skipped, and saturation comes early on a loaded machine or under sanitizers.
    skipped = sum(1 for line in r.stdout.splitlines() if "skipped, the curve ended" in line)
    expect(len(rows) == want - skipped, f"{want - skipped} rows (one per planned point, "
           f"{skipped} skipped past a saturated point)", len(rows))
    for row in rows:
        if runs.is_ceiling(row):
            continue
        if row["slow_conns"] not in ("", "0"):
            # slowclients: K slow clients may leave the normal ones nothing (a bounded pool's K >= 64),
            # so no latency, rate or fairness is promised; the row is still complete.
            for col in ("rps", "requests", "srv_cpu_pct", "cli_cpu_pct", "conns_served", "slow_conns", "pipeline"):
                expect(row[col] != "", f"{col} filled in every slowclients row", f"empty in {row['model']} "
                       f"{row['variant']} K={row['slow_conns']}")
            continue
        for col in ("rps", "requests", "lat_p99_us", "srv_cpu_pct", "srv_rss_kb", "cli_cpu_pct", "client_bound",
                    "server_cpus", "client_cpus", "rep", "started_utc"):
            expect(row[col] != "", f"{col} filled in every measured row", f"empty in {row['experiment']} "
                   f"{row['model']} {row['variant']} c={row['conns']}")
        expect(float(row["rps"]) > 0, "rps > 0", f"{row['rps']} in {row['experiment']} {row['model']}")
        cols = ("srv_cpu_us_per_req", "conns_served", "fairness_jain") if row["client"] == "loadgen" \
            else ("srv_cpu_us_per_req",)
        for col in cols:
            expect(row[col] != "", f"{col} filled in every measured {row['client']} row",
                   f"empty in {row['experiment']} {row['model']} {row['variant']} c={row['conns']}")
        if row["client"] == "wrk":
            expect(row["conns_served"] == "" and row["fairness_jain"] == "", "conns_served, fairness_jain empty for wrk",
                   (row["conns_served"], row["fairness_jain"]))
    check_cpu_per_req(QUICK_OUT, rows)
    meta = runs.read_meta(QUICK_OUT)
    for key in ("machine", "kernel", "cpu_model", "server_cpus", "client_cpus", "somaxconn",
                "ip_local_port_range", "versions", "git_revision", "command", "ulimit_n_servers_clients"):
        expect(meta.get(key), f"meta.txt to record {key}", meta.get(key))
    plots = ["seda_all", "ousterhout", "blocking", "daytime"]
    if wrk_ready():
        plots.append("crosscheck")
    for name in plots:
        for ext in ("png", "svg"):
            path = os.path.join(QUICK_OUT, f"{name}.{ext}")
            expect(os.path.exists(path) and os.path.getsize(path) > 1000, f"plot {name}.{ext}", "missing or tiny")
    with open(os.path.join(QUICK_OUT, "REPORT.md")) as f:
        report = f.read()
    for heading in ("## SEDA", "## Events against threads", "## A blocking call", "## Daytime",
                    "**Published claim", "**This run.**", "**Where and why they differ.**"):
        expect(heading in report, f"REPORT.md to contain {heading!r}", "absent")
    if not wrk_ready():
        raise Skip("ran without the crosscheck experiment: wrk or harness/wrk_csv.lua missing")


def check_cpu_per_req(folder, rows):
    """srv_cpu_us_per_req = the server CPU set's busy share (cpu.csv) x CPUs x 1e6 / rps, row by row."""
    with open(os.path.join(folder, "cpu.csv"), newline="") as f:
        busy = list(csv.DictReader(f))       # one row per measured runs.csv row, in the same order
    measured = [r for r in rows if not runs.is_ceiling(r)]
    expect(len(busy) == len(measured), f"{len(measured)} cpu.csv rows", len(busy))
    for row, c in zip(measured, busy):
        expect((c["experiment"], c["model"], c["conns"], c["rep"]) == (row["experiment"], row["model"],
                                                                       str(runs.level_of(row)), row["rep"]),
               "cpu.csv in runs.csv's order (conns: the point's level; slowclients: K)", c)
        if float(row["rps"]) == 0:        # slowclients: a pool that served the normal clients nothing
            expect(row["srv_cpu_us_per_req"] == "", "no CPU per request without requests", row["srv_cpu_us_per_req"])
            continue
        n = len(sampling.cpuset_parse(row["server_cpus"]))
        want = float(c["server_cpus_busy_pct"]) / 100.0 * n * 1e6 / float(row["rps"])
        got = float(row["srv_cpu_us_per_req"])
        # cpu.csv keeps the busy share to 0.1 %: allow that rounding (0.05 % of the CPUs' time).
        rounding = 0.05 / 100.0 * n * 1e6 / float(row["rps"])
        expect(abs(got - want) <= 0.01 * want + rounding + 0.1, f"srv_cpu_us_per_req {want:.2f} (cpu.csv busy x CPUs / rps)",
               f"{got} in {row['experiment']} {row['model']} c={row['conns']}")


def case_cpu_us_per_req():
    table = [((50.0, 1, "100000"), "5.00"), ((100.0, 2, "40000"), "50.00"), ((None, 1, "1000"), ""),
             ((50.0, 1, ""), ""), ((50.0, 1, "0"), "")]
    for args, want in table:
        got = point.cpu_us_per_req(*args)
        expect(got == want, f"cpu_us_per_req{args} == {want!r}", repr(got))


def case_open_loop_delivered_not_client_bound():
    class Win:  # the sampled window, stubbed: no columns of its own, CPU 0 half busy
        def columns(self, measured_s):
            return {}

        def cpu_busy(self, cpus):
            return 50.0, 5.0
    exp = experiments.EXP_BY_NAME["cost"]
    setup = experiments.Setup("epoll")
    table = [  # rate, rps, err_timeout, client CPU % -> client_bound
        (0, "70000", "0", "95.0", "1"),        # closed loop, the client busy: it may be the limit
        (70000, "70000", "0", "96.0", "0"),    # open loop, offered load delivered: not the limit
        (70000, "67000", "0", "96.0", "1"),    # under 97% of it: the client could not deliver
        (70000, "70000", "3", "96.0", "1"),    # errors
        (70000, "70000", "0", "50.0", "0"),
    ]
    for rate, rps, errs, cli, want in table:
        p = point.Point(exp, setup, 1000, 1, "0", "1", "loadgen", rate=rate)
        row = {c: "" for c in runs.COLUMNS}
        row.update(rps=rps, duration_s="2.0", err_timeout=errs, cli_cpu_pct=cli, client_bound="")
        for c in runs.COLUMNS:
            if c.startswith("err_") and not row[c]:
                row[c] = "0"
        point.fill_row(row, None, Win(), p, 2.0)
        expect(row["client_bound"] == want, f"client_bound {want} at rate {rate}, {rps}/s, {errs} errors, "
               f"client {cli}%", row["client_bound"])


def case_half_load_from_the_run():
    exp = experiments.EXP_BY_NAME["readiness"]
    mk = lambda model, variant, rate, rep=1, level=1000: point.Point(
        exp, experiments.Setup(model, variant), level, rep, "0", "1", "loadgen", rate=rate)
    h = runner.HalfLoad()
    h.measured(mk("uring", "", 0), {"rps": "150000"})
    h.measured(mk("epoll", "", 0), {"rps": "123456.7"})
    h.measured(mk("epoll", "", 0, rep=2), {"rps": "20000"})           # a later repetition: not used
    h.measured(mk("epoll", "half", experiments.HALF_LOAD), {"rps": "5"})  # open loop: not used
    got = h.rate(mk("uring", "half", experiments.HALF_LOAD))
    expect(got == 61000, "half of epoll's closed-loop 123,457/s in repetition 1, rounded down to 1,000: 61000",
           repr(got))
    h.measured(mk("epoll", "", 0, rep=1), {"rps": "90000"})
    got = h.rate(mk("epoll", "half", experiments.HALF_LOAD, rep=3))
    expect(got == 61000, "the same half load in every repetition, once resolved", repr(got))
    h2 = runner.HalfLoad()
    h2.measured(mk("uring", "", 0), {"rps": "150000"})
    got = h2.rate(mk("uring", "half", experiments.HALF_LOAD))
    expect(got == 75000, "uring's when epoll did not run: 75000", repr(got))
    got = runner.HalfLoad().rate(mk("uring", "half", experiments.HALF_LOAD))
    expect(got == experiments.HALF_LOAD_FALLBACK_RPS, "the fallback when neither ran", repr(got))


def case_sigint_keeps_rows_and_leaves_nothing():
    if not have("loadgen", "thread"):
        raise Skip(f"needs {BIN}/loadgen and thread")
    out = tempfile.mkdtemp(prefix="harness-int-")
    tag = uuid.uuid4().hex
    try:
        e = dict(os.environ, BIN=BIN, HARNESS_TEST_TAG=tag)
        p = subprocess.Popen([os.path.join(ROOT, "run_all.sh"), "--experiments", "ousterhout", "--models",
                              "thread", "--conns", "10", "--reps", "5", "--duration", "1", "--warmup", "0.2",
                              "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        deadline = time.monotonic() + 60
        csv_path = os.path.join(out, "runs.csv")
        while time.monotonic() < deadline:      # wait for one finished row, then into the next point
            if os.path.exists(csv_path) and sum(1 for _ in open(csv_path)) >= 2:
                break
            time.sleep(0.1)
        time.sleep(0.7)
        p.send_signal(signal.SIGINT)
        try:
            p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            raise Fail("expected the runner to exit within 20 s of SIGINT, got it still running")
        expect(p.returncode == 130, "exit 130 after SIGINT", p.returncode)
        rows = runs.load(csv_path)
        expect(len(rows) >= 1 and all(r["rps"] for r in rows), "every finished row kept, each complete",
               len(rows))
        time.sleep(0.2)
        left = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        if tag.encode() in f.read():
                            left.append(pid)
                except OSError:
                    pass
        expect(not left, "no process of the run left behind", left)
    finally:
        shutil.rmtree(out, ignore_errors=True)


# Fake servers for the failure cases: "thread" exits at start; "epoll" is the real epoll,
# SIGKILLed 0.6 s after it starts (inside the measured second); "select" is the real one.
EXITS_AT_START = """#!/bin/sh
echo "thread: a test server that exits at start" >&2
exit 3
"""
KILLED_MID_POINT = """#!/bin/sh
case " $* " in *" --help "*) exec "{real}" "$@";; esac
(sleep 0.6; kill -KILL $$) &
exec "{real}" "$@"
"""
FAILURE_RUN = None


def failure_run():
    """One sweep over the fake servers (cached for the cases that read it): blocking at 4
    connections, 2 repetitions: thread, thread pool (both exit at start), select (real),
    epoll (killed mid-point), twice. Returns (folder, rows, failures, REPORT.md, stdout)."""
    global FAILURE_RUN
    if FAILURE_RUN:
        return FAILURE_RUN
    if not have("loadgen", "select", "epoll"):
        raise Skip(f"needs {BIN}/loadgen, select and epoll")
    fake = tempfile.mkdtemp(prefix="harness-fail-")
    killed = KILLED_MID_POINT.format(real=os.path.join(BIN, "epoll"))
    for name, text in (("thread", EXITS_AT_START), ("epoll", killed)):
        path = os.path.join(fake, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    for name in ("select", "loadgen"):
        os.symlink(os.path.join(BIN, name), os.path.join(fake, name))
    out = os.path.join(fake, "out")
    r = run_all(["--bin", fake, "--experiments", "blocking", "--models", "thread,select,epoll", "--conns", "4",
                 "--reps", "2", "--duration", "1", "--warmup", "0.2", "--out", out], timeout=180)
    expect(r.returncode == 0, "run_all.sh to finish the sweep with exit 0 despite the failing servers",
           f"exit {r.returncode}: {r.stderr[-500:]}")
    rows = runs.load(os.path.join(out, "runs.csv"))
    fails = runs.load_failures(out)
    with open(os.path.join(out, "REPORT.md")) as f:
        report = f.read()
    FAILURE_RUN = (fake, rows, fails, report, r.stdout)
    return FAILURE_RUN


def check_failed_points(model, reason_part, what):
    fake, rows, fails, report, stdout = failure_run()
    expect(len(rows) == 8, "8 rows (thread, thread pool, select, epoll; 2 repetitions)",
           [(r["model"], r["variant"], r["rep"]) for r in rows])
    mine = [i for i, r in enumerate(rows, 1) if r["model"] == model]
    for i in mine:
        r = rows[i - 1]
        expect(r["rps"] == "" and r["requests"] == "" and r["srv_cpu_pct"] == "" and r["started_utc"],
               f"{model}'s row {i} ({what}) to keep the point and leave the measurements empty",
               {k: v for k, v in r.items() if v})
    listed = {int(f["row"]): f for f in fails if f["model"] == model}
    expect(sorted(listed) == mine, f"failures.csv to list {model}'s rows {mine}", sorted(listed))
    for f in listed.values():
        expect(reason_part in f["reason"], f"the reason to say {reason_part!r}", f["reason"])
        expect(f["reason"] in report.replace("\\|", "|"), "REPORT.md to list the failure with its reason",
               "absent" if "## Failed points" not in report else "a Failed points section without it")
    # The point after each failure ran: select in both repetitions.
    good = [r for r in rows if r["model"] == "select"]
    expect(len(good) == 2 and all(r["rps"] and float(r["rps"]) > 0 for r in good),
           "select measured in both repetitions, after the failed points", [r["rps"] for r in good])
    expect("## Failed points" in report, "a '## Failed points' section in REPORT.md", "none")


def case_server_killed_mid_point():
    check_failed_points("epoll", "killed by SIGKILL during the point", "SIGKILLed mid-point")


def case_server_exits_at_start():
    check_failed_points("thread", "exited 3 at start", "exits at start")


def reference_folder():
    """A folder holding a real runs.csv: the committed reference run, else the quick bench's."""
    ref = os.path.join(ROOT, "results", "reference", "runs.csv")
    src = ref if os.path.exists(ref) else (os.path.join(QUICK_OUT, "runs.csv") if QUICK_OUT else None)
    if not src or not os.path.exists(src):
        raise Skip("no results/reference/runs.csv and no quick bench CSV")
    work = tempfile.mkdtemp(prefix="harness-ref-")
    for name in ("runs.csv", "meta.txt", "model_sizes.csv", "warnings.txt", "cpu.csv"):
        p = os.path.join(os.path.dirname(src), name)
        if os.path.exists(p):
            shutil.copy(p, work)
    return work, src


def plot_clauses(gp):
    """(data file, y column or None, title or None) of every plot clause of a gnuplot script."""
    import re
    out = []
    for m in re.finditer(r"'([^']+\.dat)' using 1:(\d+|\([^ ]*)[^,\n]*?(?:title '([^']*)'|notitle)", gp):
        out.append((m.group(1), int(m.group(2)) if m.group(2).isdigit() else None, m.group(3)))
    return out


def check_plot_scripts(folder, label):
    """What a machine can see of the pictures: every plot clause reads a data file with a
    measured value in the column it draws (no plot of an empty series), and each figure's
    legend has at most one entry per model plus one per marker kind."""
    import plot_lib
    gps = [f for f in os.listdir(os.path.join(folder, "plotdata")) if f.endswith(".png.gp")]
    expect(gps, f"{label}: gnuplot scripts in plotdata/", "none")
    for name in gps:
        gp = open(os.path.join(folder, "plotdata", name)).read()
        clauses = plot_clauses(gp)
        for path, col, _ in clauses:
            with open(os.path.join(folder, path)) as f:
                rows = [l.split() for l in f if l.strip() and not l.startswith("#")]
            expect(rows, f"{label}/{name}: {path} to hold data", "an empty series")
            if col is not None and not path.endswith("bars.dat"):
                expect(any(r[col - 1] != "NaN" for r in rows), f"{label}/{name}: column {col} of {path} measured",
                       "all NaN")
        models = {p for p, _, _ in clauses if not p.endswith("bars.dat")}
        legend = [t for line in gp.splitlines() if not line.startswith("set ")
                  for t in re.findall(r"title '([^']*)'", line)]
        bound = max(len(models), 1) + len(plot_lib.MARKS) + 1   # + a reference line (bars)
        expect(len(legend) <= bound, f"{label}/{name}: at most {bound} legend entries (one per model and marker kind)",
               f"{len(legend)}: {legend}")
        expect(len(legend) == len(set(legend)), f"{label}/{name}: no legend entry twice", legend)


def expected_plots(folder):
    """The PNG files a folder's runs.csv calls for: one or more per section that has points."""
    from sections import SECTIONS
    exps = {r["experiment"] for r in csv.DictReader(open(os.path.join(folder, "runs.csv")))}
    return [sec.NAME for sec in SECTIONS if sec.NAME in exps and sec.NAME not in ("think",)]


def case_plot_runs_on_reference_csv():
    work, src = reference_folder()
    bare = tempfile.mkdtemp(prefix="harness-bare-")
    try:
        shutil.copy(os.path.join(work, "runs.csv"), bare)
        for folder, label in ((work, "reference"), (bare, "bare runs.csv")):
            r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "plot.py"), folder],
                               capture_output=True, text=True, timeout=300)
            expect(r.returncode == 0, f"plot.py on {label} ({src}) to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
            made = [l for l in r.stdout.splitlines() if l.endswith((".png", ".svg"))]
            expect(len(made) >= 2 and all(os.path.getsize(m) > 1000 for m in made), f"{label}: PNG and SVG files", made)
            pngs = {os.path.basename(m)[:-4] for m in made if m.endswith(".png")}
            for exp in expected_plots(folder):
                want = exp.replace("-", "_")
                expect(any(p == want or p.startswith(want + "_") for p in pngs), f"{label}: a plot for {exp}",
                       sorted(pngs))
            check_plot_scripts(folder, label)
        seda = open(os.path.join(work, "plotdata", "seda_all.png.gp")).read()
        models = {r["model"] + (" " + r["variant"] if r["variant"] else "")
                  for r in csv.DictReader(open(os.path.join(work, "runs.csv"))) if r["experiment"] == "seda"}
        import plot_lib
        entries = sum(len(re.findall(r"title '", line)) for line in seda.splitlines() if not line.startswith("set "))
        expect(entries <= len(models) + len(plot_lib.MARKS), "the SEDA figure's legend: one entry per model and"
               f" marker kind (<= {len(models) + len(plot_lib.MARKS)})", entries)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(bare, ignore_errors=True)


def case_report_runs_on_reference_csv():
    work, src = reference_folder()
    try:
        r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), work],
                           capture_output=True, text=True, timeout=120)
        expect(r.returncode == 0, f"report.py on {src} to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
        with open(os.path.join(work, "REPORT.md")) as f:
            text = f.read()
        expect("# Benchmark report" in text and "Traceback" not in text, "a REPORT.md", text[:200])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def case_report_refuses_wrong_header():
    work = tempfile.mkdtemp(prefix="harness-bad-")
    try:
        with open(os.path.join(work, "runs.csv"), "w") as f:
            f.write("experiment,model,rps\nseda,thread,1\n")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), work],
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 1 and "header" in r.stderr, "exit 1 naming the header", (r.returncode, r.stderr))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def synthetic_row(exp, model, variant, conns, rep, rps, served, fairness, bound="0"):
    row = dict.fromkeys(CONTRACT_COLUMNS, "")
    row.update(experiment=exp, model=model, variant=variant, proto="http", workload="file8k", conns=str(conns),
               keepalive="1", server_cpus="0", client_cpus="1", rep=str(rep), duration_s="1.5",
               requests=str(int(rps * 1.5)), rps=str(rps), lat_p50_us="1000", lat_p90_us="2000",
               lat_p99_us="3000", lat_p999_us="4000", lat_max_us="5000", srv_cpu_pct="95.0",
               srv_rss_kb="10000", srv_threads="65", srv_procs="1", cli_cpu_pct="50.0", client_bound=bound,
               client="loadgen", conns_served=str(served), fairness_jain=str(fairness),
               srv_cpu_us_per_req=f"{1e6 / rps:.2f}", **{c: "0" for c in CONTRACT_COLUMNS if c.startswith("err_")})
    return row


def write_synthetic(folder, rows):
    with open(os.path.join(folder, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CONTRACT_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def case_starved_marker_and_fairness_lines():
    work = tempfile.mkdtemp(prefix="harness-starved-")
    try:
        rows = []
        for rep in (1, 2, 3):
            rows += [synthetic_row("seda", "thread", "pool", 16, rep, 60000 + rep, 16, 0.99),
                     synthetic_row("seda", "thread", "pool", 16384, rep, 50000 + rep, 64, 0.0039),
                     synthetic_row("seda", "epoll", "", 16, rep, 90000 + 1000 * rep, 16, 1.0),
                     synthetic_row("seda", "epoll", "", 16384, rep, 70000 + rep, 16384, 0.97, bound="1")]
        write_synthetic(work, rows)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), work],
                           capture_output=True, text=True, timeout=120)
        expect(r.returncode == 0, "report.py to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
        with open(os.path.join(work, "REPORT.md")) as f:
            text = f.read()
        for want in ("(starved: 64 of 16,384 served)", "**Who was served.**",
                     "| thread pool | 16,384 | 64 (0%) | 0.004 | starved |", "| epoll | 16,384 | 16,384 (100%) | 0.970 |  |",
                     "SEDA's point about bounded pools", "thread pool served 64 of 16,384 connections (fairness 0.004)",
                     "repetition spread | min–max of the repetitions at the event servers' SEDA peak",
                     "epoll 2.2% (91,000–93,000 around 92,000 at 16 conns, 3 reps)"):
            expect(want in text, f"REPORT.md to contain {want!r}", "absent")
        expect("(starved" not in text.split("| epoll |")[1].split("\n")[0], "epoll not marked starved", "marked")
        gp = open(os.path.join(work, "plotdata", "seda_all.png.gp")).read()
        entries = [l for l in gp.splitlines() if "title 'starved" in l]
        expect(len(entries) == 1, "one legend entry for the starved marker kind", entries or "none")
        expect("64 of 16384" not in gp, "no per-point served count in the picture (REPORT.md has it)", "found")
        verdict_rows = [l for l in text.split("## Verdicts", 1)[1].split("\n## ", 1)[0].splitlines()
                        if l.startswith("| ") and not l.startswith("| claim")]
        expect(len(verdict_rows) == len(verdicts.CLAIMS), "one verdict row per published claim", len(verdict_rows))
        for claim, verdict in (("SEDA fig. 2", None), ("SEDA fig. 4", "partly"), ("Ousterhout 1995", "not run"),
                               ("von Behren", "not run"), ("The IOCP rationale", "not run"), ("Comer", "not run")):
            row = [l for l in verdict_rows if claim in l]
            expect(len(row) == 1, f"one verdict row for {claim}", len(row))
            if verdict:
                expect(f"| {verdict} |" in row[0] or f"**{verdict}**" in row[0], f"{claim}: {verdict}", row[0])
        # SEDA fig. 2 needs thread per connection; only the pool ran here.
        expect("| not run |" in [l for l in verdict_rows if "SEDA fig. 2" in l][0], "SEDA fig. 2 not run", verdict_rows[0])
        expect("(#seda-throughput-and-latency-against-connections-figures-2-and-4)" in verdict_rows[1],
               "SEDA fig. 4's row links to its section", verdict_rows[1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def case_verdict_registry():
    import verdicts

    class Mod:
        NAME = "demo"

        @staticmethod
        def verdicts(run):
            return [verdicts.Verdict("comer", "partly", "42"), verdicts.Verdict("new-claim", "reproduced", "7")]
    got = verdicts.section(None, [Mod], {"demo": "#demo"})
    lines = [l for l in got.splitlines() if l.startswith("| ") and not l.startswith("| claim")]
    expect(len(lines) == len(verdicts.CLAIMS) + 1, "one row per registered claim plus the new one", len(lines))
    expect(lines[-1] == "| new-claim | **reproduced** | 7 | [demo](#demo) |", "an unregistered claim's own row", lines[-1])
    comer = [l for l in lines if l.startswith("| Comer")][0]
    expect("**partly** | 42 | [demo](#demo)" in comer, "a section's row replaces 'not run'", comer)

    class Bad(Mod):
        @staticmethod
        def verdicts(run):
            return [verdicts.Verdict("comer", "maybe", "")]
    try:
        verdicts.section(None, [Bad], {})
        raise Fail("expected a ValueError for verdict 'maybe'")
    except ValueError:
        pass


def peer_tree(pid):
    """Every descendant pid of pid."""
    return [p for p, _ in __import__("peerlib").descendants(pid)]


def peer_serves(name, root):
    """Start a peer wrapper; return (status line, body of /, body of /a.txt with --root) and check it stops."""
    argv = [os.path.join(ROOT, "harness", "peers", name), "-p", "0"] + (["--root", root] if root else [])
    p, ready, text, why = proc.start(argv, proc.READY_TIMEOUT_S, stderr=subprocess.PIPE)
    try:
        expect(ready and ready.host == "127.0.0.1", f"{name}: a listening line", (text, why, p.poll()))
        port = ready.port
        tree = peer_tree(p.pid)
        expect(tree, f"{name}: the real server running under the wrapper", tree)
        cwd = os.readlink(f"/proc/{tree[0]}/cwd")      # the wrapper starts it in its temp dir
        tmp = [cwd] if cwd.startswith(os.path.join(tempfile.gettempdir(), "peer-")) else []
        expect(tmp and os.path.isdir(tmp[0]), f"{name}: the server running in the wrapper's temp dir", cwd)
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/a.txt" if root else "/")
        resp = c.getresponse()
        body = resp.read()
        c.request("GET", "/a.txt" if root else "/any/path")       # the same keep-alive connection
        resp2 = c.getresponse()
        body2 = resp2.read()
        c.close()
        want = b"peer file\n" if root else b"Hello, World!"
        expect(resp.status == 200 and body == want and resp2.status == 200 and body2 == want,
               f"{name}: 200 {want!r} twice on one connection", (resp.status, body, resp2.status, body2))
        st = proc.stop(p, 5.0)
        expect(st.returncode == 0 and st.took_s < 2.0, f"{name}: exit 0 within 2 s of SIGTERM",
               (st.returncode, f"{st.took_s:.2f} s", p.stderr.read()[-300:]))
        deadline = time.monotonic() + 1
        while any(os.path.exists(f"/proc/{k}") for k in tree) and time.monotonic() < deadline:
            time.sleep(0.02)
        left = [k for k in tree if os.path.exists(f"/proc/{k}")]
        expect(not left, f"{name}: no server process left", left)
        expect(not os.path.exists(tmp[0]), f"{name}: its temp dir removed", tmp[0])
    finally:
        if p.poll() is None:                  # a failed case: let the wrapper clean up, then make sure
            proc.stop(p, 3.0)


def case_peer_wrappers_serve_and_stop():
    sys.path.insert(0, os.path.join(ROOT, "harness", "peers"))
    checks = [("nginx", "/usr/sbin/nginx", "nginx-light"), ("apache-event", "/usr/sbin/apache2", "apache2"),
              ("apache-prefork", "/usr/sbin/apache2", "apache2")]
    root = tempfile.mkdtemp(prefix="harness-peer-root-")
    os.chmod(root, 0o755)
    with open(os.path.join(root, "a.txt"), "w") as f:
        f.write("peer file\n")
    missing = []
    try:
        for name, binary, pkg in checks:
            if not os.access(binary, os.X_OK):
                missing.append(f"{name} ({binary} missing: apt-get install {pkg})")
                continue
            peer_serves(name, None)
            peer_serves(name, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if missing:
        raise Skip("; ".join(missing))


def case_peer_wrapper_bad_flag():
    r = subprocess.run([os.path.join(ROOT, "harness", "peers", "nginx"), "--proto", "daytime"],
                       capture_output=True, text=True, timeout=30)
    expect(r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
           and "daytime" in r.stderr, "exit 2, one line naming --proto daytime", (r.returncode, r.stderr))


def case_dry_run_plans_without_running():
    out = tempfile.mkdtemp(prefix="harness-dry-")
    try:
        r = run_all(["--dry-run", "--out", os.path.join(out, "x")], timeout=60)
        expect(r.returncode == 0, "exit 0", (r.returncode, r.stderr[-300:]))
        names = [l.split()[0] for l in r.stdout.splitlines()[1:]]
        want = [e.name for e in experiments.EXPERIMENTS] + ["total"]
        expect(names == want, f"one line per experiment and a total: {want}", names)
        args = runner.parse_args([])
        pts = runner.plan(args, experiments.EXPERIMENTS)
        total = r.stdout.splitlines()[-1].split()
        expect(int(total[1]) == len(pts), f"{len(pts)} points in the total", total)
        expect(runner.fmt_duration(sum(runner.point_seconds(p, args, runner.OVERHEAD_GUESS_S) for p in pts))
               == total[3], "the total time the runner's ETA uses", total)
        expect(not os.path.exists(os.path.join(out, "x")), "no result folder", os.listdir(out))
        r = run_all(["--dry-run", "--experiments", "peers"], timeout=60)
        names = [l.split()[0] for l in r.stdout.splitlines()[1:]]
        expect(names == ["peers-file8k", "peers-hello", "total"], "--experiments peers = its two experiments", names)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def case_one_worker_verdict_against_each_setup():
    """FAQ A5's row compares 1 worker with every setup of more workers, not with the best of them:
    with the server on one CPU the default (r1) and w2 are one setup measured twice."""
    def verdict_for(w2_rps):
        work = tempfile.mkdtemp(prefix="harness-a5-")
        try:
            rows = []
            for rep, (r1, w1, w2) in enumerate(zip((99000, 110000, 87000), (86000, 71000, 79000), w2_rps), 1):
                rows += [synthetic_row("hassles", "iocp-emul", v, 1000, rep, rps, 1000, 1.0)
                         for v, rps in (("r1", r1), ("w1", w1), ("w2", w2))]
            write_synthetic(work, rows)
            r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), work],
                               capture_output=True, text=True, timeout=120)
            expect(r.returncode == 0, "report.py to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
            text = open(os.path.join(work, "REPORT.md")).read()
            row = [l for l in text.splitlines() if l.startswith("| IOCP article FAQ A5")]
            expect(len(row) == 1, "one FAQ A5 verdict row", row)
            return row[0]
        finally:
            shutil.rmtree(work, ignore_errors=True)
    row = verdict_for((118000, 72000, 77000))  # w2 overlaps w1; r1 lies above it
    expect("**within noise**" in row and "w2 workers" in row and "default workers" in row,
           "within noise, naming both setups", row)
    row = verdict_for((95000, 100000, 90000))  # both lie above w1
    expect("**not reproduced**" in row, "not reproduced", row)


def case_hassles_early_receives_column():
    """The hassles table counts receives handled ahead of their turn from the exit lines that
    carry early_receives (summed over repetitions), and has no such column when none do (runs
    before the figure existed, like the committed reference)."""
    def table_of(exit_lines):
        work = tempfile.mkdtemp(prefix="harness-early-")
        try:
            rows, log = [], []
            for rep in (1, 2, 3):
                for v, rps in (("r1", 90000 + rep), ("r4-p8", 400000 + rep)):
                    rows.append(synthetic_row("hassles", "iocp-emul", v, 1000, rep, rps, 1000, 1.0))
                    log += [f"==== hassles iocp-emul {v} c=1000 loadgen rep {rep}",
                            "iocp-emul: backend io_uring, 2 workers, concurrency 1, 1004 connections",
                            exit_lines[(v, rep)]]
            write_synthetic(work, rows)
            with open(os.path.join(work, "server-stderr.log"), "w") as f:
                f.write("\n".join(log) + "\n")
            r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "report.py"), work],
                               capture_output=True, text=True, timeout=120)
            expect(r.returncode == 0, "report.py to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
            text = open(os.path.join(work, "REPORT.md")).read()
            sec = text[text.index("## The IOCP article's hassles"):]
            return [l for l in sec.splitlines() if l.startswith("|")][:4]
        finally:
            shutil.rmtree(work, ignore_errors=True)
    base = "iocp-emul: stopped; posted_buffer_peak_bytes=4096000 posted_buffer_exit_bytes=0 nobufs=0 " \
           "zero_byte_fallbacks=0"
    lines = table_of({(v, rep): base + (f" early_receives={rep * 10 if v == 'r4-p8' else 0}")
                      for v in ("r1", "r4-p8") for rep in (1, 2, 3)})
    expect("early receives" in lines[0], "an 'early receives' column", lines[:1])
    r1 = [l for l in lines if l.startswith("| iocp-emul r1 ")]
    r4 = [l for l in lines if l.startswith("| iocp-emul r4-p8 ")]
    expect(r1 and r1[0].rstrip(" |").endswith("| 0"), "r1: 0 early receives", r1)
    expect(r4 and r4[0].rstrip(" |").endswith("| 60"), "r4-p8: 10 + 20 + 30 = 60 early receives", r4)
    lines = table_of({(v, rep): base for v in ("r1", "r4-p8") for rep in (1, 2, 3)})
    expect("early receives" not in lines[0], "no such column when no exit line counts them", lines[:1])


CASES = [
    ("runs.csv columns match the contract", case_columns_match_contract),
    ("FAQ A5's verdict compares 1 worker with each setup of more", case_one_worker_verdict_against_each_setup),
    ("the hassles table counts early receives where exit lines carry them", case_hassles_early_receives_column),
    ("loadgen --csv header matches the contract", case_loadgen_csv_header),
    ("CPU lists parse and format", case_cpuset_parse_format),
    ("/proc sampling sums a process tree", case_proc_sampling_counts_children),
    ("/proc sampling counts 200 processes' sub-tick CPU", case_proc_sampling_many_small_processes),
    ("every model and peer belongs to a family (experiments.FAMILIES)", case_every_model_has_a_family),
    ("plan marks select/pth above 1000 keep-alive conns as ceiling", case_plan_marks_ceilings),
    ("--extra-model runs another binary in its model's setups", case_extra_model_joins_its_models_setups),
    ("a ceiling point is written, not run", case_ceiling_row_written_without_running),
    ("a missing model binary is a clear error", case_missing_binary_is_a_clear_error),
    ("quick bench of two models produces every file", case_quick_bench_produces_every_file),
    ("Ctrl-C keeps finished rows, exits 130, leaves nothing", case_sigint_keeps_rows_and_leaves_nothing),
    ("a server SIGKILLed mid-point: failed row, sweep goes on, REPORT.md lists it", case_server_killed_mid_point),
    ("a server that exits at start: failed row, sweep goes on, REPORT.md lists it", case_server_exits_at_start),
    ("plot.py on the reference and on a bare runs.csv: every plot, legends bounded, no empty series",
     case_plot_runs_on_reference_csv),
    ("report.py runs on the reference CSV", case_report_runs_on_reference_csv),
    ("report.py refuses a runs.csv with the wrong header", case_report_refuses_wrong_header),
    ("srv_cpu_us_per_req from the CPU set's busy share", case_cpu_us_per_req),
    ("an open-loop point that delivered its load is not client-bound", case_open_loop_delivered_not_client_bound),
    ("the ablation's half load is half of epoll's closed-loop rate in the run", case_half_load_from_the_run),
    ("a starved point: marker, legend entry, SEDA fairness lines, verdict rows", case_starved_marker_and_fairness_lines),
    ("verdict registry: sections add rows, unknown verdicts refused", case_verdict_registry),
    ("peer wrappers serve /, --root files, stop on SIGTERM, leave nothing", case_peer_wrappers_serve_and_stop),
    ("a peer wrapper refuses an unsupported flag in one line", case_peer_wrapper_bad_flag),
    ("--dry-run prints the plan and its total, runs nothing", case_dry_run_plans_without_running),
]


def main(argv):
    only = argv[0] if argv else None
    failed = 0
    for name, fn in CASES:
        if only and only not in name:
            continue
        try:
            fn()
            print(f"ok - harness {name}", flush=True)
        except Skip as e:
            print(f"ok - harness {name} # skip {e}", flush=True)
        except Fail as e:
            failed += 1
            print(f"not ok - harness {name}: {e}", flush=True)
        except Exception as e:       # a crash of the case is a failure, with its cause
            failed += 1
            print(f"not ok - harness {name}: crashed: {type(e).__name__}: {e}", flush=True)
    if QUICK_OUT:
        shutil.rmtree(QUICK_OUT, ignore_errors=True)
    if FAILURE_RUN:
        shutil.rmtree(FAILURE_RUN[0], ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

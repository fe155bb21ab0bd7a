#!/usr/bin/env python3
"""test_harness.py - the benchmark runner, plots and report, as a specification.

    python3 tests/test_harness.py            (BIN=bin/ by default)

Prints "ok - name", "not ok - name: expected X, got Y" or "ok - name # skip why"
per case; exits 0 when every case passed or was skipped, 1 otherwise.

Cases: runs.csv's columns against the contract (runner, loadgen --csv, report
reader); CPU-list parsing; /proc sampling of a process tree; the sweep plan
(ceilings marked, not run); a QUICK bench of two models producing every file;
Ctrl-C keeping finished rows and leaving no process behind; plot.py and
report.py on the committed reference CSV (results/reference/runs.csv, else the
quick bench's CSV); a wrong header refused.
"""

import csv
import os
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
import runs  # noqa: E402
import runner  # noqa: E402
import sampling  # noqa: E402

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
    expect(len(CONTRACT_COLUMNS) == 41, "41 contract columns", len(CONTRACT_COLUMNS))


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


def case_plan_marks_ceilings():
    args = runner.parse_args(["--experiments", "seda,daytime", "--models", "select,pth,epoll",
                              "--conns", "16,1024,4096", "--reps", "1"])
    pts = runner.plan(args, [experiments.EXP_BY_NAME["seda"], experiments.EXP_BY_NAME["daytime"]])
    ceil = sorted((p.exp.name, p.setup.model, p.level) for p in pts if p.ceiling)
    want = [("seda", "pth", 1024), ("seda", "pth", 4096), ("seda", "select", 1024), ("seda", "select", 4096)]
    expect(ceil == want, f"ceilings only for keep-alive levels above 1000 of select and pth: {want}", ceil)


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
    expect(len(rows) == want, f"{want} rows (one per planned point)", len(rows))
    for row in rows:
        if runs.is_ceiling(row):
            continue
        for col in ("rps", "requests", "lat_p99_us", "srv_cpu_pct", "srv_rss_kb", "cli_cpu_pct", "client_bound",
                    "server_cpus", "client_cpus", "rep", "started_utc"):
            expect(row[col] != "", f"{col} filled in every measured row", f"empty in {row['experiment']} "
                   f"{row['model']} {row['variant']} c={row['conns']}")
        expect(float(row["rps"]) > 0, "rps > 0", f"{row['rps']} in {row['experiment']} {row['model']}")
    meta = runs.read_meta(QUICK_OUT)
    for key in ("machine", "kernel", "cpu_model", "server_cpus", "client_cpus", "somaxconn",
                "ip_local_port_range", "versions", "git_revision", "command", "ulimit_n_servers_clients"):
        expect(meta.get(key), f"meta.txt to record {key}", meta.get(key))
    plots = ["seda_fig2", "seda_fig4", "seda_all", "ousterhout", "blocking", "daytime"]
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


def case_plot_runs_on_reference_csv():
    work, src = reference_folder()
    try:
        r = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "plot.py"), work],
                           capture_output=True, text=True, timeout=120)
        expect(r.returncode == 0, f"plot.py on {src} to exit 0", f"exit {r.returncode}: {r.stderr[-300:]}")
        made = [l for l in r.stdout.splitlines() if l.endswith((".png", ".svg"))]
        expect(len(made) >= 2 and all(os.path.getsize(m) > 1000 for m in made), "PNG and SVG files", made)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


CASES = [
    ("runs.csv columns match the contract", case_columns_match_contract),
    ("loadgen --csv header matches the contract", case_loadgen_csv_header),
    ("CPU lists parse and format", case_cpuset_parse_format),
    ("/proc sampling sums a process tree", case_proc_sampling_counts_children),
    ("/proc sampling counts 200 processes' sub-tick CPU", case_proc_sampling_many_small_processes),
    ("plan marks select/pth above 1000 keep-alive conns as ceiling", case_plan_marks_ceilings),
    ("a ceiling point is written, not run", case_ceiling_row_written_without_running),
    ("a missing model binary is a clear error", case_missing_binary_is_a_clear_error),
    ("quick bench of two models produces every file", case_quick_bench_produces_every_file),
    ("Ctrl-C keeps finished rows, exits 130, leaves nothing", case_sigint_keeps_rows_and_leaves_nothing),
    ("plot.py runs on the reference CSV", case_plot_runs_on_reference_csv),
    ("report.py runs on the reference CSV", case_report_runs_on_reference_csv),
    ("report.py refuses a runs.csv with the wrong header", case_report_refuses_wrong_header),
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

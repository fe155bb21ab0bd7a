#!/usr/bin/env python3
"""runner.py - run the experiment sweep and write results/<UTC time>_<name>/.

For every point (experiment, model, level, repetition) the runner starts the
server pinned to the server CPUs (`taskset`), waits for its `listening on` line,
runs the client pinned to the client CPUs (bin/loadgen --csv, or wrk with
harness/wrk_csv.lua), samples the server's /proc during the measured window,
stops the server with SIGTERM, checks that it exited 0 within 2 s, and appends
one row to runs.csv (flushed).  Then it writes meta.txt and calls report.py
for the plots and REPORT.md.

This file is the command line, the plan, progress and the sweep loop; what
the experiments are is harness/experiments.py, one point is harness/point.py,
/proc sampling harness/sampling.py, meta.txt harness/meta.py (harness/README.md).

Python 3 standard library only.  See results/README.md for what every column
means and how the server-side columns are measured; ./run_all.sh --help for the
experiments, levels and flags.

Limits: Linux only (/proc, taskset).  Context switches are per task in /proc,
so tasks that end inside the window are lost; srv_ctxsw_* is left empty then.
"""

import argparse
import csv
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

from experiments import CEILINGS, DEFAULT, EXP_BY_NAME, EXPERIMENTS, GROUPS, HALF_LOAD, HALF_LOAD_FALLBACK_RPS, \
    MODELS, PEERS, QUICK, SATURATED, \
    WARMUP_CONNS_PER_S
from meta import run_cmd, write_meta, write_model_sizes
import remote
from point import ROOT, Point, Runner, delivered, fd_limit, model_binary, warmup_for
import runs
from runs import COLUMNS, CPU_COLUMNS, FAILURE_COLUMNS, SYSCALL_COLUMNS
from sampling import cpuset_format, cpuset_parse

OVERHEAD_GUESS_S = 0.2   # start, ready line, stop, per point (refined while running)
URING_CLIENT_MAX_CONNS = 8192   # above: loadgen's epoll loop (--io uring saw more timeouts at 16384
                                # than epoll on a loaded machine; not yet understood)


# ---------------------------------------------------------------- plan

def plan(args, experiments):
    """Every point of the sweep in run order: experiment, repetition, setup, level."""
    points = []
    server_cpus, client_cpus = cpuset_parse(args.server_cpus), cpuset_parse(args.client_cpus)
    all_cpus = cpuset_format(server_cpus | client_cpus)
    names = {e.name for e in experiments}
    for exp in experiments:
        levels = args.conns or (exp.quick_levels if args.quick else exp.levels)
        rates = (exp.quick_rates if args.quick else exp.rates) or [0]
        setups = [s for s in exp.setups if s.model in args.models and s.stand_in not in names
                  and (s.quick or not args.quick)]
        for label, (_, base) in getattr(args, "extra_models", {}).items():
            setups += [replace(s, model=label) for s in exp.setups if s.model == base]
        for rep in range(1, args.reps + 1):
            for setup in (s for s in setups if not s.reps or rep <= s.reps):
                client = setup.client or args.client
                if exp.proto != "http" and client == "wrk":
                    client = "loadgen"          # wrk speaks HTTP only
                if client == "loadgen-uring" and not getattr(args, "uring_ok", True):
                    client = "loadgen"          # io_uring refused here (said once at the start)
                for level in ([c for c in setup.conns if not args.conns or c in args.conns] or
                              ([] if setup.conns else levels)):
                    if level in setup.skip_levels:
                        continue
                    for rate in setup.rates or rates:
                        cl = client
                        if rate and cl == "wrk":
                            cl = "loadgen-uring" if getattr(args, "uring_ok", True) else "loadgen"
                        if cl == "loadgen-uring" and (level > URING_CLIENT_MAX_CONNS or setup.slow or
                                                      setup.pipeline > 1):
                            cl = "loadgen"              # the io_uring loop has no --slow, --pipeline
                        p = Point(exp, setup, level, rep,
                                  all_cpus if setup.cpus == "all" else cpuset_format(server_cpus),
                                  cpuset_format(client_cpus), cl, rate=rate)
                        if exp.keepalive:
                            limit = min(CEILINGS.get(setup.model, fd_limit() - 100), fd_limit() - 100)
                            if level > limit:
                                p.ceiling = limit
                        points.append(p)
    return points


def curve_key(p):
    """The open-loop curve a point belongs to: a saturated point ends it for that repetition."""
    return (p.exp.name, p.setup.model, p.setup.variant, p.setup.cpus, p.level, p.rep)


def saturated(p, row):
    """An open-loop point that did not get its offered load through: achieved under
    SATURATED of it, errors, or no result at all."""
    return bool(p.rate) and not p.ceiling and not delivered(p, row)


def rate_text(r):
    return "half" if r == HALF_LOAD else str(r) if r else "closed"


class HalfLoad:
    """The ablation's half load (experiments.HALF_LOAD), resolved when first needed: half of
    epoll's closed-loop requests/s at the same level in the experiment's first repetition (else
    uring's), rounded down to 1,000; then the same for every repetition."""

    def __init__(self):
        self.closed = {}                # (experiment, model, variant, level) -> rps of repetition 1
        self.resolved = {}              # (experiment, level) -> (rate, how it was found)

    def measured(self, p, row):
        if p.rate == 0 and p.rep == 1 and not p.ceiling:
            try:
                self.closed[(p.exp.name, p.setup.model, p.setup.variant, p.level)] = float(row["rps"])
            except (KeyError, ValueError):
                pass

    def rate(self, p):
        key = (p.exp.name, p.level)
        if key not in self.resolved:
            for model in ("epoll", "uring"):
                rps = self.closed.get((p.exp.name, model, "", p.level))
                if rps and rps >= 2000:
                    self.resolved[key] = (int(rps / 2 // 1000 * 1000),
                                          f"half of {model}'s closed-loop {rps:,.0f} requests/s in repetition 1")
                    break
            else:
                self.resolved[key] = (HALF_LOAD_FALLBACK_RPS, "no closed-loop epoll or uring point at this level"
                                      " in repetition 1: the fallback")
            rate, how = self.resolved[key]
            print(f"run_all: {p.exp.name}'s half load at {p.level} connections: {rate:,} requests/s ({how})",
                  flush=True)
        return self.resolved[key][0]


def point_seconds(p, args, overhead):
    if p.ceiling:
        return 0.0
    return warmup_for(args, p.level) + args.duration + overhead


def dry_run(args, experiments, points):
    """The plan, per experiment: points run, points above a ceiling, estimated time; then the total."""
    lines = [f"{'experiment':14s} {'points':>6s} {'ceiling':>7s} {'estimate':>9s}"]
    for e in experiments:
        pts = [p for p in points if p.exp is e]
        est = sum(point_seconds(p, args, OVERHEAD_GUESS_S) for p in pts)
        lines.append(f"{e.name:14s} {len(pts):6d} {sum(1 for p in pts if p.ceiling):7d} {fmt_duration(est):>9s}")
    total = sum(point_seconds(p, args, OVERHEAD_GUESS_S) for p in points)
    lines.append(f"{'total':14s} {len(points):6d} {sum(1 for p in points if p.ceiling):7d} {fmt_duration(total):>9s}"
                 f"   (reps {args.reps}, {args.duration:g} s windows, {args.warmup:g} s warm-up,"
                 f" {OVERHEAD_GUESS_S:g} s start/stop a point, plus the report)")
    return "\n".join(lines)


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
            t += f"<{s.stand_in}" if s.stand_in else ""
            t += f"{{c={','.join(map(str, s.conns))}}}" if s.conns else ""
            t += f"{{R={','.join(rate_text(r) for r in s.rates)}}}" if s.rates else ""
            t += "" if s.quick else "{not quick}"
            setups.append(t)
        lines.append(f"              setups: {' '.join(setups)}")
        what = f"slow clients K (beside {e.normal_conns} normal connections)" if e.normal_conns else "conns"
        lines.append(f"              {what}: {','.join(map(str, e.levels))}   quick: {','.join(map(str, e.quick_levels))}"
                     f"   server flags: {' '.join(e.server_flags) or '-'}")
        if e.rates:
            lines.append(f"              open loop, offered loads (-R): {','.join(map(str, e.rates))}"
                         f"   quick: {','.join(map(str, e.quick_rates or e.rates))};"
                         f" a point under {SATURATED:.0%} of its load, or with errors, ends its curve")
    lines.append(f"models: {' '.join(MODELS)}")
    lines.append(f"peers (harness/peers/, production servers behind the same command line): {' '.join(PEERS)}")
    lines.append("setup<exp: not run when exp is in the same sweep, whose points of it stand in;"
                 " {c=...}: only those levels; {R=...}: only those offered loads (closed: closed loop);"
                 " [client]: that client always")
    lines.append("clients: loadgen-uring (bin/loadgen --io uring, the default, up to"
                 f" {URING_CLIENT_MAX_CONNS} connections; above, loadgen), loadgen (its epoll loop), wrk"
                 " (--client); open-loop points always loadgen")
    lines.append("experiment groups: " + ", ".join(f"{g} = {','.join(v)}" for g, v in GROUPS.items()))
    lines.append("ceilings (keep-alive levels above are marked, not run): "
                 + ", ".join(f"{m} {c}" for m, c in CEILINGS.items()))
    lines.append(f"default: reps {DEFAULT['reps']}, duration {DEFAULT['duration_s']:g} s, warm-up {DEFAULT['warmup_s']:g} s"
                 f" (+1 s per {WARMUP_CONNS_PER_S} connections);"
                 f" --quick: reps {QUICK['reps']}, duration {QUICK['duration_s']:g} s, warm-up {QUICK['warmup_s']:g} s, fewer levels")

    class A:
        pass
    for quick in (False, True):
        a = A()
        a.quick, a.conns, a.reps = quick, None, QUICK["reps"] if quick else DEFAULT['reps']
        a.models, a.client = MODELS + list(PEERS), "loadgen"
        a.server_cpus, a.client_cpus = "0", "1"
        a.uring_ok = True
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
    ap.add_argument("--models", default=",".join(MODELS + list(PEERS)),
                    help="comma list of models and peers (harness/peers/) (default: all)")
    ap.add_argument("--conns", help="comma list of connection levels, for every experiment")
    ap.add_argument("--reps", type=int, help=f"repetitions of each point (default {DEFAULT['reps']}, quick {QUICK['reps']})")
    ap.add_argument("--duration", type=float, help=f"measured seconds per point (default {DEFAULT['duration_s']:g},"
                                                   f" quick {QUICK['duration_s']:g})")
    ap.add_argument("--warmup", type=float, help=f"warm-up seconds before measuring (default {DEFAULT['warmup_s']:g},"
                                                 f" quick {QUICK['warmup_s']:g}), plus 1 s per"
                                                 f" {WARMUP_CONNS_PER_S} connections")
    ap.add_argument("--client", choices=["loadgen-uring", "loadgen", "wrk"], default="loadgen-uring",
                    help="client for HTTP points: loadgen-uring (bin/loadgen --io uring, the default: the"
                         " cheapest client a request, so fewer points are client-bound; loadgen where this"
                         " kernel refuses io_uring, said at the start), loadgen (its epoll loop) or wrk;"
                         " daytime always uses loadgen, open-loop points (-R) loadgen-uring; setups that name"
                         " their client keep it (crosscheck, think)")
    ap.add_argument("--server-cpus", default="0", help="CPUs for the server (taskset list, default 0)")
    ap.add_argument("--client-cpus", default="1", help="CPUs for the client (default 1)")
    ap.add_argument("--out", help="result folder (default results/<UTC time>_<name>; results/latest is only"
                                  " updated for folders under results/)")
    ap.add_argument("--bin", default=os.environ.get("BIN") or os.path.join(ROOT, "bin"),
                    help="where the model binaries and loadgen are (default bin/, or $BIN)")
    ap.add_argument("--no-report", action="store_true", help="skip plots and REPORT.md")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the plan (points and estimated time per experiment, and the total) and exit")
    remote.add_args(ap)
    ap.add_argument("--extra-model", action="append", default=[], metavar="LABEL=PATH",
                    help="also run the binary PATH, labelled LABEL, in the setups of the model its file name"
                         " names (a lab's build: student=build/labs/fork/check/bin/fork runs fork's setups)")
    args = ap.parse_args(argv)

    args.bin = os.path.abspath(args.bin)
    args.experiments = [y for x in args.experiments.split(",") if x for y in GROUPS.get(x, [x])]
    bad = [x for x in args.experiments if x not in EXP_BY_NAME]
    if bad:
        ap.error(f"unknown experiment(s) {','.join(bad)}; known: {','.join(list(EXP_BY_NAME) + list(GROUPS))}")
    args.models = [x for x in args.models.split(",") if x]
    bad = [x for x in args.models if x not in MODELS and x not in PEERS]
    if bad:
        ap.error(f"unknown model(s) {','.join(bad)}; known: {','.join(MODELS + list(PEERS))}")
    args.extra_models = {}
    for spec in args.extra_model:
        label, _, path = spec.partition("=")
        base = os.path.basename(path)
        if not label or not path or label in MODELS or base not in MODELS or not os.access(path, os.X_OK):
            ap.error(f"--extra-model {spec!r}: wants LABEL=PATH, LABEL a new name, PATH an executable named"
                     f" after a model ({','.join(MODELS)})")
        args.extra_models[label] = (os.path.abspath(path), base)
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
    # Remote client hosts are not probed for io_uring: they run loadgen's epoll loop.
    args.uring_ok = not remote.wanted(args) and uring_ok(args.bin)
    if not args.uring_ok and args.client == "loadgen-uring":
        print("run_all.sh: " + ("clients on other hosts: loadgen's epoll loop" if remote.wanted(args) else
              "loadgen --io uring refused here (io_uring blocked): the client is loadgen's epoll loop"),
              file=sys.stderr)
        args.client = "loadgen"
    if args.reps < 1 or args.duration <= 0 or args.warmup < 0:
        ap.error("--reps >= 1, --duration > 0 and --warmup >= 0, please")
    if args.client_hosts and not args.server_host:
        ap.error("--client-hosts needs --server-host (the clients must reach the server's host)")
    usable = set(range(os.cpu_count() or 1)) if remote.wanted(args) else os.sched_getaffinity(0)
    for name in ("server_cpus", "client_cpus"):
        try:
            cpus = cpuset_parse(getattr(args, name))
        except ValueError:
            ap.error(f"--{name.replace('_', '-')}: not a CPU list: {getattr(args, name)!r}")
        if not cpus <= usable:
            ap.error(f"--{name.replace('_', '-')}: CPU(s) {cpuset_format(cpus - usable)} not usable here"
                     f" (usable: {cpuset_format(usable)})")
    return args


def uring_ok(bin_dir):
    """Whether bin/loadgen --io uring runs here (a kernel or container may refuse io_uring: exit 2)."""
    lg = os.path.join(bin_dir, "loadgen")
    if not os.access(lg, os.X_OK):
        return True                     # preflight says it is missing
    r = subprocess.run([lg, "--io", "uring", "--requests", "1", "--timeout", "100", "http://127.0.0.1:1/"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    return r.returncode == 0


def preflight(args, points):
    """Everything the sweep needs, checked before the first point."""
    missing = []
    models = sorted({p.setup.model for p in points})
    for m in models:
        if not os.access(model_binary(args, m), os.X_OK):
            missing.append(model_binary(args, m))
    clients = {p.client for p in points if not p.ceiling}
    if any(c.startswith("loadgen") for c in clients) and not os.access(os.path.join(args.bin, "loadgen"), os.X_OK):
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
        if m in PEERS:
            continue                    # a peer holds --max-conns' default, FD_LIMIT - 100
        text = run_cmd([model_binary(args, m), "--help"])
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

def append_rows(path, columns, rows):
    """Append rows (then cleared) to a CSV beside runs.csv, its header first; no rows, no file."""
    if not rows:
        return
    f, w = open_csv(path, columns)
    with f:
        w.writerows(rows)
    rows.clear()


def open_csv(path, columns):
    """A CSV file beside runs.csv, appended to; its header written when it is new."""
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    f = open(path, "a", newline="")
    w = csv.writer(f, lineterminator="\n")
    if new:
        w.writerow(columns)
        f.flush()
    return f, w


def summary(row):
    if not row["rps"]:
        return "ceiling, not run" if "ceiling" in row["variant"] else "no result"
    lat = f"p50 {float(row['lat_p50_us']) / 1000:.2f} ms p99 {float(row['lat_p99_us']) / 1000:.2f} ms" \
        if row["lat_p99_us"] else ""
    errs = runs.errors(row)
    bound = " CLIENT-BOUND" if row["client_bound"] == "1" else ""
    return (f"{float(row['rps']):.0f} rps {lat} srv {row['srv_cpu_pct'] or '?'}% cli {row['cli_cpu_pct'] or '?'}%"
            f"{' errors ' + str(errs) if errs else ''}{bound}")


def main(argv):
    args = parse_args(argv)
    experiments = [EXP_BY_NAME[n] for n in args.experiments]
    points = plan(args, experiments)
    if not points:
        sys.exit("run_all.sh: nothing to run (no model of --models is in the chosen experiments)")
    if args.dry_run:
        print(dry_run(args, experiments, points))
        return 0
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

    with open(csv_path, newline="") as f:
        rows_in_csv = sum(1 for r in csv.reader(f) if r) - 1
    cpu_file, cpu_writer = open_csv(os.path.join(out_dir, "cpu.csv"), CPU_COLUMNS)
    fail_file, fail_writer = open_csv(os.path.join(out_dir, "failures.csv"), FAILURE_COLUMNS)

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    if remote.wanted(args):
        runner.remote = remote.Hosts(args, f"{os.path.basename(out_dir).split('_')[0]}-{os.getpid()}")
        try:
            runner.remote.prepare(runner, points)
        except (SystemExit, KeyboardInterrupt):
            runner.cleanup()
            raise
        runner.remote.write_meta(os.path.join(out_dir, "meta.txt"))

    overhead = OVERHEAD_GUESS_S
    total_est = sum(point_seconds(p, args, overhead) for p in points)
    print(f"run_all: {len(points)} points, about {fmt_duration(total_est)}; results in {out_dir}", flush=True)
    t_sweep = time.monotonic()
    done_runs, spent_runs = 0, 0.0
    code = 0
    ended = {}                          # curve_key -> the offered load that saturated it
    half = HalfLoad()
    try:
        for i, p in enumerate(points, 1):
            if p.rate == HALF_LOAD:
                p.rate = half.rate(p)
                runner.log.write(f"{p.label()}: the half load, {p.rate} requests/s\n")
            if p.rate and curve_key(p) in ended:
                print(f"[{i:3d}/{len(points)}] {p.label()}: skipped, the curve ended at R={ended[curve_key(p)]}"
                      " (saturated)", flush=True)
                continue
            t0 = time.monotonic()
            row = runner.measure(p)
            half.measured(p, row)
            writer.writerow(row)
            csv_file.flush()
            rows_in_csv += 1
            if runner.failure:
                fail_writer.writerow([rows_in_csv, p.exp.name, p.setup.model, p.setup.variant, p.level, p.rep,
                                      p.server_cpus, p.client, row["started_utc"], runner.failure])
                fail_file.flush()
            for r in runner.cpu_rows:
                cpu_writer.writerow(r)
            runner.cpu_rows.clear()
            cpu_file.flush()
            append_rows(os.path.join(out_dir, "syscalls.csv"), SYSCALL_COLUMNS, runner.syscall_rows)
            took = time.monotonic() - t0
            if not p.ceiling:
                done_runs += 1
                spent_runs += took - warmup_for(args, p.level) - args.duration
                overhead = max(0.0, spent_runs / done_runs)
            left = sum(point_seconds(q, args, overhead) for q in points[i:])
            result = f"FAILED: {runner.failure}" if runner.failure else summary(row)
            if saturated(p, row):
                ended[curve_key(p)] = p.rate
                result += " SATURATED"
            print(f"[{i:3d}/{len(points)}] {p.label()}: {result}  ({took:.1f} s, ETA {fmt_duration(left)})",
                  flush=True)
    except KeyboardInterrupt:
        print("\nrun_all: interrupted; stopping what the runner started, keeping finished rows", file=sys.stderr)
        code = 130
    finally:
        runner.cleanup()
        csv_file.close()
        cpu_file.close()
        fail_file.close()
    elapsed = time.monotonic() - t_sweep
    runner.log.write(f"sweep: {fmt_duration(elapsed)}{' (interrupted)' if code else ''}\n")
    with open(os.path.join(out_dir, "meta.txt"), "a") as f:
        f.write(f"sweep_time: {fmt_duration(elapsed)}{' (interrupted)' if code else ''}\n")
    if code:
        return code
    print(f"run_all: sweep done in {fmt_duration(elapsed)}", flush=True)
    failed = len(runs.load_failures(out_dir))
    if failed:
        print(f"run_all: {failed} point(s) failed (server died or did not start): failures.csv, REPORT.md",
              file=sys.stderr, flush=True)
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

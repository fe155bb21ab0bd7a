#!/usr/bin/env python3
"""client_efficiency.py - how much work bin/loadgen needs per request, against wrk.

    python3 harness/client_efficiency.py [--conns 100,1000] [--reps 3] [-d 5]
                                         [--clients loadgen-uring,wrk,loadgen]
                                         [--server epoll] [--loadgen-args '...']

For each connection count and repetition, and for each client in turn (the order
rotates between repetitions), a fresh `bin/<server> -p 0 --quiet` runs pinned
to CPU 0 and the client (`bin/loadgen -t 1 -c N -d D --csv`, `loadgen-uring`: the
same with --io uring, or `wrk -t 1 -c N -d D -s harness/wrk_csv.lua`) pinned
alone to CPU 1, keep-alive, GET /.  The goal of issue 20 (a benchmark figure,
never a test): loadgen-uring >= 1.6x wrk's requests per (process + softirq)
CPU-second, at no lower requests/s.  Both count every response over their whole run (no warm-up), so the
figures compare like with like.  Per run:

  rps          requests / the client's measured seconds
  req/cpu1-s   requests / CPU 1's busy seconds over the client's run (/proc/stat:
               everything but idle and iowait, so softirq is in; also anything
               else that ran on CPU 1: on a shared machine this is an upper bound
               on the client's cost)
  req/proc-s   requests / the client process's own user + system seconds (wait4)
  req/(proc+sirq)-s  requests / (the process's seconds + CPU 1's softirq seconds):
               the client's cost without other processes that ran on CPU 1
  cpu0 us/req  CPU 0 (server) busy microseconds per request

Printed: one line per run, then per connection count the median [min-max] over
the repetitions of each figure and of each client's ratio to wrk (per repetition).
Exit 0; 2 on bad usage or a missing binary.
"""

import argparse
import csv
import io
import os
import shlex
import statistics
import subprocess
import sys
import time

import proc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("BIN") or os.path.join(ROOT, "bin"))
HZ = os.sysconf("SC_CLK_TCK")
CLIENTS = ["loadgen-uring", "wrk", "loadgen"]   # loadgen: its epoll loop (the default --io)


def cpu_times_s(cpu):
    """(busy, softirq) seconds of one CPU since boot: busy is all /proc/stat time but
    idle and iowait (softirq included)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                v = [int(x) for x in line.split()[1:]]
                return (sum(v[:8]) - v[3] - v[4]) / HZ, v[6] / HZ
    raise RuntimeError("no cpu%d in /proc/stat" % cpu)


def cpu_busy_s(cpu):
    return cpu_times_s(cpu)[0]


def server_start(server):
    argv = ["taskset", "-c", "0", os.path.join(BIN, server), "-p", "0", "--quiet"]
    p, ready, text, why = proc.start(argv, 5.0, stderr=subprocess.DEVNULL)
    if ready is None:
        proc.stop(p)
        sys.exit("client_efficiency: %s %s" % (server, proc.why_text(why, text, 5.0, p)))
    return p, ready.port


def server_stop(p):
    proc.stop(p, 3.0)


def client_argv(client, conns, duration, port, loadgen_args):
    url = "http://127.0.0.1:%d/" % port
    if client == "wrk":
        return ["wrk", "-t", "1", "-c", str(conns), "-d", "%ds" % duration,
                "-s", os.path.join(ROOT, "harness", "wrk_csv.lua"), url]
    io = ["--io", "uring"] if client == "loadgen-uring" else []
    return [os.path.join(BIN, "loadgen"), "-t", "1", "-c", str(conns), "-d", str(duration), "--csv"] + io + \
        shlex.split(loadgen_args) + [url]


def csv_row(text):
    lines = [l for l in text.splitlines() if l.startswith("experiment,")]
    if not lines:
        return None
    i = text.splitlines().index(lines[-1])
    rows = list(csv.reader(io.StringIO("\n".join(text.splitlines()[i:i + 2]))))
    return dict(zip(rows[0], rows[1])) if len(rows) == 2 else None


def run_one(client, conns, args):
    srv, port = server_start(args.server)
    try:
        argv = ["taskset", "-c", "1"] + client_argv(client, conns, args.duration, port, args.loadgen_args)
        (c0, q0), s0 = cpu_times_s(1), cpu_busy_s(0)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = p.stdout.read().decode("utf-8", "replace")
        _, status, ru = os.wait4(p.pid, 0)
        (c1, q1), s1 = cpu_times_s(1), cpu_busy_s(0)
    finally:
        server_stop(srv)
    row = csv_row(out)
    if row is None or os.waitstatus_to_exitcode(status) != 0:
        return None
    req = int(row["requests"])
    secs = float(row["duration_s"])
    errs = sum(int(row[k] or 0) for k in row if k.startswith("err_"))
    return {"rps": req / secs, "req_cpu1": req / max(c1 - c0, 1e-9),
            "req_proc": req / max(ru.ru_utime + ru.ru_stime, 1e-9),
            "req_proc_sirq": req / max(ru.ru_utime + ru.ru_stime + q1 - q0, 1e-9),
            "cli_us": 1e6 * (ru.ru_utime + ru.ru_stime) / max(req, 1), "sirq_us": 1e6 * (q1 - q0) / max(req, 1),
            "cpu0_us": 1e6 * (s1 - s0) / max(req, 1), "cpu1_pct": 100 * (c1 - c0) / secs, "errors": errs}


def mmm(xs):
    return "%s [%s-%s]" % (fmt(statistics.median(xs)), fmt(min(xs)), fmt(max(xs)))


def fmt(v):
    return "%.0f" % v if v >= 100 else "%.2f" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conns", default="100,1000", help="connection counts, comma-separated")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("-d", "--duration", type=int, default=5, help="seconds per run")
    ap.add_argument("--server", default="epoll", help="model binary in bin/")
    ap.add_argument("--clients", default=",".join(CLIENTS), help="comma list of " + ", ".join(CLIENTS))
    ap.add_argument("--loadgen-args", default="", help="extra loadgen flags, e.g. '--timeout 2000'")
    args = ap.parse_args()
    for need in (os.path.join(BIN, args.server), os.path.join(BIN, "loadgen")):
        if not os.access(need, os.X_OK):
            print("client_efficiency: no %s (make builds it)" % need, file=sys.stderr)
            return 2
    levels = [int(c) for c in args.conns.split(",")]
    clients = [c for c in args.clients.split(",") if c]
    bad = [c for c in clients if c not in CLIENTS]
    if bad or not clients:
        print("client_efficiency: --clients: unknown %s; known: %s" % (",".join(bad), ",".join(CLIENTS)),
              file=sys.stderr)
        return 2
    print("# %s, %s; load average %s; loadgen args %r" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          os.uname().release, open("/proc/loadavg").read().split()[0], args.loadgen_args), flush=True)
    for conns in levels:
        res = {c: [] for c in clients}
        for rep in range(args.reps):
            order = clients[rep % len(clients):] + clients[:rep % len(clients)]
            for client in order:
                r = run_one(client, conns, args)
                res[client].append(r)
                print("c=%d rep=%d %-13s %s" % (conns, rep + 1, client, "failed" if r is None else
                      "rps=%.0f req/cpu1-s=%.0f req/(proc+sirq)-s=%.0f proc_us/req=%.2f sirq_us/req=%.2f"
                      " cpu1=%.0f%% srv_us/req=%.2f errors=%d"
                      % (r["rps"], r["req_cpu1"], r["req_proc_sirq"], r["cli_us"], r["sirq_us"], r["cpu1_pct"],
                         r["cpu0_us"], r["errors"])),
                      flush=True)
        reps = [i for i in range(args.reps) if all(res[c][i] for c in clients)]
        if not reps:
            continue
        base = "wrk" if "wrk" in clients else clients[0]
        others = [c for c in clients if c != base]
        print("## -c %d, %d reps, median [min-max]" % (conns, len(reps)))
        print("| figure | " + " | ".join(clients) + " | " + " | ".join("%s/%s" % (c, base) for c in others) + " |")
        print("|---" * (1 + len(clients) + len(others)) + "|")
        for key, label in (("rps", "requests/s"), ("req_cpu1", "requests per CPU-1 busy s (incl. softirq)"),
                           ("req_proc_sirq", "requests per (client process + CPU-1 softirq) s"),
                           ("req_proc", "requests per client-process CPU s"), ("cpu0_us", "server CPU us/request")):
            col = {c: [res[c][i][key] for i in reps] for c in clients}
            print("| %s | %s | %s |" % (label, " | ".join(mmm(col[c]) for c in clients),
                                       " | ".join(mmm([x / y for x, y in zip(col[c], col[base])]) for c in others)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

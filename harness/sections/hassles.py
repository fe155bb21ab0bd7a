"""sections/hassles.py - the IOCP article's hassles (issue 19): pending reads, zero-byte
reads and I/O workers in iocp-emul, uring's provided-buffer ring beside it; its plot,
REPORT.md section and three verdict rows (FAQ A6, section 3.6.1, FAQ A5)."""

import os
import re
import statistics

import runs
from plot_lib import Figure, color, fmt
from report_lib import f_num, f_rps, images, table
from verdicts import Verdict

NAME = "hassles"
BASE = 1000           # the level the verdicts are decided at (QUICK runs it too)
EXIT_RE = re.compile(r"stopped;.*posted_buffer_peak_bytes=")
FIGURE_RE = re.compile(r"(\w+)=(\d+)")


def exit_figures(folder):
    """{(variant, conns): [{figure: value}, one per server run]}, from the exit lines
    iocp-emul prints ('stopped; posted_buffer_peak_bytes=... early_receives=...') in
    server-stderr.log (early_receives since December 2026: older runs lack it)."""
    out, key = {}, None
    path = os.path.join(folder, "server-stderr.log")
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("==== "):
                w = line.split()
                key = None
                if len(w) > 4 and w[1] == NAME and w[2] == "iocp-emul" and w[4].startswith("c="):
                    key = (w[3], int(w[4][2:]))
            elif key and EXIT_RE.search(line):
                out.setdefault(key, []).append({k: int(v) for k, v in FIGURE_RE.findall(line)})
    return out


def posted_peaks(folder):
    """{(variant, conns): [posted-buffer peak bytes, one per server run]}."""
    return {k: [f["posted_buffer_peak_bytes"] for f in runs_] for k, runs_ in exit_figures(folder).items()}


def early_receives(folder):
    """{(variant, conns): receives handled ahead of their turn, summed over the server runs},
    for the runs whose exit lines count them."""
    out = {}
    for k, runs_ in exit_figures(folder).items():
        counted = [f["early_receives"] for f in runs_ if "early_receives" in f]
        if counted:
            out[k] = sum(counted)
    return out


def rows_of(points):
    """[(label, Point)] of the experiment, in setup order, levels ascending."""
    out = []
    for s in runs.setups(points, NAME):
        for p in runs.series(points, NAME, s):
            if p.reps and p.get("rps") is not None:
                out.append((runs.label(s[0], s[1]), p))
    return out


def plot(folder, points, terms):
    rows = rows_of(points)
    if not rows:
        return []
    fig = Figure(folder, NAME, 1100, 900)
    peaks = posted_peaks(folder)
    lines = ["# x rps lo hi cpu_us color label posted_bytes_per_conn"]
    for i, (lab, p) in enumerate(rows):
        col = int(color(lab.split(" ")[0] + ("" if "p8" not in lab else " p8"))[1:], 16)
        pk = peaks.get((p.variant, p.conns))
        per_conn = statistics.median(pk) / p.conns if pk and p.model == "iocp-emul" else None
        lines.append(f"{i + 1} {fmt(p.get('rps'))} {fmt(p.get('rps', 'lo'))} {fmt(p.get('rps', 'hi'))}"
                     f" {fmt(p.get('srv_cpu_us_per_req') or p.get('cpu_us_per_req'))} {col}"
                     f" \"{lab} c={p.conns}\" {fmt(per_conn)}")
    path = fig.data("bars", lines)
    n = len(rows)
    top = max([v for _, p in rows for v in (p.get("rps"), p.get("rps", "hi")) if v] or [1]) * 1.08
    has_posted = any(peaks.get((p.variant, p.conns)) and p.model == "iocp-emul" for _, p in rows)
    fig.add(f"set multiplot layout {3 if has_posted else 2},1 title 'iocp-emul (io_uring backend) against its hassles; uring beside it' noenhanced",
            f"set xrange [0.4:{n + 0.6}]", f"set yrange [0:{top:.6g}]", "set format y '%.0s%c'",
            "set key outside right top vertical", "set rmargin 24", "set xtics format '' nomirror",
            "set ylabel 'requests per second'",
            f"plot '{path}' using 1:2:(0.7):6 with boxes fs solid 0.8 lc rgb variable notitle,"
            f" '{path}' using 1:3:(0):($4 - $3) with vectors heads size 0.1,90 lc rgb 'black'"
            " title 'min..max of reps', " + ", ".join(   # what the bars' colours mean (bars: medians)
                f"NaN with boxes fs solid 0.8 lc rgb '{color(name)}' title '{text}'" for name, text in
                (("iocp-emul", "iocp-emul"), ("iocp-emul p8", "iocp-emul, pipelined x8"),
                 ("uring", "uring"), ("uring p8", "uring, pipelined x8"))),
            "set ylabel 'server CPU µs per request'", "set yrange [0:*]", "unset key",
            *([f"plot '{path}' using 1:5:(0.7):6 with boxes fs solid 0.8 lc rgb variable notitle",
               "set ylabel 'posted bytes per conn. (peak)'"] if has_posted else []),
            "set bmargin 8", "set xtics rotate by -30 left nomirror format '%g'",
            f"plot '{path}' using 1:{8 if has_posted else 5}:(0.7):6:xtic(7) with boxes fs solid 0.8"
            " lc rgb variable notitle")
    return fig.draw(terms)


def spread(p):
    return f"{f_rps(p.get('rps'))} ({f_rps(p.get('rps', 'lo'))}-{f_rps(p.get('rps', 'hi'))}, {p.reps} reps)"


def compare(a, b):
    """+1 when a's range lies above b's, -1 below, 0 when the ranges overlap (within noise)
    or either has one repetition only (no spread to judge by)."""
    if min(a.reps, b.reps) < 2:
        return 0
    if a.get("rps", "lo") > b.get("rps", "hi"):
        return 1
    if a.get("rps", "hi") < b.get("rps", "lo"):
        return -1
    return 0


def pick(run, variant, conns=BASE, model="iocp-emul"):
    s = run.find(NAME, model, variant)
    p = run.at(NAME, s, conns) if s else None
    return p if p and p.reps and p.get("rps") is not None else None


def section(run, made):
    rows = rows_of(run.points)
    if not rows:
        return ""
    peaks, early = posted_peaks(run.folder), early_receives(run.folder)
    table_rows = []
    for lab, p in rows:
        pk = peaks.get((p.variant, p.conns)) if p.model == "iocp-emul" else None
        rss = p.get("srv_rss_kb")
        ahead = early.get((p.variant, p.conns)) if p.model == "iocp-emul" else None
        table_rows.append([lab, str(p.conns), spread(p), f_num(run.cpu_per_req(p), 1),
                           f_num(statistics.median(pk) / p.conns, 0) if pk else "–",
                           f_num(rss / p.conns, 1) if rss else "–"]
                          + ([f"{ahead:,}" if ahead is not None else "–"] if early else []))
    out = ["## The IOCP article's hassles", "", images(made, run.folder, [NAME]), "",
           "**Published claims** (../shared/seeds/004, an IOCP server class and its \"four thorny coding"
           " hassles\"): FAQ A6, several pending reads increase the throughput for clients that send in bursts,"
           " but every posted receive locks its buffer; 3.6.1, a zero-byte read holds no buffer, so it avoids"
           " WSAENOBUFS, \"but this solution decreases the throughput\"; FAQ A5, \"on common home computers,"
           " one I/O worker gives the best performance\".", "",
           "**This run.** iocp-emul on its io_uring backend: r1/r4 = 1 or 4 receives posted per connection"
           " (`--pending-reads`, put back in order by sequence numbers), zero = `--zero-byte-read`, w1/w2 ="
           " `--workers` (default 2 x CPUs), -p8 = loadgen `--pipeline 8` (bursts of 8 requests); uring with"
           " its provided-buffer ring (the kernel picks a buffer when data arrives) beside it. Posted bytes"
           " per connection: the peak of bytes held by posted receives (the server's exit line), over the"
           " connections." + (" Early receives: receives a worker handled before an earlier one of the same"
           " connection, summed over the repetitions (the package reordering of the article's hassle 2,"
           " undone by the reorder stage); on Linux it needs a request that arrives in several segments"
           " while as many receives are posted, and a worker that loses the race for the connection's"
           " lock: the tests make it happen with `--jitter-us`." if early else ""), "",
           table(["setup", "conns", "requests/s (range)", "server CPU µs/request", "posted bytes/conn (peak)",
                  "RSS KB/conn"] + (["early receives"] if early else []), table_rows), ""]
    return "\n".join(out)


def verdicts(run):
    out = []
    r1p, r4p = pick(run, "r1-p8"), pick(run, "r4-p8")
    if r1p and r4p:
        c = compare(r4p, r1p)
        out.append(Verdict("a6-pending-reads", {1: "reproduced", -1: "not reproduced", 0: "within noise"}[c],
                           f"pipelined x8, c={BASE}: 4 pending reads {spread(r4p)} against 1: {spread(r1p)}"))
    r1, zero = pick(run, "r1"), pick(run, "zero")
    peaks = posted_peaks(run.folder)
    pk1, pk0 = peaks.get(("r1", BASE)), peaks.get(("zero", BASE))
    if r1 and zero and pk1 and pk0:
        held = statistics.median(pk0) < statistics.median(pk1)
        c = compare(zero, r1)
        verdict = ("reproduced" if c < 0 else "within noise" if c == 0 else "partly") if held \
            else "not reproduced"
        out.append(Verdict("enobufs-zero-byte", verdict,
                           f"c={BASE}: posted bytes peak {statistics.median(pk0):,.0f} (zero-byte) against"
                           f" {statistics.median(pk1):,.0f} (1 pending read); requests/s {spread(zero)}"
                           f" against {spread(r1)}"))
    w1 = pick(run, "w1")
    others = [(v, p) for v, p in (("w2", pick(run, "w2")), ("default", r1)) if p]
    if w1 and others:
        # Against each setup with more workers, not the best of them: with the server on one CPU
        # the default is 2 workers, the same setup as w2, and the higher of two samples of one
        # setup would be picked for its noise.
        cs = {compare(w1, p) for _, p in others}
        c = cs.pop() if len(cs) == 1 else 0
        out.append(Verdict("a5-one-worker", {1: "reproduced", -1: "not reproduced", 0: "within noise"}[c],
                           f"c={BASE}: 1 worker {spread(w1)} against "
                           + ", ".join(f"{v} workers {spread(p)}" for v, p in others)))
    return out

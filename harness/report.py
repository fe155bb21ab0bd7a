#!/usr/bin/env python3
"""report.py - plots and REPORT.md for a results folder, computed from its runs.csv.

    python3 harness/report.py results/latest        (what `make plots` runs)

For each experiment REPORT.md states the published claim, what this run shows
(every number computed here from runs.csv: medians of the repetitions), and
where and why the two differ.  The "why" paragraphs are chosen by the numbers
(for example whether thread-per-connection kept most of its peak), so the text
stays true for whatever run it describes; their explanations are the usual
ones from the literature and the measured correlates (CPU per request,
context switches per request, memory), not proofs.
"""

import csv
import os
import sys
from collections import Counter

import plot
import runs

KEEP_WELL = 0.75        # "kept its throughput" = at least 75 % of its own peak
STALL_RPS = 1500        # blocking: at most this = about one 1 ms call at a time


# ---------------------------------------------------------------- formatting

def f_rps(v):
    return "–" if v is None else f"{v:,.0f}"


def f_ms(us):
    if us is None:
        return "–"
    ms = us / 1000.0
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def f_pct(x):
    return "–" if x is None else f"{100.0 * x:.0f}%"


def f_num(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def cell_rps(p):
    """'12,345 [12,000–12,500]*' for a table cell."""
    if p is None:
        return ""
    if p.ceiling and not p.reps:
        return "ceiling"
    if not p.reps:
        return "failed"
    s = f_rps(p.get("rps"))
    if p.reps > 1:
        s += f" [{f_rps(p.get('rps', 'lo'))}–{f_rps(p.get('rps', 'hi'))}]"
    if p.client_bound:
        s += " ★"
    if (p.get("error_share") or 0) >= 0.01:
        s += f" (errors {f_pct(p.get('error_share'))})"
    return s


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def images(made, folder, names):
    out = []
    for n in names:
        png = os.path.join(folder, n + ".png")
        if png in made:
            out.append(f"![{n}]({n}.png) ([SVG]({n}.svg))")
    return "\n\n".join(out)


# ---------------------------------------------------------------- queries

class Run:
    """The aggregated points of one folder, with the lookups the sections need."""

    def __init__(self, folder):
        self.folder = folder
        self.rows = runs.load(os.path.join(folder, "runs.csv"))
        self.points = runs.aggregate(self.rows)
        self.meta = runs.read_meta(folder)
        self.cpu = runs.load_cpu(folder)
        self.server_cpus = self.meta.get("server_cpus") or self._common("server_cpus")

    def _common(self, col):
        c = Counter(r[col] for r in self.rows)
        return c.most_common(1)[0][0] if c else ""

    def has(self, exp):
        return any(p.experiment == exp for p in self.points.values())

    def setups(self, exp, cpus=None):
        return [s for s in runs.setups(self.points, exp) if cpus is None or s[2] == cpus]

    def series(self, exp, setup):
        return runs.series(self.points, exp, setup)

    def measured(self, exp, setup):
        return [p for p in self.series(exp, setup) if p.reps and p.get("rps") is not None]

    def levels(self, exp):
        return sorted({p.conns for p in self.points.values() if p.experiment == exp})

    def at(self, exp, setup, conns):
        return self.points.get((exp,) + tuple(setup) + (conns,))

    def find(self, exp, model, variant="", cpus=None, client=None):
        for s in self.setups(exp):
            if s[0] == model and s[1] == variant and (cpus is None or s[2] == cpus) \
                    and (client is None or s[3] == client):
                return s
        return None

    def retention(self, exp, setup):
        """(peak point, last measured point, last/peak) of a setup, or None."""
        pts = self.measured(exp, setup)
        if not pts:
            return None
        peak = max(pts, key=lambda p: p.get("rps"))
        last = pts[-1]
        return peak, last, (last.get("rps") / peak.get("rps")) if peak.get("rps") else None

    def ceilings(self, exp):
        out = {}
        for p in self.points.values():
            if p.experiment == exp and p.ceiling and not p.reps:
                out.setdefault(runs.label(p.model, p.variant), []).append(p.conns)
        return out


def lab(setup):
    return runs.label(setup[0], setup[1])


def cpu_of(run, p, col):
    """A cpu.csv median for point p, or None."""
    return run.cpu.get((p.experiment, p.model, p.variant, p.server_cpus, p.conns), {}).get(col)


# ---------------------------------------------------------------- sections

def header(run, made):
    m = run.meta
    reps = Counter(int(r["rep"]) for r in run.rows if r["rep"])
    lines = [
        f"# Benchmark report: {os.path.basename(os.path.abspath(run.folder))}",
        "",
        "Generated by `harness/report.py` from this folder's `runs.csv`; every number below is computed"
        " from it. Re-generate with `python3 harness/report.py <folder>` (`make plots` for results/latest).",
        "",
        table(["", ""], [
            ["machine", f"{m.get('cpu_model', '?')}, {m.get('cpus_online', '?')} CPUs, {m.get('memory', '?')}"],
            ["kernel", m.get("kernel", "?")],
            ["pinning", f"server on CPU {m.get('server_cpus', '?')}, client on CPU {m.get('client_cpus', '?')}"
                        f" (taskset)"],
            ["points", f"{len(run.rows)} rows; {m.get('reps', max(reps) if reps else '?')} repetition(s) of"
                       f" {m.get('duration_s', '?')} s after {m.get('warmup_s', '?')} s warm-up"],
            ["client", m.get("client", "?")],
            ["git", m.get("git_revision", "?")],
            ["command", f"`{m.get('command', '?')}`"],
            ["sweep time", m.get("sweep_time", "?")],
        ]),
        "",
        "**Reading the numbers.** Each value is the median of the repetitions, with [min–max] when there"
        " were several. ★ marks a point where the load generator used at least 90% of its CPU in some"
        " repetition (`client_bound`): there the client, not the server, may have been the limit, and the"
        " server's number is a lower bound (circled in the plots). \"(errors N%)\" gives the share of requests that"
        " failed, mostly timeouts, which the latency percentiles leave out (red crosses in the plots)."
        " CPU percentages of processes (srv, cli) count what the kernel charged to them; the network work"
        " loopback TCP does in softirq context is charged to no process, so cpu.csv also records how busy"
        " the server's and the client's CPUs were, and a point also counts as client-bound when the"
        " client's own CPUs were at least 95% busy."
        " \"ceiling\" marks a level the model cannot hold (select and Pth:"
        " FD_SETSIZE), which was not run. rps = completed requests (or daytime connections) per second;"
        " latencies are in milliseconds.",
    ]
    return "\n".join(lines)


def section_seda(run, made):
    exp = "seda"
    out = ["## SEDA: throughput and latency against connections (figures 2 and 4)", "",
           images(made, run.folder, ["seda_fig2", "seda_fig4", "seda_all"]), "",
           "**Published claim.** Welsh, Culler and Brewer (SEDA, SOSP 2001), Figure 2, \"Threaded server"
           " throughput degradation\": a server that creates a thread per task, each thread performing an"
           " 8 KB read of a file that stays in the buffer cache, gains throughput as threads are added"
           " until, past a modest number of threads, throughput degrades substantially and response time"
           " grows without bound. Figure 4: the same server written event-driven, one thread driving every"
           " task's state machine, keeps its throughput level as the number of tasks grows by orders of"
           " magnitude, and its latency grows only linearly with the number of tasks.", "",
           "**This run.** Keep-alive HTTP connections, each with one request in flight (closed loop); every"
           " request reads the 8 KB file from the page cache (no cache in the server).", ""]
    setups = run.setups(exp)
    if not setups:
        return ""
    rows = []
    facts = {}
    for s in setups:
        r = run.retention(exp, s)
        if r is None:
            rows.append([lab(s), "no measurement", "", "", "", "", "", ""])
            continue
        peak, last, kept = r
        first = run.measured(exp, s)[0]
        facts[lab(s)] = (peak, last, kept, first)
        rows.append([lab(s), f"{f_rps(peak.get('rps'))} at {peak.conns}",
                     f"{f_rps(last.get('rps'))} at {last.conns}" + (" ★" if last.client_bound else ""),
                     f_pct(kept),
                     f"{f_ms(first.get('lat_p99_us'))} → {f_ms(last.get('lat_p99_us'))}",
                     f"{f_num(first.get('cpu_us_per_req'), 1)} → {f_num(last.get('cpu_us_per_req'), 1)}",
                     f_pct(last.get("error_share")) if last.get("error_share") else "0",
                     f"{f_num(cpu_of(run, last, 'server_cpus_busy_pct'), 0)} / "
                     f"{f_num(cpu_of(run, last, 'client_cpus_busy_pct'), 0)}"])
    out.append(table(["model", "peak rps (at conns)", "rps at the highest level run", "kept of peak",
                      "p99 ms, lowest → highest level", "server CPU µs/request, lowest → highest",
                      "errors at highest", "server / client CPU busy % at highest"], rows))
    out.append("")
    levels = run.levels(exp)
    out.append("Throughput at every level (median [min–max] requests/s):")
    out.append("")
    out.append(table(["model"] + [str(c) for c in levels],
                     [[lab(s)] + [cell_rps(run.at(exp, s, c)) for c in levels] for s in setups]))
    out.append("")

    bullets = []
    top = max(levels)

    def kept_sentence(name):
        if name not in facts or len(run.measured(exp, facts[name][0].setup)) < 2:
            return None
        peak, last, kept, _ = facts[name]
        return (f"{name} at {last.conns} connections keeps {f_pct(kept)} of its peak throughput"
                f" ({f_rps(last.get('rps'))} of {f_rps(peak.get('rps'))} requests/s at {peak.conns})")
    parts = [x for x in (kept_sentence("thread"), kept_sentence("epoll")) if x]
    if parts:
        bullets.append("; ".join(parts) + ".")
    for name in ("fork", "libevent", "iocp-emul", "select", "pth"):
        x = kept_sentence(name)
        if x:
            bullets.append(x + ".")
    workers = int(run.meta.get("pool_workers", "64"))
    timeout_ms = run.meta.get("request_timeout_ms", "?")
    for name in ("thread pool", "fork prefork"):
        if name in facts and kept_sentence(name):
            peak, last, kept, _ = facts[name]
            timeouts = last.get("err_timeout") or 0
            secs = (last.get("requests") / last.get("rps")) if last.get("rps") else None
            waiting = max(0, last.conns - workers)
            text = (f"{name} ({workers} workers, each serving one connection until it closes): at {last.conns}"
                    f" connections it keeps {f_pct(kept)} of its peak throughput, but serves only {workers}"
                    f" connections at a time")
            if timeouts and secs:
                text += (f": {timeouts:,.0f} requests timed out ({timeout_ms} ms timeout) in the {secs:.1f} s"
                         f" window, about {timeouts / secs / max(1, waiting):.1f} per second for each of the"
                         f" {waiting:,} connections beyond the pool; its latency percentiles describe only the"
                         f" connections it served.")
            else:
                text += ("; no request timed out in the window, yet the other"
                         f" {waiting:,} connections were not served either: they wait in the listen queue"
                         " or, past it, in SYN retransmission, and loadgen gives a connect up to 10 s,"
                         " longer than the window, so their starvation need not show as errors; the"
                         " latency percentiles describe only the connections served.")
            bullets.append(text)
    ceil = run.ceilings(exp)
    if ceil:
        bullets.append("Not run, above the model's ceiling: " + "; ".join(
            f"{k} at {', '.join(map(str, sorted(v)))}" for k, v in ceil.items()) + ".")
    bound = sorted({f"{lab(s)} at {p.conns}" for s in setups for p in run.measured(exp, s) if p.client_bound})
    if bound:
        bullets.append("Client-bound (★): " + ", ".join(bound) + ".")
    out += [f"- {b}" for b in bullets]
    out.append("")

    why = []
    def several(f):
        return f if f and len(run.measured(exp, f[0].setup)) >= 2 else None
    th, ep = several(facts.get("thread")), several(facts.get("epoll"))
    if th:
        peak, last, kept, first = th
        if kept is not None and kept >= KEEP_WELL:
            why.append(
                f"Thread-per-connection does not collapse here ({f_pct(kept)} of peak at {last.conns}"
                f" connections, where SEDA's Figure 2 falls steeply). The 2001 measurement used the Linux"
                " threads of its day; today's NPTL threads are plain kernel tasks, the scheduler's cost grows"
                " with the logarithm of the runnable tasks, and a blocked thread costs only its mostly"
                " untouched stack. What does grow is latency: p99 goes from"
                f" {f_ms(first.get('lat_p99_us'))} ms to {f_ms(last.get('lat_p99_us'))} ms, since every"
                " connection's thread waits its turn for the one server CPU.")
        elif kept is not None:
            why.append(
                f"As in SEDA's Figure 2, thread-per-connection loses throughput with many connections"
                f" ({f_pct(kept)} of its peak at {last.conns}). The server's CPU time per request grows from"
                f" {f_num(peak.get('cpu_us_per_req'), 1)} µs at the peak to {f_num(last.get('cpu_us_per_req'), 1)} µs"
                f" at {last.conns} connections: the extra is scheduling and cache misses over thousands of"
                " thread stacks.")
    if ep:
        peak, last, kept, first = ep
        if kept is not None and kept >= KEEP_WELL:
            why.append(
                f"epoll behaves like SEDA's Figure 4: {f_pct(kept)} of its peak at {last.conns} connections,"
                f" with p99 latency growing from {f_ms(first.get('lat_p99_us'))} to"
                f" {f_ms(last.get('lat_p99_us'))} ms as each request waits for one pass over the ready"
                " connections.")
        elif kept is not None:
            why.append(
                f"Unlike SEDA's Figure 4, epoll keeps only {f_pct(kept)} of its peak at {last.conns}"
                f" connections; its CPU per request goes from {f_num(peak.get('cpu_us_per_req'), 1)} to"
                f" {f_num(last.get('cpu_us_per_req'), 1)} µs (per-connection socket buffers and cache misses"
                " once the working set of connections outgrows the caches).")
        if last.client_bound:
            why.append(f"At {last.conns} connections the client was at its CPU limit (★), so the event"
                       " models' numbers there measure the load generator as much as the server.")
    why.append("The setting also differs: SEDA's figures count tasks handed to an in-process server, here"
               " every request crosses the loopback TCP stack, whose per-request kernel cost is the same for"
               " every model and makes the models' differences smaller than in the paper; and server and"
               " client share one 2-core machine, one core each.")
    out.append("**Where and why they differ.** " + " ".join(why))
    return "\n".join(out)


def section_ousterhout(run, made):
    exp = "ousterhout"
    one = run.server_cpus
    setups1 = run.setups(exp, one)
    if not setups1:
        return ""
    others = [s for s in run.setups(exp) if s[2] != one]
    two = others[0][2] if others else None
    levels = run.levels(exp)
    out = ["## Events against threads (Ousterhout; von Behren, Condit and Brewer)", "",
           images(made, run.folder, ["ousterhout"]), "",
           "**Published claims.** Ousterhout (\"Why Threads Are A Bad Idea (for most purposes)\", 1995):"
           " threads are hard to program; \"for most purposes proposed for threads, events are better\";"
           " \"threads should be used only when true CPU concurrency is needed\". Von Behren, Condit and"
           " Brewer (\"Why Events Are A Bad Idea (for high-concurrency servers)\", HotOS 2003): threads and"
           " events are duals and, given good implementations, perform alike; their \"simple scalability"
           " test\" ran a slightly modified GNU Pth, thread-per-task against a single thread, with the"
           " \"same performance!\"", "",
           f"**This run.** Plaintext (13-byte body) over keep-alive HTTP; server on CPU {one}"
           + (f", and again on CPUs {two} (the client stays on CPU {run.meta.get('client_cpus', '?')}, so there"
              " it shares a CPU with the server)" if two else "") + ".", ""]
    out.append(f"Throughput, server on CPU {one} (requests/s):")
    out.append("")
    out.append(table(["model"] + [str(c) for c in levels],
                     [[lab(s)] + [cell_rps(run.at(exp, s, c)) for c in levels] for s in setups1]))
    out.append("")
    hi = max(levels)
    rows = []
    mem = {}
    for s in setups1:
        with_rss = [p for p in run.measured(exp, s) if p.get("srv_rss_kb") is not None]
        per_conn, top = None, (with_rss[-1] if with_rss else None)
        if len(with_rss) >= 2:
            a, b = with_rss[0], with_rss[-1]
            per_conn = (b.get("srv_rss_kb") - a.get("srv_rss_kb")) / (b.conns - a.conns)
            mem[lab(s)] = (per_conn, a.conns, b.conns)
        rows.append([lab(s)] + [f_num(run.at(exp, s, c).get("ctxsw_per_req") if run.at(exp, s, c) else None)
                                for c in levels]
                    + [f"{top.get('srv_rss_kb') / 1024.0:.1f} at {top.conns}" if top else "–", f_num(per_conn, 1)])
    out.append(f"Context switches per request (voluntary + involuntary, server on CPU {one}; empty where server"
               " threads came and went), peak memory, and memory per connection = (RSS at the highest level run"
               " − RSS at the lowest) / (connections added):")
    out.append("")
    out.append(table(["model"] + [f"ctxsw/req at {c}" for c in levels] + ["RSS MiB (at conns)", "KiB per connection"],
                     rows))
    out.append("")
    if two:
        rows = []
        for s in run.setups(exp, two):
            base = run.find(exp, s[0], "", one)
            cells = []
            for c in levels:
                p2, p1 = run.at(exp, s, c), run.at(exp, base, c) if base else None
                g = (p2.get("rps") / p1.get("rps")) if p2 and p1 and p2.get("rps") and p1.get("rps") else None
                cells.append(f"{cell_rps(p2)}" + (f" (×{g:.2f})" if g else ""))
            rows.append([lab(s)] + cells)
        out.append(f"Server on CPUs {two} (requests/s, and × the same model on CPU {one}):")
        out.append("")
        out.append(table(["model"] + [str(c) for c in levels], rows))
        out.append("")

    sizes = read_sizes(run.folder)
    if sizes:
        out.append("Size of each model's own code (non-blank, non-comment lines of servers/<model>/*.c, *.h;"
                   " servers/common is shared by all), the programmability half of the debate:")
        out.append("")
        out.append(table(["model", "files", "lines"], [[m, f, n] for m, f, n in sizes]))
        out.append("")

    # Computed sentences.
    bullets = []
    ep, th, pth = run.find(exp, "epoll", "", one), run.find(exp, "thread", "", one), run.find(exp, "pth", "", one)
    for c in levels:
        pe = run.at(exp, ep, c) if ep else None
        if not pe or not pe.get("rps"):
            continue
        parts = []
        for name, s in (("kernel threads", th), ("Pth", pth)):
            p = run.at(exp, s, c) if s else None
            if p and p.get("rps"):
                parts.append(f"{name} {f_pct(p.get('rps') / pe.get('rps'))}")
        if parts:
            bullets.append(f"At {conns_words(c)} on one CPU, against epoll's {f_rps(pe.get('rps'))} requests/s: "
                           + ", ".join(parts) + ".")
    best = [(lab(s), run.at(exp, s, hi)) for s in setups1 if run.at(exp, s, hi) and run.at(exp, s, hi).get("rps")]
    if best:
        name, p = max(best, key=lambda x: x[1].get("rps"))
        bullets.append(f"Fastest on one CPU at {hi} connections: {name} ({f_rps(p.get('rps'))} requests/s).")
    cs = [(lab(s), run.at(exp, s, hi).get("ctxsw_per_req")) for s in setups1
          if run.at(exp, s, hi) and run.at(exp, s, hi).get("ctxsw_per_req") is not None]
    if cs:
        bullets.append(f"Context switches per request at {hi} connections: "
                       + ", ".join(f"{n} {v:.2f}" for n, v in cs) + ".")
    if mem:
        bullets.append("Memory per connection: " + ", ".join(
            f"{n} {v:.1f} KiB ({a} to {b} connections)" for n, (v, a, b) in mem.items()) + ".")
    out += [f"- {b}" for b in bullets]
    out.append("")

    why = []
    c, pe_c, pp_c = common_top(run, exp, ep, pth)
    if c:
        r = pp_c.get("rps") / pe_c.get("rps")
        if r >= 0.8:
            why.append(f"Von Behren's duality holds for Pth here: at {conns_words(c)} it reaches {f_pct(r)} of"
                       " epoll, one user-level thread per connection over one kernel thread.")
        else:
            why.append(f"Pth reaches only {f_pct(r)} of epoll at {conns_words(c)}. A likely reason: GNU Pth's"
                       " scheduler rebuilds its select() sets from every waiting thread on each pass, an O(n)"
                       " cost that von Behren et al. removed (\"avoid O(n) operations\") before their test.")
    c, pe_c, pt_c = common_top(run, exp, ep, th)
    if c:
        r = pt_c.get("rps") / pe_c.get("rps")
        ct, ce = pt_c.get("ctxsw_per_req"), pe_c.get("ctxsw_per_req")
        why.append(f"Kernel threads reach {f_pct(r)} of epoll on one CPU at {conns_words(c)}"
                   + (f", paying {ct:.2f} context switches per request against epoll's {ce:.2f}" if ct is not None
                      and ce is not None else "")
                   + (": the gap Ousterhout's performance argument predicts, modest on today's kernels"
                      if r >= 0.6 else ": the gap Ousterhout's performance argument predicts")
                   + ".")
    if two:
        gains = []
        for s in run.setups(exp, two):
            base = run.find(exp, s[0], "", one)
            c, p2, p1 = common_top(run, exp, s, base)
            if c:
                gains.append((lab(s), p2.get("rps") / p1.get("rps"), c))
        if gains:
            why.append("With a second server CPU (shared with the client), against the same model on one CPU: "
                       + ", ".join(f"{n} ×{g:.2f} at {c}" for n, g, c in gains)
                       + ". A single-threaded loop (epoll, pth) can use one CPU only; kernel threads and several"
                         " reactors can use both, Ousterhout's own exception (\"true CPU concurrency\"). On this"
                         " 2-core machine the second CPU also runs the client, which bounds any gain: for a model"
                         " that can use two CPUs, a ratio near 1 means the client or the shared CPU set the limit.")
    why.append("Programmability is not measured by a benchmark: the size table above is its only number here.")
    out.append("**Where and why they differ.** " + " ".join(why))
    return "\n".join(out)


def span(values):
    """'40' or '38–45' for a sorted list of percentages."""
    lo, hi = f"{values[0]:.0f}", f"{values[-1]:.0f}"
    return lo if lo == hi else f"{lo}–{hi}"


def conns_words(c):
    return f"{c} connection{'s' if c != 1 else ''}"


def common_top(run, exp, s1, s2):
    """(conns, point of s1, point of s2) at the highest level both measured; (None, None, None) if none."""
    if not s1 or not s2:
        return None, None, None
    a = {p.conns: p for p in run.measured(exp, s1)}
    b = {p.conns: p for p in run.measured(exp, s2)}
    both = sorted(set(a) & set(b))
    return (both[-1], a[both[-1]], b[both[-1]]) if both else (None, None, None)


def read_sizes(folder):
    path = os.path.join(folder, "model_sizes.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [(r["model"], r["files"], r["code_lines"]) for r in csv.DictReader(f)]


def section_blocking(run, made):
    exp = "blocking"
    setups = run.setups(exp)
    if not setups:
        return ""
    out = ["## A blocking call per request", "", images(made, run.folder, ["blocking"]), "",
           "**Published claims.** Ousterhout: in an event loop there is \"no preemption of event handlers\" and"
           " \"long-running handlers make application non-responsive\". The lecture on user-level threads:"
           " \"a system call blocks the entire process\"; von Behren et al. list \"unexpected blocking\" among"
           " the problems cooperative threads share with events. Completion ports (the lecture's IOCP"
           " slides): \"the application must be able to activate another thread when current thread blocks"
           " on I/O\".", "",
           "**This run.** Every request makes a real 1 ms blocking system call in the thread serving it"
           " (`--block-us 1000`), 64 keep-alive connections. Serving one request at a time gives at most 1000"
           " requests/s; \"blocked at once\" = requests/s × 1 ms, the average number of requests whose"
           " blocking calls overlapped.", ""]
    rows = []
    res = {}
    for s in setups:
        for p in run.measured(exp, s):
            rps = p.get("rps")
            res[lab(s)] = p
            rows.append([lab(s), cell_rps(p), f_num(rps / 1000.0, 1), f_ms(p.get("lat_p50_us")),
                         f_ms(p.get("lat_p99_us")), f_num(p.get("srv_threads"), 0)])
    out.append(table(["model", "requests/s", "blocked at once", "p50 ms", "p99 ms", "server threads"], rows))
    out.append("")
    stalled = [n for n, p in res.items() if p.get("rps") <= STALL_RPS]
    flowing = [n for n, p in res.items() if p.get("rps") > STALL_RPS]
    bullets = []
    if stalled:
        bullets.append("Stalled (at most about one blocking call at a time): " + ", ".join(
            f"{n} {f_rps(res[n].get('rps'))}/s" for n in stalled) + ".")
    if flowing:
        bullets.append("Kept serving while requests blocked: " + ", ".join(
            f"{n} {f_rps(res[n].get('rps'))}/s ({res[n].get('rps') / 1000.0:.0f} at once)" for n in flowing) + ".")
    out += [f"- {b}" for b in bullets]
    out.append("")
    why = []
    ev = [n for n in ("select", "epoll", "libevent") if n in stalled]
    if ev:
        why.append(f"As claimed, the single-threaded event loops ({', '.join(ev)}) stall: while one handler"
                   " sleeps in the system call no other connection is served.")
    if "pth" in stalled:
        why.append("Pth stalls the same way: its user-level threads share one kernel thread, and the blocking"
                   " call is not one Pth can wrap, so the whole process waits.")
    elif "pth" in res:
        why.append("Pth kept serving, which means the call was one Pth's scheduler could turn into a wait on"
                   " another thread; a call it cannot wrap would stall the process.")
    th = [n for n in flowing if n.startswith(("thread", "fork"))]
    if th:
        why.append(f"Kernel threads and processes ({', '.join(th)}) overlap the calls, one per blocked"
                   " connection, up to the CPU left over from request processing.")
    if "iocp-emul" in res:
        p = res["iocp-emul"]
        if p.get("rps") > STALL_RPS:
            why.append(f"The completion-port emulation keeps serving ({p.get('rps') / 1000.0:.0f} calls at once,"
                       f" {f_num(p.get('srv_threads'), 0)} server threads): its port is told when a worker blocks"
                       " (the block hooks of servers/common/work.c) and lets another worker run, the IOCP"
                       " behaviour the lecture describes; the pool's size bounds how many calls overlap.")
        else:
            why.append("The completion-port emulation stalled too: its workers did not overlap the calls.")
    why.append("The 1 ms call is issued with syscall() directly, so no user-level library can turn it into a"
               " yield: it blocks whichever kernel thread runs the request.")
    out.append("**Where and why they differ.** " + " ".join(why))
    return "\n".join(out)


def section_daytime(run, made):
    exp = "daytime"
    setups = run.setups(exp)
    if not setups:
        return ""
    levels = run.levels(exp)
    out = ["## Daytime: iterative against concurrent servers (Comer)", "",
           images(made, run.folder, ["daytime"]), "",
           "**Published claim.** Comer (the lecture's \"Issues in Server Software Design\"): \"Iterative server"
           " implementations are easier to build and understand, but may result in poor performance because"
           " they make clients wait for service.\" A concurrent server pays for its concurrency: fork() per"
           " connection, a thread per connection, or an event loop.", "",
           "**This run.** RFC 867 daytime: the server sends one line and closes; the client opens a new"
           " connection per request, with the given number of connections in flight. rps here = completed"
           " connections per second.", ""]
    out.append(table(["model"] + [str(c) for c in levels],
                     [[lab(s)] + [cell_rps(run.at(exp, s, c)) for c in levels] for s in setups]))
    out.append("")
    out.append("p99 latency (ms), connect to closing line:")
    out.append("")
    out.append(table(["model"] + [str(c) for c in levels],
                     [[lab(s)] + [f_ms(run.at(exp, s, c).get("lat_p99_us")) if run.at(exp, s, c) else ""
                                  for c in levels] for s in setups]))
    out.append("")
    it = run.find(exp, "iterative")
    bullets, why = [], []
    for c in levels:
        pi = run.at(exp, it, c) if it else None
        if not pi or not pi.get("rps"):
            continue
        others = [(lab(s), run.at(exp, s, c)) for s in setups if s != it]
        others = [(n, p) for n, p in others if p and p.get("rps")]
        if not others:
            continue
        n, p = max(others, key=lambda x: x[1].get("rps"))
        bullets.append(f"At {c} connections: iterative {f_rps(pi.get('rps'))}/s (p99 {f_ms(pi.get('lat_p99_us'))} ms),"
                       f" best concurrent {n} {f_rps(p.get('rps'))}/s (p99 {f_ms(p.get('lat_p99_us'))} ms),"
                       f" iterative = {f_pct(pi.get('rps') / p.get('rps'))} of it.")
    fk = run.find(exp, "fork")
    if fk:
        pts = run.measured(exp, fk)
        if pts:
            p = pts[-1]
            bullets.append(f"fork() per connection costs the server {f_num(p.get('cpu_us_per_req'), 0)} µs of CPU per"
                           f" connection at {p.conns} connections (iterative: "
                           f"{f_num(run.measured(exp, it)[-1].get('cpu_us_per_req'), 0) if it and run.measured(exp, it) else '–'} µs).")
    bound = sorted({f"{lab(s)} at {p.conns}" for s in setups for p in run.measured(exp, s) if p.client_bound})
    if bound:
        bullets.append("Client-bound (★): " + ", ".join(bound) + ".")
    out += [f"- {b}" for b in bullets]
    out.append("")
    if it and run.measured(exp, it):
        top = run.measured(exp, it)[-1]
        best = [run.at(exp, s, top.conns) for s in setups if s != it]
        best = [p for p in best if p and p.get("rps")]
        if best:
            b = max(best, key=lambda p: p.get("rps"))
            r = top.get("rps") / b.get("rps")
            if r >= 0.7:
                why.append(f"For a request this small the iterative server keeps up ({f_pct(r)} of the best"
                           f" concurrent model at {conns_words(top.conns)}): the service time is tiny next to"
                           " the TCP connection setup and teardown every model pays, so there is little for"
                           " concurrency to overlap.")
            else:
                why.append(f"The iterative server falls behind ({f_pct(r)} of the best concurrent model at"
                           f" {conns_words(top.conns)}).")
            li, lb = top.get("lat_p99_us"), b.get("lat_p99_us")
            if li and lb:
                if li > 1.5 * lb:
                    why.append(f"Its clients do wait for each other, as Comer warns: p99 {f_ms(li)} ms against"
                               f" {f_ms(lb)} ms for {lab(b.setup)} at that level.")
                else:
                    why.append(f"Nor do its clients wait longer: p99 {f_ms(li)} ms against {f_ms(lb)} ms for"
                               f" {lab(b.setup)} at that level, since each waits in the accept queue behind"
                               " requests that take microseconds.")
    busy = [(lab(s), p, cpu_of(run, p, "client_cpus_busy_pct"), cpu_of(run, p, "client_cpus_softirq_pct"))
            for s in setups for p in run.measured(exp, s)[-1:]]
    busy = [(n, p, b, sq) for n, p, b, sq in busy if b is not None]
    if busy:
        full = [(n, p, b, sq) for n, p, b, sq in busy if b >= 95]
        if len(full) >= len(busy) / 2:
            sq = sorted(x[3] for x in full if x[3] is not None)
            why.append(f"At each model's highest level the client's CPU was at least 95% busy for {len(full)} of"
                       f" {len(busy)} models"
                       + (f" (softirq {span(sq)}% of it: the loopback TCP work no process is charged for)"
                          if sq else "")
                       + ", so the client side, not the server, set most of these numbers"
                       + ("; that is why the models come out close to each other." if len(busy) >= 3 else "."))
    why.append("Every daytime connection costs a TCP handshake and teardown on both sides of one machine;"
               " those kernel costs are the same for every model and bound all of them. Context switches are"
               " left empty in runs.csv where the server's threads or processes came and went within the"
               " window (see results/README.md).")
    out.append("**Where and why they differ.** " + " ".join(why))
    return "\n".join(out)


def section_crosscheck(run, made):
    exp = "crosscheck"
    setups = run.setups(exp)
    if not setups:
        return ""
    out = ["## loadgen against wrk", "", images(made, run.folder, ["crosscheck"]), "",
           "The same server and load measured by both clients, each pinned to the client CPU with one thread."
           " wrk's row comes from harness/wrk_csv.lua; its warm-up is a separate wrk run before the measured"
           " one.", ""]
    rows = []
    for s in setups:
        for p in run.measured(exp, s):
            rows.append([f"{lab(s)} [{s[3]}]", p.conns, cell_rps(p), f_ms(p.get("lat_p50_us")),
                         f_ms(p.get("lat_p99_us")), f_num(p.get("cli_cpu_pct"), 0), f_num(p.get("srv_cpu_pct"), 0),
                         f_num(cpu_of(run, p, "client_cpus_busy_pct"), 0),
                         f_num(cpu_of(run, p, "server_cpus_busy_pct"), 0)])
    out.append(table(["model [client]", "conns", "requests/s", "p50 ms", "p99 ms", "client process CPU %",
                      "server process CPU %", "client CPUs busy %", "server CPUs busy %"], rows))
    out.append("")
    ratios = []
    for s in setups:
        if s[3] != "loadgen":
            continue
        w = run.find(exp, s[0], s[1], s[2], "wrk")
        for p in run.measured(exp, s):
            q = run.at(exp, w, p.conns) if w else None
            if q and q.get("rps"):
                ratios.append((s[0], p.conns, p.get("rps") / q.get("rps"), p, q))
    for model, c, r, p, q in ratios:
        both = p.client_bound and q.client_bound
        out.append(f"- {model} at {c} connections: loadgen/wrk = **{r:.2f}**"
                   + (" (both clients at their CPU limit: this compares the clients)" if both else
                      " (not both client-bound: the server, not the clients, may set both numbers; the ratio"
                      " then checks that the two agree rather than which client is faster)"))
    return "\n".join(out)


def section_warnings(run):
    path = os.path.join(run.folder, "warnings.txt")
    lines = []
    if os.path.exists(path):
        with open(path) as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
    out = ["## Runner warnings", ""]
    if not lines:
        out.append("None: every server started, printed its listening line, and exited 0 within 2 s of SIGTERM.")
        return "\n".join(out)
    kinds = Counter(l.split(": ", 1)[1] if ": " in l else l for l in lines)
    out.append(f"{len(lines)} warning(s) (full list in warnings.txt):")
    out.append("")
    for text, n in kinds.most_common():
        who = sorted({l.split(": ", 1)[0] for l in lines if l.endswith(text)})
        out.append(f"- {text} — {n}×: {', '.join(who[:6])}{' …' if len(who) > 6 else ''}")
    return "\n".join(out)


def files_section(run, made):
    names = sorted(os.path.basename(m) for m in made)
    return "\n".join(["## Files", "",
                      "runs.csv (one row per point and repetition; columns in results/README.md), meta.txt,"
                      " cpu.csv, model_sizes.csv, runner.log (every command run), warnings.txt, server-stderr.log,"
                      " client-stderr.log, plotdata/ (gnuplot data and scripts), and the plots: "
                      + ", ".join(names) + "."])


def write_report(folder):
    run = Run(folder)
    made = plot.make_all(folder)
    sections = [header(run, made), section_seda(run, made), section_ousterhout(run, made),
                section_blocking(run, made), section_daytime(run, made), section_crosscheck(run, made),
                section_warnings(run), files_section(run, made)]
    path = os.path.join(folder, "REPORT.md")
    with open(path, "w") as f:
        f.write("\n\n".join(s for s in sections if s) + "\n")
    return path, made


def main(argv):
    if len(argv) != 1:
        print("usage: report.py RESULTS_FOLDER", file=sys.stderr)
        return 2
    folder = argv[0]
    if not os.path.exists(os.path.join(folder, "runs.csv")):
        print(f"report.py: no runs.csv in {folder}", file=sys.stderr)
        return 1
    try:
        path, made = write_report(folder)
    except (ValueError, RuntimeError) as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    print(f"report.py: {path} and {len(made)} plot files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""sections/ousterhout.py - events against threads (Ousterhout; von Behren et al.): the
ousterhout plot and report section."""

import csv
import os

import runs
from plot_lib import Figure, by_family, experiment_series, small_multiples
from report_lib import cell_rps, compare, conns_words, cpu_of, f_num, f_pct, f_rps, images, lab, table
from verdicts import Verdict

NAME = "ousterhout"

# Von Behren's claim, and the thread models it is tested on (absent ones are skipped).
THREAD_MODELS = [("uthread", "uthread (this suite's O(1) user-level threads)"), ("st", "State Threads"),
                 ("pth", "GNU Pth"), ("thread", "kernel threads")]
LIKE_EVENTS_RPS = 0.9    # "performs like events": at least this share of epoll's requests/s
LIKE_EVENTS_CPU = 1.1    # and at most this multiple of epoll's server CPU per request


def plot(folder, points, terms):
    """ousterhout: server on one CPU, small multiples by family; rows: server CPU per request
    (the verdicts' figure: the client was the limit at most points), requests/s, context
    switches and memory.  ousterhout_2cpus: the setups on two CPUs, CPU per request and requests/s."""
    setups = runs.setups(points, NAME)
    if not setups:
        return []
    cpu_sets = sorted({s[2] for s in setups}, key=lambda c: (len(c), c))
    made = []
    for i, cpus in enumerate(cpu_sets[:2]):
        name = "ousterhout" if i == 0 else "ousterhout_2cpus"
        rows = ["cpu", "rps", "ctxsw", "rss"] if i == 0 else ["cpu", "rps"]
        fig = Figure(folder, name, 1500, 240 + 230 * len(rows))
        series, levels = experiment_series(fig, points, NAME, lambda s, c=cpus: s[2] == c)
        if series:
            small_multiples(fig, f"Events against threads: plaintext keep-alive, server on {cpu_words(cpus)}",
                            by_family(series), rows, levels)
            made += fig.draw(terms)
    return made


def cpu_words(cpus):
    return f"CPU{'s' if len(runs_cpus(cpus)) > 1 else ''} {cpus}"


def runs_cpus(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def section(run, made):
    exp = NAME
    one = run.server_cpus
    setups1 = run.setups(exp, one)
    if not setups1:
        return ""
    others = [s for s in run.setups(exp) if s[2] != one]
    two = others[0][2] if others else None
    levels = run.levels(exp)
    out = ["## Events against threads (Ousterhout; von Behren, Condit and Brewer)", "",
           images(made, run.folder, ["ousterhout", "ousterhout_2cpus"]), "",
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
        for name, s in (("kernel threads", th), ("Pth", pth), ("uthread", run.find(exp, "uthread", "", one)),
                        ("State Threads", run.find(exp, "st", "", one))):
            p = run.at(exp, s, c) if s else None
            if p and p.get("rps"):
                parts.append(f"{name} {f_pct(p.get('rps') / pe.get('rps'))}")
        if parts:
            bullets.append(f"At {conns_words(c)} on one CPU, against epoll's {f_rps(pe.get('rps'))} requests/s: "
                           + ", ".join(parts) + ".")
        for name, s in (("thread", th), ("pth", pth)):
            p = run.at(exp, s, c) if s else None
            if p and p.get("rps") and (p.client_bound or pe.client_bound):
                bullets.append(f"Client-bound at {conns_words(c)}: " + compare(run, name, p, "epoll", pe)[0] + ".")
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

    out += von_behren(run, exp, one, levels, ep)
    why = []
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
                       + ". A single-threaded loop (epoll, pth, st, uthread) can use one CPU only; kernel threads,"
                         " several reactors and several uthread schedulers can use both, Ousterhout's own exception (\"true CPU concurrency\"). On this"
                         " 2-core machine the second CPU also runs the client, which bounds any gain: for a model"
                         " that can use two CPUs, a ratio near 1 means the client or the shared CPU set the limit.")
    why.append("Programmability is not measured by a benchmark: the size table above is its only number here.")
    out.append("**Where and why they differ.** " + " ".join(why))
    return "\n".join(out)


def cpu_per_req(run, p):
    """Server CPU µs per request: runs.csv's srv_cpu_us_per_req when the run has it, else the server
    CPU set's busy share from cpu.csv (softirq included) over requests/s (medians of the repetitions)."""
    v = p.get("srv_cpu_us_per_req")
    if v is not None:
        return v
    busy, rps = cpu_of(run, p, "server_cpus_busy_pct"), p.get("rps")
    if busy is None or not rps:
        return None
    return busy / 100.0 * len(runs_cpus(p.server_cpus)) * 1e6 / rps


def ratio(a, b):
    return a / b if a is not None and b else None


def von_behren(run, exp, one, levels, ep):
    """The claim, a table of each thread model against epoll at each level, and the verdict."""
    out = ["**Von Behren's claim, tested.** \"Thread-per-task on a user-level thread package performs like"
           " events once O(n) costs are gone\" (von Behren, Condit and Brewer, HotOS 2003, whose test ran a GNU"
           " Pth modified to avoid O(n) operations; Capriccio's Knot against SEDA's Haboob, SOSP 2003, the same"
           " claim at full scale). Here the same blocking serve_connection() runs on each thread package and"
           f" is set against epoll, server on CPU {one}. Where the client is the limit (★) requests/s is a"
           " lower bound, so server CPU per request (busy time of the server's CPU, softirq included, per"
           f" request) is the fair measure. \"Like events\" = at least {f_pct(LIKE_EVENTS_RPS)} of epoll's"
           f" requests/s and at most {LIKE_EVENTS_CPU:.1f}× its CPU per request.", ""]
    present = [(m, name, run.find(exp, m, "", one)) for m, name in THREAD_MODELS]
    present = [(m, name, s) for m, name, s in present if s]
    if not ep or not present:
        out += ["(Not testable in this run: it needs epoll and at least one of "
                + ", ".join(m for m, _ in THREAD_MODELS) + " on one CPU.)", ""]
        return out
    rows, verdicts = [], []
    for m, name, s in present:
        last = None
        for c in levels:
            pe, pt = run.at(exp, ep, c), run.at(exp, s, c)
            if not pe or not pt or not pe.get("rps") or not pt.get("rps"):
                continue
            r_rps = ratio(pt.get("rps"), pe.get("rps"))
            ce, ct = cpu_per_req(run, pe), cpu_per_req(run, pt)
            r_cpu = ratio(ct, ce)
            rows.append([m, c, f"{cell_rps(pt)} (×{r_rps:.2f})",
                         f"{f_num(ct, 1)} (×{f_num(r_cpu)})" if ct is not None else "–",
                         f_num(pt.get("ctxsw_per_req")), f_num(pe.get("ctxsw_per_req"))])
            last = (c, r_rps, r_cpu, pt.client_bound or pe.client_bound)
        if last:
            verdicts.append(verdict(name, *last))
    out.append(table(["model", "conns", "requests/s (× epoll)", "server CPU µs/req (× epoll)", "ctxsw/req",
                      "epoll ctxsw/req"], rows))
    out.append("")
    out += [f"- {v}" for v in verdicts]
    out.append("")
    return out


def verdict(name, c, r_rps, r_cpu, bound):
    """One sentence: does this thread package perform like events at c connections?"""
    rps_ok = r_rps >= LIKE_EVENTS_RPS
    cpu_ok = r_cpu is not None and r_cpu <= LIKE_EVENTS_CPU
    got = f"{f_pct(r_rps)} of epoll's requests/s" + (f" and {r_cpu:.2f}× its CPU per request" if r_cpu else "")
    if rps_ok and cpu_ok:
        return f"{name} at {conns_words(c)}: {got}: performs like events; the claim holds."
    if cpu_ok and bound:
        return (f"{name} at {conns_words(c)}: {got}; the client was the limit, and by CPU per request it"
                " performs like events: the claim holds.")
    if r_cpu is None:
        return f"{name} at {conns_words(c)}: {got} (no CPU figure); " + (
            "like events by requests/s." if rps_ok else "not like events by requests/s.")
    return (f"{name} at {conns_words(c)}: {got}: not like events"
            + ("; GNU Pth's scheduler rebuilds select() sets from every waiting thread on each pass, the"
               " O(n) cost von Behren et al. removed before their test." if name == "GNU Pth" else
               "; kernel threads pay a kernel context switch per request, Ousterhout's cost." if name ==
               "kernel threads" else "."))


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


def verdicts(run):
    """Ousterhout: epoll against kernel threads; von Behren: the first user-level thread package of
    THREAD_MODELS the run has (uthread, the O(1) one the claim is about, before st and Pth) against
    epoll; one server CPU, the highest level both ran, by the figure that decides (report_lib.compare)."""
    exp, one = NAME, run.server_cpus
    ep = run.find(exp, "epoll", "", one)
    user = next(((m, s) for m, s in ((m, run.find(exp, m, "", one)) for m, _ in THREAD_MODELS[:-1]) if s),
                ("pth", None))
    out = []
    for claim, a, b, name_a, name_b in (("ousterhout", ep, run.find(exp, "thread", "", one), "epoll", "thread"),
                                        ("von-behren", user[1], ep, user[0], "epoll")):
        c, pa, pb = common_top(run, exp, a, b)
        if not c:
            continue
        sentence, ratio = compare(run, name_a, pa, name_b, pb)
        if ratio is None:
            continue
        if claim == "ousterhout":      # events better: ahead by more than 10 %
            verdict = "reproduced" if ratio > 1.10 else "partly" if ratio > 0.95 else "not reproduced"
        else:                          # alike: within 10 %, partly within 40 %
            verdict = "reproduced" if ratio >= 0.90 else "partly" if ratio >= 0.60 else "not reproduced"
        out.append(Verdict(claim, verdict, f"at {conns_words(c)}: {sentence}"))
    return out

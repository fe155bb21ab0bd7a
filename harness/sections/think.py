"""sections/think.py - think time: connections that are mostly idle (the C10K case).

Each connection waits Z ms between a response and its next request (loadgen
--think-ms), the connection count scaled by Little's law so the offered load
stays near experiments.THINK_RATE_RPS.  The section tabulates requests/s,
server CPU per request, RSS per connection and threads per model and Z, ranks
the models at each Z by CPU per request, and says how the ranking moves as
connections become mostly idle.  No plot: the table is the result.
"""

from experiments import THINK_BY_CONNS, THINK_RATE_RPS, THINK_RESPONSE_MS
from report_lib import cell_rps, cpu_of, f_ms, f_num, lab, table

NAME = "think"


def plot(folder, points, terms):
    return []


def busy_us_per_req(run, p):
    """The server CPU set's busy time (softirq included) per request, from cpu.csv."""
    busy = cpu_of(run, p, "server_cpus_busy_pct")
    rps = p.get("rps")
    if busy is None or not rps:
        return None
    ncpu = len(p.server_cpus.split(",")) if "-" not in p.server_cpus else 2
    return busy / 100.0 * ncpu * 1e6 / rps


def cost(run, p):
    """CPU per request used for the ranking: the server process's own CPU time per
    request.  The busy time of the server's CPU (cpu.csv) is shown beside it, but on
    a shared machine it also holds other processes' work on that CPU."""
    return p.get("cpu_us_per_req")


def ranking(run, setups, conns):
    pts = [(lab(s), run.at(NAME, s, conns)) for s in setups]
    pts = [(n, p) for n, p in pts if p is not None and p.reps and cost(run, p) is not None]
    return sorted(pts, key=lambda x: cost(run, x[1]))


def think_of(run):
    """{conns: Z ms} as this run used them (meta.txt), else the registry's."""
    text = run.meta.get(f"{NAME}_think_ms_by_conns", "")
    got = dict(tuple(int(x) for x in kv.split(":")) for kv in text.split() if ":" in kv)
    return got or THINK_BY_CONNS


def section(run, made):
    setups = run.setups(NAME)
    if not setups:
        return ""
    zs = think_of(run)
    levels = run.levels(NAME)
    out = ["## Think time: mostly idle connections", "",
           "**The question.** The SEDA argument (Welsh et al.) is that thread-per-connection servers degrade as"
           " concurrency grows, while an event-driven design holds its throughput; C10K (Kegel) is the same"
           " argument for ten thousand clients. Real clients (WAN users, browsers) hold a connection open and"
           " are mostly idle. Here each connection waits Z ms between a response and its next request"
           " (`loadgen --think-ms Z`), and the connection count is scaled by Little's law so that the offered"
           f" load stays near {THINK_RATE_RPS:,} requests/s: connections = rate × (Z + {THINK_RESPONSE_MS:g} ms)."
           " Z = 0 is the saturated reference: a closed loop on a few connections, as fast as the server goes."
           " Plaintext keep-alive, server on its CPU, client on the other.", ""]
    rows = []
    for s in setups:
        base = run.at(NAME, s, levels[0])
        for c in levels:
            p = run.at(NAME, s, c)
            if p is None or not p.reps:
                continue
            rss = p.get("srv_rss_kb")
            per_conn = None
            if base is not None and base.reps and c > base.conns and rss is not None:
                per_conn = (rss - base.get("srv_rss_kb")) / (c - base.conns)
            rows.append([lab(s), zs.get(c, "?"), c, cell_rps(p), f_num(p.get("cpu_us_per_req"), 1),
                         f_num(busy_us_per_req(run, p), 1), f_num(rss / 1024.0 if rss else None, 1),
                         f_num(per_conn, 1), f_num(p.get("srv_threads"), 0), f_ms(p.get("lat_p99_us"))])
    out.append(table(["model", "Z ms", "conns", "requests/s", "process CPU µs/req", "CPU 0 busy µs/req",
                      "RSS MB", "RSS KB/conn (vs Z=0)", "threads", "p99 ms"], rows))
    out += ["", "CPU per request: *process* is the server's own CPU time / requests; *CPU 0 busy* is the busy"
            " time of the server's CPU from /proc/stat (softirq included: the kernel's TCP work for the server)"
            " / requests, the fairer figure where the client was the limit (★). RSS per connection: the peak"
            " RSS above the Z = 0 point's, divided by the extra connections (thread stacks, buffers,"
            " per-connection state).", ""]
    out += verdict(run, setups, levels, zs)
    return "\n".join(out)


def verdict(run, setups, levels, zs):
    lo, hi = levels[0], levels[-1]
    r_lo, r_hi = ranking(run, setups, lo), ranking(run, setups, hi)
    if not r_lo or not r_hi:
        return []
    zl, zh = zs.get(lo, "?"), zs.get(hi, "?")

    def names(r):
        return " < ".join(f"{n} ({f_num(cost(run, p), 1)} µs)" for n, p in r)
    out = [f"**Ranking by the server's CPU per request (lower is better).** At Z = {zl} ms ({lo} connections):"
           f" {names(r_lo)}. At Z = {zh} ms ({hi} connections): {names(r_hi)}.", ""]
    pos_lo = {n: i for i, (n, _) in enumerate(r_lo)}
    moved = [f"{n} {pos_lo[n] + 1}→{i + 1}" for i, (n, _) in enumerate(r_hi) if n in pos_lo and pos_lo[n] != i]
    out.append("- " + ("The order changes as connections become idle: " + ", ".join(moved) + "."
                       if moved else "The order is the same at both ends."))
    ratio = {}
    for n, p in r_hi:
        q = dict(r_lo).get(n)
        if q is not None and cost(run, q):
            ratio[n] = cost(run, p) / cost(run, q)
    if ratio:
        out.append(f"- CPU per request from Z = {zl} to Z = {zh} ms: "
                   + ", ".join(f"{n} ×{r:.2f}" for n, r in ratio.items()) + ".")
    full = {n: p for n, p in r_hi if p.get("rps") is not None and p.get("rps") >= 0.8 * THINK_RATE_RPS}
    short = [f"{n} {cell_rps(p)}" for n, p in r_hi if n not in full and p.get("rps") is not None]
    if short:
        out.append(f"- Below 80% of the offered {THINK_RATE_RPS:,}/s at Z = {zh} ms: " + ", ".join(short) + ".")
    per_conn = {}
    for s in setups:
        a, b = run.at(NAME, s, lo), run.at(NAME, s, hi)
        if a and b and a.reps and b.reps and b.get("srv_rss_kb") and hi > lo:
            per_conn[lab(s)] = (b.get("srv_rss_kb") - a.get("srv_rss_kb")) / (hi - lo)
    if per_conn:
        out.append(f"- Memory per idle connection (RSS from {lo} to {hi} connections): "
                   + ", ".join(f"{n} {v:.1f} KB" for n, v in per_conn.items())
                   + "; at 10,000 connections that is " + ", ".join(f"{n} {v * 10000 / 1024:.0f} MB"
                                                                   for n, v in per_conn.items()) + ".")
    out += ["", seda_meaning(run, r_lo, r_hi, ratio, per_conn, hi)]
    return out


def seda_meaning(run, r_lo, r_hi, ratio, per_conn, hi):
    """The SEDA paragraph, from the figures: which design gains or loses as connections go idle."""
    best_lo, best_hi = r_lo[0][0], r_hi[0][0]
    threads = [n for n in ratio if n.startswith("thread") and n != "thread pool"]
    events = [n for n in ratio if n in ("epoll", "uthread", "st")]
    if best_lo == best_hi:
        first = f"{best_lo} is the cheapest per request both with busy connections and with {hi} mostly idle ones."
    else:
        first = (f"The cheapest model per request is {best_lo} with busy connections and {best_hi} with {hi}"
                 " mostly idle ones.")
    words = ["**What it means for the SEDA argument.** " + first]
    if threads and events:
        t = max(ratio[n] for n in threads)
        e = max(ratio[n] for n in events)
        each = ", ".join(f"×{ratio[n]:.2f} for {n}" for n in events)
        if t > 1.2 * e:
            words.append(f"As connections go idle the thread-per-connection server's CPU per request moves"
                         f" by ×{t:.2f} against {each}: the gap SEDA and C10K"
                         " describe opens even at a constant request rate, since every request now wakes"
                         " a different sleeping kernel thread, while one epoll_wait returns many ready"
                         " connections.")
        else:
            words.append(f"CPU per request moves by ×{t:.2f} for {', '.join(threads)} against {each}:"
                         " idle connections do not make the thread server's requests"
                         " dearer than the event server's at this scale.")
    if "thread pool" in dict(r_hi):
        p = dict(r_hi)["thread pool"]
        if p.get("rps") is not None and p.get("rps") < 0.8 * THINK_RATE_RPS:
            words.append(f"The bounded pool, SEDA's own remedy for thread overload, collapses to"
                         f" {cell_rps(p)} requests/s: each of its workers holds one idle keep-alive connection"
                         " for the connection's life, so most connections wait unserved (timeouts); a bound on"
                         " threads only works when threads are not tied to connections, which is what SEDA's"
                         " event-driven stages provide.")
    if "thread" in per_conn and "epoll" in per_conn:
        words.append(f"The cost of an idle connection is memory: {per_conn['thread']:.1f} KB each for a kernel"
                     f" thread against {per_conn['epoll']:.1f} KB in the event loop ({per_conn['thread'] * 10000 / 1024:.0f}"
                     f" against {per_conn['epoll'] * 10000 / 1024:.0f} MB at 10,000 connections), plus a kernel"
                     " thread per connection for the scheduler to hold: what C10K scales.")
    return " ".join(words)

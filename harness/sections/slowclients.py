"""sections/slowclients.py - Comer's claim with slow clients: plot, report section, verdict.

64 normal closed-loop connections (keep-alive; the iterative server per request) fetch an 8 KB
file while K slow clients sit beside them (loadgen --slow K:MODE): `head` sends its request head
a byte every 8 ms (0.5 s a head, inside the server's --idle-ms 1000), `idle` connects and sends
nothing, `read` reads its responses at 4 KB/s.  The level of a point is K (runs.csv slow_conns);
the figure is what the normal clients get: requests/s as a share of the same setup's K = 0, and p99.
Comer's verdict row is decided here (head mode).
"""

from experiments import POOL_WORKERS, SLOW_HEAD, SLOW_IDLE_MS, SLOW_NORMAL_CONNS, SLOW_READ
from plot_lib import Figure, color, fmt
import runs
from report_lib import f_ms, f_pct, f_rps, images, table
from verdicts import Verdict

NAME = "slowclients"
MODES = ("head", "idle", "read")
FALL, HOLD = 0.5, 0.9          # the rule's thresholds: iterative under FALL at K = 1, a concurrent model >= HOLD
POOLS = ("thread pool", "fork prefork")


def mode_of(variant):
    """'pool:head' -> ('pool', 'head'); 'idle' -> ('', 'idle')."""
    base, _, mode = variant.rpartition(":")
    return base, mode


def model_label(setup):
    return runs.label(setup[0], mode_of(setup[1])[0])


def by_model(points):
    """{model label: {mode: {K: Point}}} of the experiment's measured points."""
    out = {}
    for p in points.values():
        if p.experiment != NAME or not p.reps or p.get("rps") is None:
            continue
        base, mode = mode_of(p.variant)
        out.setdefault(runs.label(p.model, base), {}).setdefault(mode, {})[p.conns] = p
    return out


def baseline(modes):
    """The K = 0 point every mode of a model shares (run once, in the head setups)."""
    for m in MODES:
        if 0 in modes.get(m, {}):
            return modes[m][0]
    return None


def share(p, base, what="med"):
    """Normal clients' requests/s at p as a share of K = 0; what = med, lo (worst case), hi (best case)."""
    if p is None or base is None or not base.get("rps"):
        return None
    if what == "lo":
        return p.get("rps", "lo") / base.get("rps", "hi")
    if what == "hi":
        return p.get("rps", "hi") / max(base.get("rps", "lo"), 1e-9)
    return p.get("rps") / base.get("rps")


# ---------------------------------------------------------------- plot

def plot(folder, points, terms):
    models = by_model(points)
    if not models:
        return []
    levels = sorted({k for modes in models.values() for m in modes.values() for k in m})
    pos = {k: i for i, k in enumerate(levels)}
    modes = [m for m in MODES if any(m in ms for ms in models.values())]
    fig = Figure(folder, "slowclients", 1200, 330 * len(modes) + 60)
    files = {}
    for lab, ms in models.items():
        base = baseline(ms)
        for m in modes:
            pts = dict(ms.get(m, {}))
            if base is not None:
                pts.setdefault(0, base)
            lines = ["# x K rps share share_lo share_hi p99_ms p99_lo p99_hi"]
            for k in sorted(pts):
                p = pts[k]
                ms_ = lambda w: p.get("lat_p99_us", w) / 1000.0 if p.get("lat_p99_us", w) is not None else None
                lines.append(" ".join(fmt(v) for v in (pos[k], k, p.get("rps"), share(p, base), share(p, base, "lo"),
                                                       share(p, base, "hi"), ms_("med"), ms_("lo"), ms_("hi"))))
            if len(lines) > 1:
                files[(lab, m)] = fig.data(f"{lab}_{m}", lines)
    ticks = ", ".join(f"'{k}' {i}" for k, i in pos.items())
    pool_x = pos.get(POOL_WORKERS)
    fig.add(f"set multiplot layout {len(modes)},2 title 'Normal clients ({SLOW_NORMAL_CONNS} connections) beside K slow"
            f" clients; server --idle-ms {SLOW_IDLE_MS}' font ',12'",
            f"set xtics ({ticks})", f"set xrange [-0.3:{len(levels) - 0.7}]", "set xlabel 'K slow clients'",
            "set lmargin 10", "set rmargin 2")
    first = True
    for m in modes:
        labs = [lab for lab in models if (lab, m) in files]
        mark = (f"set arrow 1 from {pool_x}, graph 0 to {pool_x}, graph 1 nohead dt 3 lc rgb '#555555'\n"
                f"set label 2 'pool size {POOL_WORKERS}' at {pool_x}, graph 0.95 offset 0.5,0 font ',8'"
                if pool_x is not None else "unset arrow 1")
        key = "set key outside right top vertical font ',9'" if first else "unset key"
        if first:
            fig.add("set rmargin 18")
        fig.add(mark, key, f"set title 'requests/s as a share of K = 0 ({m}: {mode_words(m)})'",
                "set ylabel 'share of K = 0'", "set yrange [0:*]", "set format y '%.0f%%'",
                "plot " + ", \\\n  ".join(
                    f"'{files[(lab, m)]}' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '{color(lab)}'"
                    f" lw 1.5 pt 7 ps 0.6 " + (f"title '{lab}'" if first else "notitle") for lab in labs))
        fig.add("unset key", "set rmargin 2", f"set title 'p99 latency ({m})'", "set ylabel 'p99, ms (log scale)'",
                "set logscale y", "set yrange [*:*]", "set format y '%g'",
                "plot " + ", \\\n  ".join(
                    f"'{files[(lab, m)]}' using 1:7:8:9 with yerrorlines lc rgb '{color(lab)}' lw 1.5 pt 7 ps 0.6"
                    " notitle" for lab in labs),
                "unset logscale y", "unset label 2")
        first = False
    return fig.draw(terms)


def mode_words(m):
    return {"head": f"a head byte every {SLOW_HEAD.split(':')[1]} ms",
            "idle": "connect, send nothing",
            "read": f"read at {SLOW_READ.split(':')[1]} B/s"}.get(m, m)


# ---------------------------------------------------------------- section

def cell(p, base):
    s = share(p, base)
    if s is None:
        return "–"
    lo, hi = share(p, base, "lo"), share(p, base, "hi")
    spread = f" ({f_pct(lo)}–{f_pct(hi)})" if p.reps > 1 and abs(hi - lo) > 0.005 else ""
    return f"{f_pct(s)}{spread}"


def standing(models, mode, top):
    """(holds, degrades, falls): model labels by their share at the top K of this mode."""
    holds, mid, falls = [], [], []
    for lab, ms in models.items():
        s = share(ms.get(mode, {}).get(top), baseline(ms))
        if s is None:
            continue
        (holds if s >= HOLD else falls if s < FALL else mid).append(f"{lab} {f_pct(s)}")
    return holds, mid, falls


def section(run, made):
    models = by_model(run.points)
    if not models:
        return ""
    levels = sorted({k for ms in models.values() for m in ms.values() for k in m})
    out = ["## Slow clients: Comer's iterative server, and every model's defence", "",
           images(made, run.folder, ["slowclients"]), "",
           "**Published claim.** Comer: \"Iterative server implementations are easier to build and understand,"
           " but may result in poor performance because they make clients wait for service.\" The daytime"
           " experiment cannot show it: there every client is well behaved and the service takes microseconds,"
           " so serving one client at a time costs nothing but the order. What makes clients wait is a client"
           " that is slow: a phone on a bad network sending its request, a browser's pre-opened connection, a"
           " slowloris attack. SEDA's bounded pools meet the same problem at their pool size.", "",
           f"**This run.** {SLOW_NORMAL_CONNS} normal closed-loop connections (keep-alive; the iterative server"
           f" one request per connection, as it closes every connection) fetch an 8 KB file while K slow clients"
           f" sit beside them (`loadgen --slow K:MODE`), which connect first. `head`: the request head a byte"
           f" every {SLOW_HEAD.split(':')[1]} ms, about 0.5 s a head, then the response and the next head: slow"
           f" but legitimate, finished inside the server's `--idle-ms {SLOW_IDLE_MS}`. `idle`: connect and send"
           f" nothing. `read`: whole requests, the responses read at {SLOW_READ.split(':')[1]} bytes/s through a"
           f" 4 KB receive buffer. `--idle-ms {SLOW_IDLE_MS}` is chosen against the point's length: shorter"
           " than the measured window, so an idle client is dropped and comes back within one point (the"
           " defence shows), long enough that a slow head is still legitimate (a server must serve it, and a"
           " server that serves one connection at a time waits 0.5 s for it). The figure is the normal"
           " clients' requests/s as a share of the same model's K = 0 (spread min–max over the repetitions,"
           " worst against best case), and their p99. Every server's slow-client figures are in"
           " client-stderr.log (served, closed by the server, still open).", ""]
    for m in MODES:
        rows = []
        for lab, ms in models.items():
            if m not in ms:
                continue
            base = baseline(ms)
            rows.append([lab, f_rps(base.get("rps")) if base else "–"]
                        + [cell(ms[m].get(k), base) if k else "100%" for k in levels]
                        + [f_ms(ms[m][max(ms[m])].get("lat_p99_us")) if ms[m] else "–"])
        if rows:
            out += [f"*{m}* ({mode_words(m)}): normal clients' requests/s share of K = 0", "",
                    table(["model", "requests/s at K = 0"] + [f"K = {k}" for k in levels]
                          + ["p99 ms at the top K"], rows), ""]
    head_top = max((k for ms in models.values() for k in ms.get("head", {})), default=None)
    bullets = []
    for m in MODES:
        top = max((k for ms in models.values() for k in ms.get(m, {})), default=None)
        if top is None:
            continue
        holds, mid, falls = standing(models, m, top)
        bullets.append(f"- *{m}* at K = {top}: hold (≥ {f_pct(HOLD)}): {', '.join(holds) or 'none'};"
                       f" between: {', '.join(mid) or 'none'}; fall (< {f_pct(FALL)}): {', '.join(falls) or 'none'}.")
    pools = [lab for lab in POOLS if lab in models]
    out += ["**Which models fall and which hold (measured).**" + (
        f" The bounded pools ({', '.join(pools)}: {POOL_WORKERS} workers) are marked at K = {POOL_WORKERS} in the plot;"
        " a pool gives each connection its worker until the connection closes, so K slow clients at or above"
        " its size leave the normal ones in the listen queue." if pools else ""), ""] + bullets + [""]
    out += ["**Slow readers.** A slow reader holds a server only while the server waits on it: a blocking"
            " write of a response larger than what the two socket buffers hold, or a wait for the client's"
            " close after the last response (a lingering close). With 8 KB responses the buffers hold most of"
            " a response, so where a model falls under *read* above, it waited on the reader in one of those"
            " ways; the defence tests (tests/robustness.py) drop a reader that stops reading a large file"
            " after --idle-ms." if "read" in {m for ms in models.values() for m in ms} else "", "",
            "**Why the daytime experiment stays.** There the iterative server is good enough: each daytime"
            " client is served by one write from the server's side, with nothing to wait for from the client,"
            " so one client at a time costs only microseconds of order and the connection set-up bounds every"
            " model alike. Comer's warning is about what the server waits for: the iterative design is fine"
            " for short services with well-behaved clients, and fails as soon as one client is slow.", ""]
    v = decide(models)
    if v is not None:
        out += [f"**Verdict (Comer): {v.verdict}.** Rule: reproduced when the iterative server keeps under"
                f" {f_pct(FALL)} of its K = 0 requests/s at K = 1 (head) while some concurrent model keeps at least"
                f" {f_pct(HOLD)} at the highest K run ({head_top}); not reproduced when the iterative server keeps"
                f" {f_pct(FALL)} or more; within noise when a figure's spread crosses its threshold. {v.figure}.", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- verdict

def decide(models):
    it = models.get("iterative", {})
    base = baseline(it)
    p1 = it.get("head", {}).get(1)
    if base is None or p1 is None:
        return None
    top = max((k for lab, ms in models.items() if lab != "iterative" for k in ms.get("head", {})), default=None)
    if top is None:
        return None
    best = None
    for lab, ms in models.items():
        if lab == "iterative":
            continue
        s = share(ms.get("head", {}).get(top), baseline(ms))
        if s is not None and (best is None or s > best[1]):
            best = (lab, s, share(ms["head"][top], baseline(ms), "lo"), share(ms["head"][top], baseline(ms), "hi"))
    if best is None:
        return None
    s_it, lo_it, hi_it = share(p1, base), share(p1, base, "lo"), share(p1, base, "hi")
    lab, s_b, lo_b, hi_b = best
    reps = min(p1.reps, base.reps)
    figure = (f"iterative keeps {f_pct(s_it)} (range {f_pct(lo_it)}–{f_pct(hi_it)}) at K = 1, {lab} keeps"
              f" {f_pct(s_b)} (range {f_pct(lo_b)}–{f_pct(hi_b)}) at K = {top}; {reps} repetition(s)")
    noisy = lo_it < FALL <= hi_it or lo_b < HOLD <= hi_b
    if noisy:
        verdict = "within noise"
    elif s_it < FALL and s_b >= HOLD:
        verdict = "reproduced"
    elif s_it < FALL:
        verdict = "partly"
    else:
        verdict = "not reproduced"
    return Verdict("comer", verdict, figure)


def verdicts(run):
    v = decide(by_model(run.points))
    return [v] if v is not None else []

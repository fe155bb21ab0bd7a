"""sections/cost.py - cost at equal load: server CPU against offered load (open loop, loadgen -R),
a curve per model that ends where the model stops sustaining its load; the plot, the table,
and the equal-load figures the completion and von Behren verdicts add beside their saturated ones."""

import runs
from experiments import FAMILIES, SATURATED, family_of
from plot_lib import Figure, color, fmt
from report_lib import conns_words, f_num, images, table
from sampling import cpuset_parse
from verdicts import Verdict

NAME = "cost"
USER_HZ = 100        # the unit of /proc/stat's CPU times (sysconf(_SC_CLK_TCK) on Linux)
VERDICT_CONNS = 1000
# (claim, model, variant, against): the pairs the verdicts compare; von Behren's user-level
# threads as in ousterhout.py (uthread first, then st).
PAIRS = [("completion", "uring", "", "epoll"), ("von-behren", "uthread", "", "epoll"),
         ("von-behren", "st", "", "epoll")]


def curves(run_points):
    """{(model, variant, server_cpus, client, conns): [(offered rps, Point)], lowest load first}."""
    out = {}
    for p in run_points.values():
        if p.experiment != NAME or not p.reps:
            continue
        variant, rate = runs.split_rate(p.variant)
        if rate:
            out.setdefault((p.model, variant, p.server_cpus, p.client, p.conns), []).append((rate, p))
    return {k: sorted(v, key=lambda x: x[0]) for k, v in out.items()}


def sustained(rate, p):
    """The median repetition got its offered load through, without errors."""
    return (p.get("rps") or 0) >= SATURATED * rate and not p.get("errors")


def busy_pct(p, what="med"):
    """The server CPUs' busy share (softirq included): srv_cpu_us_per_req x requests/s."""
    us, rps = p.get("srv_cpu_us_per_req", what), p.get("rps")
    if us is None or not rps:
        return None
    return us * rps / 1e4 / max(1, len(cpuset_parse(p.server_cpus)))


def label(key):
    return runs.label(key[0], key[1])


# The figure's columns: (connections, title, data column, y label); a row per family.
PANELS = ((1000, "server CPU busy", 2, "% of the server CPU"),
          (1000, "server CPU a request", 5, "µs per request"),
          (1000, "p99 latency", 8, "ms (log scale)"),
          (100, "server CPU busy", 2, "% of the server CPU"))


def series_file(fig, key, pts):
    lines = ["# offered busy lo hi us lo hi p99_ms lo hi sustained client_bound"]
    for rate, p in pts:
        ms = [None if p.get("lat_p99_us", w) is None else p.get("lat_p99_us", w) / 1000
              for w in ("med", "lo", "hi")]
        lines.append(" ".join(fmt(v) for v in (
            rate, busy_pct(p), busy_pct(p, "lo"), busy_pct(p, "hi"),
            p.get("srv_cpu_us_per_req"), p.get("srv_cpu_us_per_req", "lo"),
            p.get("srv_cpu_us_per_req", "hi"), *ms, int(sustained(rate, p)), p.client_bound)))
    return fig.data(f"{label(key)}_{key[4]}", lines)


def y_range(cs, conns, col):
    """One y range for a column's panels (small multiples share their axes)."""
    def value(rate, p):
        if col == 2:
            return busy_pct(p, "hi")
        if col == 5:
            return p.get("srv_cpu_us_per_req", "hi")
        return (p.get("lat_p99_us", "hi") or 0) / 1000 or None
    vals = [v for k, pts in cs.items() if k[4] == conns for r, p in pts for v in [value(r, p)] if v]
    if not vals:
        return "set yrange [0:*]"
    if col == 2:
        return f"set yrange [0:{max(100, max(vals)) * 1.05:.0f}]"
    if col == 5:
        return f"set yrange [0:{max(vals) * 1.1:.4g}]"
    return f"set yrange [{min(vals) / 1.5:.4g}:{max(vals) * 1.5:.4g}]"


def plot(folder, points, terms):
    """Small multiples: a row per family (experiments.FAMILIES), the same columns and axes in
    each; the legend of each row beside its last panel, the saturated marker once."""
    cs = curves(points)
    if not cs:
        return []
    rows = [(name, [k for k in cs if family_of(k[0]) == name]) for name, _ in FAMILIES]
    rows = [(name, keys) for name, keys in rows if keys]
    panels = [pn for pn in PANELS if any(k[4] == pn[0] for k in cs)]
    fig = Figure(folder, "cost", 1700, 60 + 300 * len(rows))
    fig.add(f"set multiplot layout {len(rows)},{len(panels)} title 'Cost at equal load: plaintext keep-alive,"
            " open loop (loadgen -R), one server CPU; a curve ends where the model stops sustaining its load"
            " (the same offered loads for every model; p99 from the intended send times)' font ',12'",
            "set xlabel 'offered load (requests/s)'", "set grid", "set format x '%.0s%c'",
            f"set xrange [0:{max(r for pts in cs.values() for r, _ in pts) * 1.05:.0f}]")
    files = {k: series_file(fig, k, pts) for k, pts in cs.items()}
    marked = False
    for family, keys in rows:
        for i, (conns, title, col, ylabel) in enumerate(panels):
            ser = [(label(k), files[k]) for k in keys if k[4] == conns]
            show = i == len(panels) - 1
            ylab = f'"{family}\\n{ylabel}"' if i == 0 else f"'{ylabel}'"   # the row's family, left
            fig.add(f"set title '{title}, {conns:,} conns' noenhanced", f"set ylabel {ylab} noenhanced",
                    "set key outside right top" if show else "unset key",
                    "set logscale y" if col == 8 else "unset logscale y", y_range(cs, conns, col))
            if not ser:   # this family has no curve at this level: an empty panel, said so
                fig.add("set label 1 'not run at this level' at graph 0.5, 0.5 center")
            lines = [f"'{path}' using 1:{col}:{col + 1}:{col + 2} with yerrorlines lc rgb '{color(name)}'"
                     f" lw 1.5 pt 7 ps 0.6 notitle" for name, path in ser]
            if show:   # the row's legend: every model of the row, run at this level or not
                lines += [f"NaN with linespoints lc rgb '{color(name)}' lw 1.5 pt 7 ps 0.6 title '{name}'"
                          " noenhanced" for name in dict.fromkeys(label(k) for k in keys)]
            for name, path in ser:
                title_it = show and not marked
                lines.append(f"'{path}' using 1:($11 == 0 ? ${col} : NaN) with points pt 6 ps 2 lc rgb 'black'"
                             f" {'title ' + repr('saturated') if title_it else 'notitle'}")
                marked = marked or title_it
            fig.add("plot " + (", \\\n  ".join(lines) if lines else "NaN notitle"), "unset label 1")
    fig.add("unset multiplot")
    return fig.draw(terms)


def cell(rate, p):
    us = p.get("srv_cpu_us_per_req")
    text = (f"{f_num(us, 1)} [{f_num(p.get('srv_cpu_us_per_req', 'lo'), 1)}–"
            f"{f_num(p.get('srv_cpu_us_per_req', 'hi'), 1)}] µs, {f_num(busy_pct(p), 0)}%,"
            f" p99 {f_num((p.get('lat_p99_us') or 0) / 1000, 1)} ms") if us is not None else "–"
    if not sustained(rate, p):
        text += f", **saturated** ({f_num((p.get('rps') or 0) / rate * 100, 0)}% delivered"
        text += f", {p.get('errors'):.0f} errors)" if p.get("errors") else ")"
    if p.client_bound:
        text += f" ★{p.client_bound}/{p.reps}"
    return text


def highest_common(cs, keys):
    """The highest offered load every curve of keys sustained, or None."""
    common = None
    for k in keys:
        ok = {rate for rate, p in cs.get(k, []) if sustained(rate, p)}
        common = ok if common is None else common & ok
    return max(common) if common else None


def at(cs, key, rate):
    return next((p for r, p in cs.get(key, []) if r == rate), None)


def versus(pa, pb):
    """(ratio of medians a/b of server CPU per request, 'within noise' or '', spread text)."""
    a, b = pa.get("srv_cpu_us_per_req"), pb.get("srv_cpu_us_per_req")
    if not a or not b:
        return None, "", ""
    spread = max(pa.get("srv_cpu_us_per_req", "hi") - pa.get("srv_cpu_us_per_req", "lo"),
                 pb.get("srv_cpu_us_per_req", "hi") - pb.get("srv_cpu_us_per_req", "lo"))
    noise = "within noise" if spread > abs(a - b) or min(pa.reps, pb.reps) < 2 else ""
    return a / b, noise, (f"{a:.1f} against {b:.1f} µs, spread {spread:.1f} µs over {min(pa.reps, pb.reps)}"
                          f" repetitions")


def equal_load(cs, model, variant, other, conns):
    """[(rate, ratio, noise, spread)] at the highest load both sustained and at about half of it."""
    ka = next((k for k in cs if k[:2] == (model, variant) and k[4] == conns), None)
    kb = next((k for k in cs if k[:2] == (other, "") and k[4] == conns), None)
    top = highest_common(cs, [ka, kb]) if ka and kb else None
    if not top:
        return []
    rates = sorted({r for r, _ in cs[ka]} & {r for r, _ in cs[kb]})
    half = max((r for r in rates if r <= top / 2), default=None)
    out = []
    for rate in [top] + ([half] if half else []):
        r, noise, spread = versus(at(cs, ka, rate), at(cs, kb, rate))
        if r is not None:
            out.append((rate, r, noise, spread))
    return out


def sentence(model, other, conns, figures):
    parts = []
    for i, (rate, r, noise, spread) in enumerate(figures):
        where = "the highest offered load both sustained" if i == 0 else "about half of it"
        parts.append(f"at {rate:,} requests/s ({where}) {model} costs {r:.2f}x {other}'s server CPU a request"
                     f" ({spread}{'; ' + noise if noise else ''})")
    return f"At equal load ({conns_words(conns)}, open loop): " + "; ".join(parts) + "."


def section(run, made):
    cs = curves(run.points)
    if not cs:
        return ""
    out = ["## Cost at equal load", "", images(made, run.folder, ["cost"]), "",
           "**Why.** Server CPU per request at saturation favours the mechanism that batches: a busy server"
           " finds many ready connections a turn, an idle one pays a wake-up for each. Closed-loop points"
           " also depend on the client's speed. Here every model gets the same offered loads (loadgen -R,"
           " latency from each request's intended send time), light to past its capacity, keep-alive; the"
           f" figure is the server CPU's busy time (softirq included) per request. A point that delivers"
           f" under {SATURATED:.0%} of its offered load, or has errors, is saturated and ends the model's"
           " curve for that repetition (its higher loads are not run). ★k/n: the client could not deliver"
           " (client-bound) in k of n repetitions: there the offered load was not what the server got.", ""]
    lowest = min(r for pts in cs.values() for r, _ in pts)
    try:
        window = float(run.meta.get("duration_s", ""))
    except ValueError:
        window = None
    if window:
        tick_us = 1e6 / USER_HZ / (lowest * window)
        out += [f"**The lightest load is near the measurement's resolution.** /proc/stat counts busy time in"
                f" ticks of {1000 // USER_HZ} ms, and a tickless idle CPU does not tick: at {lowest:,} requests/s"
                f" over a {window:g} s window one tick is {tick_us:.1f} µs a request, and short bursts between idle"
                " spells are missed or counted whole, so that column's figures scatter (see their ranges: 0 µs"
                " is a window in which no tick found the server busy) and are not to be read closely.", ""]
    for conns in sorted({k[4] for k in cs}):
        keys = [k for k in cs if k[4] == conns]
        rates = sorted({r for k in keys for r, _ in cs[k]})
        rows = []
        for k in keys:
            got = dict(cs[k])
            rows.append([label(k)] + [cell(r, got[r]) if r in got else "not run (curve ended)" for r in rates])
        out += [f"**{conns_words(conns)}**: server CPU µs per request [min–max], busy %, p99; by offered load.",
                "", table(["setup"] + [f"{r:,}/s" for r in rates], rows), ""]
    for claim, model, variant, other in PAIRS:
        figs = equal_load(cs, model, variant, other, VERDICT_CONNS)
        if figs:
            out.append(f"- {claim}: " + sentence(model, other, VERDICT_CONNS, figs))
    return "\n".join(out)


def verdicts(run):
    """Equal-load figures added to the completion and von Behren rows (verdicts.Verdict.extends)."""
    cs = curves(run.points)
    out, done = [], set()
    for claim, model, variant, other in PAIRS:
        if claim in done:
            continue
        figs = equal_load(cs, model, variant, other, VERDICT_CONNS)
        if figs:
            done.add(claim)
            out.append(Verdict(claim, "partly", sentence(model, other, VERDICT_CONNS, figs), extends=True))
    return out

"""plot_lib.py - the plotting pieces the report sections share: gnuplot figures
(Figure, drawn to PNG and SVG), colours, per-series data files, line plots
with min/max error bars and client-bound / error marks, the throughput and
latency pair of panels, and bar charts.  Each experiment's own plots are in
harness/sections/<experiment>.py; harness/plot.py draws them all.
"""

import os
import subprocess

import runs

COLORS = {
    "thread": "#1f77b4", "thread pool": "#6baed6", "fork": "#d62728", "fork prefork": "#ff9896",
    "select": "#9467bd", "epoll": "#2ca02c", "epoll reactors2": "#74c476", "libevent": "#ff7f0e",
    "iocp-emul": "#8c564b", "pth": "#e377c2", "iterative": "#7f7f7f",
    "st": "#bcbd22",
    "uthread": "#17becf", "uthread schedulers2": "#9edae5",
    "uring": "#393b79", "iocp-emul io_uring": "#8c564b", "iocp-emul epoll": "#c49c94",
    # peers: a darker shade of the model each embodies
    "apache-prefork": "#843c39", "apache-worker": "#08519c", "nginx": "#e6550d", "apache-event": "#756bb1",
}
FALLBACK_COLORS = ["#17becf", "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173"]

def color(name, _extra={}):
    if name in COLORS:
        return COLORS[name]
    if name not in _extra:
        _extra[name] = FALLBACK_COLORS[len(_extra) % len(FALLBACK_COLORS)]
    return _extra[name]


def terminals():
    """(extension, terminal line) for PNG and SVG."""
    probe = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True, text=True)
    png = "pngcairo enhanced font 'sans,10'" if probe.returncode == 0 and not probe.stderr.strip() \
        else "png enhanced font 'sans,10'"
    return [("png", png), ("svg", "svg enhanced dynamic font 'sans,10'")]


def fmt(v):
    return "NaN" if v is None else f"{v:.6g}"


class Figure:
    """One gnuplot script drawn to NAME.png and NAME.svg."""

    current = "."      # the folder of the figure being built (data paths are relative to it)

    def __init__(self, folder, name, width, height):
        Figure.current = folder
        self.folder, self.name = folder, name
        self.width, self.height = width, height
        self.datadir = os.path.join(folder, "plotdata")
        os.makedirs(self.datadir, exist_ok=True)
        self.body = []

    def data(self, tag, lines):
        path = os.path.join(self.datadir, f"{self.name}__{tag}.dat".replace(" ", "_"))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return os.path.relpath(path, self.folder)

    def add(self, *lines):
        self.body.extend(lines)

    def draw(self, terms):
        made = []
        for ext, term in terms:
            script = [f"set terminal {term} size {self.width},{self.height}",
                      f"set output '{self.name}.{ext}'",
                      "set grid lc rgb '#dddddd'", "set border lc rgb '#444444'",
                      "set datafile missing 'NaN'"] + self.body + ["unset multiplot", "set output"]
            gp = os.path.join(self.datadir, f"{self.name}.{ext}.gp")
            with open(gp, "w") as f:
                f.write("\n".join(script) + "\n")
            r = subprocess.run(["gnuplot", os.path.relpath(gp, self.folder)], cwd=self.folder,
                               capture_output=True, text=True)
            out = os.path.join(self.folder, f"{self.name}.{ext}")
            if r.returncode != 0 or not os.path.exists(out):
                raise RuntimeError(f"gnuplot failed on {gp}:\n{r.stderr}")
            made.append(out)
        return made


COLS = ["conns", "rps", "rps_lo", "rps_hi", "p50", "p50_lo", "p50_hi", "p99", "p99_lo", "p99_hi",
        "bound", "ctxsw", "ctxsw_lo", "ctxsw_hi", "rss_mb", "rss_lo", "rss_hi", "err_share", "served", "starved",
        "cpu", "cpu_lo", "cpu_hi"]
ERROR_MARK = 0.01    # a cross marks points where >= 1 % of the requests attempted failed (median of reps)
C = {name: i + 1 for i, name in enumerate(COLS)}    # gnuplot column numbers
EXTRA = []           # (name, value(point, "med" | "lo" | "hi")) columns sections added (add_column)


def add_column(name, value):
    """A column of a section's own after COLS in every series' data file: NAME, NAME_lo and NAME_hi
    from value(point, which) (which: "med", "lo", "hi"; None = not measured).  A Row(NAME, ...)
    then draws it (e.g. the normal clients' share, a runs.csv column other than COLS')."""
    if name in C:
        return
    EXTRA.append((name, value))
    for n in (name, f"{name}_lo", f"{name}_hi"):
        COLS.append(n)
        C[n] = len(COLS)


def series_lines(points, x=None):
    """A data file of one series: one line per level that has a measurement; its first
    column is x(point) (default: the point's connections)."""
    lines = ["# " + " ".join(COLS)]
    for p in points:
        if p.ceiling or not p.reps:
            continue
        ms = lambda m, w: p.get(m, w) / 1000.0 if p.get(m, w) is not None else None
        kb = lambda w: p.get("srv_rss_kb", w) / 1024.0 if p.get("srv_rss_kb", w) is not None else None
        vals = [x(p) if x else p.conns, p.get("rps"), p.get("rps", "lo"), p.get("rps", "hi"),
                ms("lat_p50_us", "med"), ms("lat_p50_us", "lo"), ms("lat_p50_us", "hi"),
                ms("lat_p99_us", "med"), ms("lat_p99_us", "lo"), ms("lat_p99_us", "hi"),
                1 if p.client_bound else 0,
                p.get("ctxsw_per_req"), p.get("ctxsw_per_req", "lo"), p.get("ctxsw_per_req", "hi"),
                kb("med"), kb("lo"), kb("hi"), p.get("error_share"),
                p.served()[0] if p.served() else None, 1 if p.starved else 0,
                p.get("cpu_us_per_req"), p.get("cpu_us_per_req", "lo"), p.get("cpu_us_per_req", "hi")]
        vals += [value(p, w) for _, value in EXTRA for w in ("med", "lo", "hi")]
        lines.append(" ".join(fmt(v) for v in vals))
    return lines if len(lines) > 1 else None


def x_axis(levels, label, log=True):
    """An x axis over these levels (tics at each), log scale (base 2) or linear."""
    ticks = ", ".join(f"{l:g}" for l in sorted(levels))
    lo, hi = min(levels), max(levels)
    rng = (f"set xrange [{lo / 1.5:g}:{hi * 1.5:g}]" if log else
           f"set xrange [{lo - 0.05 * (hi - lo or 1):g}:{hi + 0.05 * (hi - lo or 1):g}]")
    return (["set logscale x 2"] if log else ["unset logscale x"]) + \
        [f"set xtics ({ticks})", f"set xlabel '{label}'", rng]


def conns_axis(levels):
    ticks = ", ".join(str(l) for l in sorted(levels))
    return ["set logscale x 2", f"set xtics ({ticks})", "set xlabel 'concurrent connections (log scale)'",
            f"set xrange [{min(levels) / 1.5:g}:{max(levels) * 1.5:g}]"]


# The marker kinds: one legend entry each, whatever the number of points marked.
MARKS = {
    "client-bound": "pt 6 ps 2 lw 1.5 lc rgb 'black'",
    "errors": "pt 2 ps 1.6 lw 2 lc rgb '#cc0000'",
    "starved": "pt 8 ps 2.2 lw 2 lc rgb 'black'",
}
MARK_TITLES = {"client-bound": "client-bound (the load generator was the limit)",
               "errors": f">= {ERROR_MARK * 100:g}% errors",
               "starved": f"starved (< {runs.SERVED_SHARE_MIN * 100:g}% of connections served)"}
MARK_TESTS = {
    "client-bound": lambda v: v[C["bound"] - 1] == "1",
    "errors": lambda v: v[C["err_share"] - 1] != "NaN" and float(v[C["err_share"] - 1]) >= ERROR_MARK,
    "starved": lambda v: v[C["starved"] - 1] == "1",
}
MARK_CONDS = {"client-bound": f"${C['bound']} > 0", "errors": f"${C['err_share']} >= {ERROR_MARK}",
              "starved": f"${C['starved']} > 0"}


def marks_present(series):
    """The marker kinds some point of these series carries, in MARKS' order."""
    return [k for k in MARKS if any(any_line(path, MARK_TESTS[k]) for _, path in series)]


def line_plot(series, ycol, lo, hi, style="", bound_col=None, titles=True):
    """Plot commands for yerrorlines of each (label, file) series; with bound_col, the
    marker kinds (client-bound, errors, starved) on top, one legend entry per kind."""
    parts = []
    for lab, path in series:
        t = f"title '{lab}' noenhanced" if titles else "notitle"
        parts.append(f"'{path}' using 1:{C[ycol]}:{C[lo]}:{C[hi]} with yerrorlines lc rgb '{color(lab)}' "
                     f"lw 1.5 pt 7 ps 0.6 {style} {t}")
    if bound_col:
        parts += mark_plots(series, ycol, titles)
    return parts


def mark_plots(series, ycol, titles=True):
    """The marker kinds over ycol: only series that have such a point (gnuplot drops the key
    entry of an all-NaN series), the kind's legend entry on its first series only."""
    parts = []
    for kind in MARKS:
        hit = [(lab, path) for lab, path in series if any_line(path, MARK_TESTS[kind])]
        for i, (lab, path) in enumerate(hit):
            t = f"title '{MARK_TITLES[kind]}'" if i == 0 and titles else "notitle"
            parts.append(f"'{path}' using 1:({MARK_CONDS[kind]} ? ${C[ycol]} : NaN) with points {MARKS[kind]} {t}")
    return parts


def starved_marks(series, ycol, titles=True):
    """The starved marker (runs.SERVED_SHARE_MIN) over ycol, one legend entry in all; the
    served counts are REPORT.md's (its fairness table)."""
    hit = [(lab, path) for lab, path in series if any_line(path, MARK_TESTS["starved"])]
    return [f"'{path}' using 1:({MARK_CONDS['starved']} ? ${C[ycol]} : NaN) with points {MARKS['starved']}"
            f" {'title ' + repr(MARK_TITLES['starved']) if i == 0 and titles else 'notitle'}"
            for i, (lab, path) in enumerate(hit)]


def any_line(path, test):
    """Does a line of this series' data file (relative to the current figure's folder) pass test?"""
    with open(os.path.join(Figure.current, path)) as f:
        return any(test(line.split()) for line in f if not line.startswith("#"))


def throughput_latency(fig, title, series, levels, ylabel="requests per second"):
    """Two panels: throughput, then p50 (solid) and p99 (dashed) latency."""
    fig.add("set multiplot layout 2,1 title '" + title + "' font ',12'", *conns_axis(levels),
            "set key outside right top vertical", "set lmargin 12", "set rmargin 26",
            f"set ylabel '{ylabel}'", "set yrange [0:*]", "set format y '%.0s%c'",
            "plot " + ", \\\n  ".join(line_plot(series, "rps", "rps_lo", "rps_hi", bound_col=True)),
            "set logscale y", "set yrange [*:*]", "set format y '%g'", "set ylabel 'latency, ms (log scale)'",
            "set label 1 'solid: p50   dashed: p99' at graph 0.02, graph 0.93",
            "plot " + ", \\\n  ".join(line_plot(series, "p50", "p50_lo", "p50_hi", titles=True)
                                       + line_plot(series, "p99", "p99_lo", "p99_hi", "dt 2", titles=False)),
            "unset label 1", "unset logscale y")


def experiment_series(fig, points, exp, keep=lambda s: True, x=None):
    """[(label, data file)] of an experiment's setups (keep(setup) true) and the set of x
    levels; x(point) gives a point's x value (default: its connections)."""
    out, levels = [], set()
    for s in runs.setups(points, exp):
        if not keep(s):
            continue
        pts = runs.series(points, exp, s)
        lines = series_lines(pts, x)
        if lines is None:
            continue
        lab = runs.label(s[0], s[1])
        out.append((lab, fig.data(lab, lines)))
        levels.update((x(p) if x else p.conns) for p in pts if p.reps and not p.ceiling)
    return out, levels


def plot_bars(folder, points, terms, exp, name, title, ylabel, ref=None):
    """One bar per setup: median rps, min/max bars, client-bound circled."""
    fig = Figure(folder, name, 1000, 600)
    lines = ["# x rps lo hi color label bound"]
    setups = runs.setups(points, exp)
    several_clients = len({s[3] for s in setups}) > 1
    for s in setups:
        for p in runs.series(points, exp, s):
            if p.reps:
                lab = runs.label(s[0], s[1]) + (f" [{s[3]}]" if several_clients else "")
                lab += f" c={p.conns}" if len({q.conns for q in runs.series(points, exp, s)}) > 1 else ""
                col = int(color(runs.label(s[0], s[1]))[1:], 16)
                lines.append(f"{len(lines)} {fmt(p.get('rps'))} {fmt(p.get('rps', 'lo'))} {fmt(p.get('rps', 'hi'))}"
                             f" {col} \"{lab}\" {1 if p.client_bound else 0}")
    if len(lines) == 1:
        return []
    path = fig.data("bars", lines)
    n = len(lines) - 1
    plots = [f"'{path}' using 1:2:(0.7):5:xtic(6) with boxes fs solid 0.8 lc rgb variable notitle",
             f"'{path}' using 1:3:(0):($4 - $3) with vectors heads size 0.1,90 lc rgb 'black' notitle",
             f"'{path}' using 1:4:(sprintf('%.0f', $2)) with labels offset 0,0.8 font ',9' notitle",
             f"'{path}' using 1:($7 > 0 ? $2 : NaN) with points pt 6 ps 2.5 lw 1.5 lc rgb 'black' title 'client-bound'"]
    if ref:
        plots.append(f"{ref[0]} with lines dt 2 lc rgb '#555555' title '{ref[1]}'")
    fig.add(f"set title '{title}' font ',12'", f"set ylabel '{ylabel}'", "set yrange [0:*]",
            f"set xrange [0.4:{n + 0.6}]", "set xtics rotate by -30 left nomirror", "set format y '%.0s%c'",
            "set key at screen 0.98, screen 0.99 right top horizontal", "set tmargin 4", "set bmargin 6",
            "plot " + ", \\\n  ".join(plots))
    return fig.draw(terms)


# ---------------------------------------------------------------- small multiples

class Row:
    """One row of a small-multiples figure: a figure of the series' data files (COLS)."""

    def __init__(self, ycol, ylabel, log=False, fmt="%g", lo=None, hi=None, marks=True):
        self.ycol, self.ylabel, self.log, self.fmt, self.marks = ycol, ylabel, log, fmt, marks
        self.lo, self.hi = lo or f"{ycol}_lo", hi or f"{ycol}_hi"

    def columns(self):
        """The data columns this row draws (latency: p50 solid and p99 dashed)."""
        return ["p50", "p99"] if self.ycol == "latency" else [self.ycol]


ROWS = {
    "rps": Row("rps", "requests per second", fmt="%.0s%c"),
    "cps": Row("rps", "connections per second", fmt="%.0s%c"),
    "cpu": Row("cpu", "server CPU µs per request"),
    "latency": Row("latency", "latency, ms (log scale)", log=True, lo="p50_lo", hi="p99_hi"),
    "ctxsw": Row("ctxsw", "context switches per request", marks=False),
    "rss": Row("rss_mb", "server peak RSS, MiB", lo="rss_lo", hi="rss_hi", marks=False),
}


def series_values(path, cols):
    """Every number in these COLS columns of one series' data file (NaN left out)."""
    out = []
    with open(os.path.join(Figure.current, path)) as f:
        for line in f:
            if line.startswith("#"):
                continue
            v = line.split()
            for c in cols:
                x = v[C[c] - 1]
                if x != "NaN":
                    out.append(float(x))
    return out


def has_values(path, col):
    return bool(series_values(path, [col]))


def by_family(series, max_lines=6):
    """Columns for small multiples: [(family, series)] in experiments.FAMILIES' order (empty
    families left out); one column [("", series)] when at most max_lines series."""
    from experiments import FAMILIES, family_of
    if len(series) <= max_lines:
        return [("", series)]
    order = [name for name, _ in FAMILIES] + ["other"]
    cols = [(fam, [s for s in series if family_of(s[0]) == fam]) for fam in order]
    return [(fam, ser) for fam, ser in cols if ser]


def shared_range(row, columns):
    """(lo, hi) of a row over every column's series: one y axis for the whole row."""
    vals = [x for _, ser in columns for _, path in ser
            for x in series_values(path, row.columns() + [row.lo, row.hi])]
    if row.log:
        vals = [x for x in vals if x > 0]
    if not vals:
        return None
    if row.log:
        return min(vals) / 1.4, max(vals) * 1.4
    return 0, max(vals) * 1.08 or 1


def small_multiples(fig, title, columns, rows, levels, width=None, height=None, xaxis=None):
    """Panels: one column per (column title, series), one row per Row (or ROWS name), the same
    x axis (connections) everywhere and the same y axis along a row.  Under each column its
    models' legend; under all, one entry per marker kind present (client-bound, errors,
    starved).  No legend covers data; the figure's points' details are REPORT.md's.
    xaxis: x_axis(...)'s lines for another x than connections (offered load, slow clients)."""
    rows = [ROWS[r] if isinstance(r, str) else r for r in rows]
    columns = [(t, ser) for t, ser in columns if ser]
    if len(levels) == 1:       # one level (a QUICK run): a line would be a stack of dots
        return one_level_bars(fig, title, [s for _, ser in columns for s in ser], rows, levels, xaxis)
    W, H = width or fig.width, height or fig.height
    ncol, nrow = len(columns), len(rows)
    kinds = marks_present([s for _, ser in columns for s in ser]) if any(r.marks for r in rows) else []
    lines = max(len(ser) for _, ser in columns)
    px = lambda n, total: n / float(total)
    top = 1 - px(62 if any(t for t, _ in columns) else 40, H)
    marks_h = px(22, H) if kinds else 0.0
    legend_h = px(16 * lines + 8, H)
    bottom = marks_h + legend_h + px(42, H)
    left, right, hgap, vgap = px(78, W), 1 - px(16, W), px(14, W), px(16, H)
    pw = (right - left - hgap * (ncol - 1)) / ncol
    ph = (top - bottom - vgap * (nrow - 1)) / nrow
    xaxis = xaxis or conns_axis(levels)
    xlabel = next((l for l in xaxis if l.startswith("set xlabel")), "unset xlabel")
    fig.add(f"set multiplot title '{title}' font ',12'", *xaxis, "unset key")
    for r, row in enumerate(rows):
        rng = shared_range(row, columns)
        for c, (ctitle, ser) in enumerate(columns):
            x0 = left + c * (pw + hgap)
            y1 = top - r * (ph + vgap)
            fig.add(f"set lmargin at screen {x0:.4f}", f"set rmargin at screen {x0 + pw:.4f}",
                    f"set tmargin at screen {y1:.4f}", f"set bmargin at screen {y1 - ph:.4f}",
                    f"set title '{ctitle}' noenhanced" if r == 0 and ctitle else "unset title",
                    f"set ylabel '{row.ylabel}'" if c == 0 else "unset ylabel",
                    f"set format y '{row.fmt}'" if c == 0 else "set format y ''",
                    xlabel if r == nrow - 1 else "unset xlabel",
                    "set format x '%g'" if r == nrow - 1 else "set format x ''",
                    "set logscale y" if row.log else "unset logscale y",
                    f"set yrange [{rng[0]:.6g}:{rng[1]:.6g}]" if rng else "set yrange [0:1]")
            if row.ycol == "latency":
                if r == 0 or c == 0:
                    fig.add("set label 1 'solid: p50   dashed: p99' at graph 0.03, graph 0.92 front")
                have = [s for s in ser if has_values(s[1], "p99")]
                parts = (line_plot(have, "p50", "p50_lo", "p50_hi", titles=False)
                         + line_plot(have, "p99", "p99_lo", "p99_hi", "dt 2", titles=False)
                         + (mark_plots(have, "p99", titles=False) if row.marks else []))
            else:
                have = [s for s in ser if has_values(s[1], row.ycol)]
                parts = line_plot(have, row.ycol, row.lo, row.hi, titles=False) + \
                    (mark_plots(have, row.ycol, False) if row.marks else [])
            if not parts:       # nothing measured here: an empty frame, said in words
                fig.add("set label 2 'not measured' at graph 0.5, graph 0.5 center")
                parts = ["-1e30 notitle"]
            fig.add("plot " + ", \\\n  ".join(parts), "unset label 1", "unset label 2")
    # The legends, below the panels: nothing of them can cover a point.
    fig.add("unset logscale", "unset border", "unset tics", "unset grid", "unset title", "unset xlabel",
            "unset ylabel", "set xrange [0:1]", "set yrange [0:1]", "set key inside center top vertical noenhanced")
    for c, (_, ser) in enumerate(columns):
        x0 = left + c * (pw + hgap)
        fig.add(f"set lmargin at screen {x0:.4f}", f"set rmargin at screen {x0 + pw:.4f}",
                f"set tmargin at screen {marks_h + legend_h:.4f}", f"set bmargin at screen {marks_h:.4f}",
                "plot " + ", ".join(f"NaN with linespoints lc rgb '{color(lab)}' lw 1.5 pt 7 ps 0.6"
                                    f" title '{lab}'" for lab, _ in ser))
    if kinds:
        fig.add(f"set lmargin at screen {left:.4f}", f"set rmargin at screen {right:.4f}",
                f"set tmargin at screen {marks_h:.4f}", "set bmargin at screen 0",
                "set key inside center center horizontal maxrows 1",
                "plot " + ", ".join(f"NaN with points {MARKS[k]} title '{MARK_TITLES[k]}'" for k in kinds))
    fig.add("unset multiplot")


def one_level_bars(fig, title, series, rows, levels, xaxis=None):
    """small_multiples' figure when every point is at one level: per row one panel of bars, one
    bar per model (named under it, in family order), min/max bars, the marker kinds on top."""
    level = next(iter(levels))
    xlabel = next((l for l in (xaxis or []) if l.startswith("set xlabel")), None)
    what = xlabel[len("set xlabel '"):-1].replace(" (log scale)", "") if xlabel else "concurrent connections"
    rows = [r if r.ycol != "latency" else Row("p99", "p99 latency, ms") for r in rows]
    kinds = marks_present(series) if any(r.marks for r in rows) else []
    n, H = len(series), fig.height
    marks_h = 22.0 / H if kinds else 0.0
    top, bottom = 1 - 40.0 / H, marks_h + 70.0 / H
    ph = (top - bottom - (len(rows) - 1) * 30.0 / H) / len(rows)
    xt = ", ".join(f"'{lab}' {i + 1}" for i, (lab, _) in enumerate(series))
    fig.add(f"set multiplot title '{title}: {what} {level:g}' font ',12'", "unset logscale", "unset key",
            f"set xrange [0.4:{n + 0.6}]", f"set xtics ({xt}) rotate by -25 left noenhanced", "unset xlabel",
            "set boxwidth 0.7", "set style fill solid 0.8", "set lmargin at screen 0.07", "set rmargin at screen 0.93")
    for r, row in enumerate(rows):
        vals = [v for _, path in series for v in series_values(path, [row.ycol, row.hi])]
        y1 = top - r * (ph + 30.0 / H)
        fig.add(f"set tmargin at screen {y1:.4f}", f"set bmargin at screen {y1 - ph:.4f}",
                f"set ylabel '{row.ylabel}'", f"set format y '{row.fmt}'",
                f"set yrange [0:{(max(vals) if vals else 1) * 1.1:.6g}]")
        parts = []
        for i, (lab, path) in enumerate(series):
            if not has_values(path, row.ycol):
                continue
            parts += [f"'{path}' using ({i + 1}):{C[row.ycol]} with boxes lc rgb '{color(lab)}' notitle",
                      f"'{path}' using ({i + 1}):(${C[row.hi]} > ${C[row.lo]} ? ${C[row.ycol]} : NaN):{C[row.lo]}:"
                      f"{C[row.hi]} with yerrorbars lc rgb 'black' pt 7 ps 0 notitle"]
            if row.marks:
                parts += [f"'{path}' using ({i + 1}):({MARK_CONDS[k]} ? ${C[row.ycol]} : NaN) with points"
                          f" {MARKS[k]} notitle" for k in MARKS if any_line(path, MARK_TESTS[k])]
        if not parts:
            fig.add("set label 2 'not measured' at graph 0.5, graph 0.5 center")
            parts = ["-1e30 notitle"]
        fig.add("plot " + ", \\\n  ".join(parts), "unset label 2")
    if kinds:
        fig.add("unset border", "unset tics", "unset grid", "unset title", "unset ylabel", "set xrange [0:1]",
                "set yrange [0:1]", f"set tmargin at screen {marks_h:.4f}", "set bmargin at screen 0",
                "set key inside center center horizontal maxrows 1",
                "plot " + ", ".join(f"NaN with points {MARKS[k]} title '{MARK_TITLES[k]}'" for k in kinds))
    fig.add("unset multiplot")


def family_figure(folder, points, terms, exp, name, title, rows, keep=lambda s: True, max_lines=6,
                  width=1500, height=None, x=None, xlabel=None, xlog=True):
    """One experiment's series as small multiples by family (one column when at most max_lines
    series): the figure new sections call.  Against connections by default; x(point) and
    xlabel (xlog: log scale) put another value on the x axis (offered load, slow clients).
    Returns the files drawn ([] when the experiment has no points)."""
    fig = Figure(folder, name, width, height or 260 + 300 * len(rows))
    series, levels = experiment_series(fig, points, exp, keep, x)
    if not series:
        return []
    xaxis = x_axis(levels, xlabel, xlog) if xlabel else None
    small_multiples(fig, title, by_family(series, max_lines), rows, levels, xaxis=xaxis)
    return fig.draw(terms)

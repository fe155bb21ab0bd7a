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
    "uthread": "#17becf", "uthread schedulers2": "#9edae5",
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
        "bound", "ctxsw", "ctxsw_lo", "ctxsw_hi", "rss_mb", "rss_lo", "rss_hi", "err_share"]
ERROR_MARK = 0.01    # a cross marks points where >= 1 % of the requests attempted failed (median of reps)
C = {name: i + 1 for i, name in enumerate(COLS)}    # gnuplot column numbers


def series_lines(points):
    """A data file of one series: one line per level that has a measurement."""
    lines = ["# " + " ".join(COLS)]
    for p in points:
        if p.ceiling or not p.reps:
            continue
        ms = lambda m, w: p.get(m, w) / 1000.0 if p.get(m, w) is not None else None
        kb = lambda w: p.get("srv_rss_kb", w) / 1024.0 if p.get("srv_rss_kb", w) is not None else None
        vals = [p.conns, p.get("rps"), p.get("rps", "lo"), p.get("rps", "hi"),
                ms("lat_p50_us", "med"), ms("lat_p50_us", "lo"), ms("lat_p50_us", "hi"),
                ms("lat_p99_us", "med"), ms("lat_p99_us", "lo"), ms("lat_p99_us", "hi"),
                1 if p.client_bound else 0,
                p.get("ctxsw_per_req"), p.get("ctxsw_per_req", "lo"), p.get("ctxsw_per_req", "hi"),
                kb("med"), kb("lo"), kb("hi"), p.get("error_share")]
        lines.append(" ".join(fmt(v) for v in vals))
    return lines if len(lines) > 1 else None


def conns_axis(levels):
    ticks = ", ".join(str(l) for l in sorted(levels))
    return ["set logscale x 2", f"set xtics ({ticks})", "set xlabel 'concurrent connections (log scale)'",
            f"set xrange [{min(levels) / 1.5:g}:{max(levels) * 1.5:g}]"]


def line_plot(series, ycol, lo, hi, style="", bound_col=None, titles=True):
    """Plot commands for yerrorlines of each (label, file) series."""
    parts = []
    for lab, path in series:
        t = f"title '{lab}'" if titles else "notitle"
        parts.append(f"'{path}' using 1:{C[ycol]}:{C[lo]}:{C[hi]} with yerrorlines lc rgb '{color(lab)}' "
                     f"lw 1.5 pt 7 ps 0.6 {style} {t}")
    if bound_col:
        # Only series that have such a point: gnuplot drops the key entry of an all-NaN series.
        marks = ((f"${C['bound']} > 0", "pt 6 ps 2 lw 1.5 lc rgb 'black'", "client-bound",
                  lambda v: v[C["bound"] - 1] == "1"),
                 (f"${C['err_share']} >= {ERROR_MARK}", "pt 2 ps 1.6 lw 2 lc rgb '#cc0000'",
                  f">= {ERROR_MARK * 100:g}% errors",
                  lambda v: v[C["err_share"] - 1] != "NaN" and float(v[C["err_share"] - 1]) >= ERROR_MARK))
        for cond, style, title, test in marks:
            hit = [(lab, path) for lab, path in series if any_line(path, test)]
            for i, (lab, path) in enumerate(hit):
                t = f"title '{title}'" if i == 0 and titles else "notitle"
                parts.append(f"'{path}' using 1:({cond} ? ${C[ycol]} : NaN) with points {style} {t}")
    return parts


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


def experiment_series(fig, points, exp, keep=lambda s: True):
    out, levels = [], set()
    for s in runs.setups(points, exp):
        if not keep(s):
            continue
        pts = runs.series(points, exp, s)
        lines = series_lines(pts)
        if lines is None:
            continue
        lab = runs.label(s[0], s[1])
        out.append((lab, fig.data(lab, lines)))
        levels.update(p.conns for p in pts if p.reps)
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
            "set key top right", "set bmargin 6",
            "plot " + ", \\\n  ".join(plots))
    return fig.draw(terms)

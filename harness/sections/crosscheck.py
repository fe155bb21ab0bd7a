"""sections/crosscheck.py - loadgen against wrk on one model and load: bar chart and report section."""

from plot_lib import plot_bars
from report_lib import cell_rps, cpu_of, f_ms, f_num, images, lab, table

NAME = "crosscheck"


def plot(folder, points, terms):
    return plot_bars(folder, points, terms, NAME, "crosscheck",
                     "The same server and load, measured by loadgen and by wrk", "requests per second")


def section(run, made):
    exp = NAME
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

"""sections/daytime.py - daytime, iterative against concurrent servers (Comer): plot and report section."""

from plot_lib import family_figure
from report_lib import cell_rps, client_bound_bullets, conns_words, cpu_of, f_ms, f_num, f_pct, f_rps, images, lab, table
from verdicts import Verdict

NAME = "daytime"


def plot(folder, points, terms):
    return family_figure(folder, points, terms, NAME, "daytime", "Daytime: a new connection per request",
                         ["cps", "latency"], height=860)


def section(run, made):
    exp = NAME
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
    bullets += client_bound_bullets(run, exp, setups)
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


def span(values):
    """'40' or '38–45' for a sorted list of percentages."""
    lo, hi = f"{values[0]:.0f}", f"{values[-1]:.0f}"
    return lo if lo == hi else f"{lo}–{hi}"


def verdicts(run):
    """Comer: at the highest level, does the iterative server fall behind the best concurrent
    model (below 70 % of its rate), and do its clients wait (p99 above 1.5x)?  Both: reproduced;
    one: partly; neither: not reproduced."""
    it = run.find(NAME, "iterative")
    if run.has("slowclients") or not it or not run.measured(NAME, it):   # slowclients decides it then
        return []
    top = run.measured(NAME, it)[-1]
    best = [run.at(NAME, s, top.conns) for s in run.setups(NAME) if s != it]
    best = [p for p in best if p and p.reps and p.get("rps")]
    if not best:
        return []
    b = max(best, key=lambda p: p.get("rps"))
    r = top.get("rps") / b.get("rps")
    li, lb = top.get("lat_p99_us"), b.get("lat_p99_us")
    behind, waits = r < 0.7, bool(li and lb and li > 1.5 * lb)
    verdict = "reproduced" if behind and waits else "partly" if behind or waits else "not reproduced"
    return [Verdict("comer", verdict,
                    f"at {conns_words(top.conns)}: iterative {f_rps(top.get('rps'))}/s = {f_pct(r)} of {lab(b.setup)},"
                    f" p99 {f_ms(li)} against {f_ms(lb)} ms")]

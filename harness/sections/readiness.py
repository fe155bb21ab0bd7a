"""sections/readiness.py - readiness against completion (epoll, uring, iocp-emul on both
backends): requests/s, server CPU and system calls per request; the plot and the verdict
against issue 9's goal."""

import runs
from experiments import ABLATION_VARIANTS, SATURATED, URING_OFF
from sampling import cpuset_parse
from plot_lib import Figure, color, conns_axis, fmt
from report_lib import cell_rps, compare, conns_words, f_num, images, lab, ranges_overlap, table
from verdicts import Verdict

NAME = "readiness"

GOAL_CONNS = 1000
GOAL_RPS = 1.15     # uring >= 1.15x epoll's requests/s ...
GOAL_CPU = 0.85     # ... and <= 0.85x its server CPU per request


def busy_us(cpu, p, what=""):
    """Server CPUs busy (softirq included, /proc/stat) per request, in us (cpu: runs.load_cpu)."""
    busy = cpu.get((p.experiment, p.model, p.variant, p.server_cpus, p.conns), {}).get(
        "server_cpus_busy_pct" + what)
    rps = p.get("rps")
    if busy is None or not rps:
        return None
    ncpus = max(1, len(cpuset_parse(p.server_cpus)))
    return busy / 100.0 * ncpus * 1e6 / rps


def syscalls(counts, p, what=""):
    """syscalls.csv's median (what "") or min/max ("_lo", "_hi") per request at point p, or None."""
    return counts.get((p.experiment, p.model, p.variant, p.server_cpus, p.conns), {}).get(
        "syscalls_per_req" + what)


def main_setups(setups):
    """The setups of the main comparison: not the ablation's (experiments.ABLATION)."""
    return [s for s in setups if runs.split_rate(s[1])[0] not in ABLATION_VARIANTS]


def plot(folder, points, terms):
    setups = main_setups(runs.setups(points, NAME))
    if not setups:
        return []
    counts, cpu = runs.load_syscalls(folder), runs.load_cpu(folder)
    fig = Figure(folder, "readiness", 1500, 480)
    ser, levels = [], set()
    for s in setups:
        lines = ["# conns rps lo hi cpu_us lo hi syscalls lo hi"]
        for p in runs.series(points, NAME, s):
            if not p.reps:
                continue
            levels.add(p.conns)
            lines.append(" ".join(fmt(v) for v in (
                p.conns, p.get("rps"), p.get("rps", "lo"), p.get("rps", "hi"),
                busy_us(cpu, p), busy_us(cpu, p, "_hi"), busy_us(cpu, p, "_lo"),
                syscalls(counts, p), syscalls(counts, p, "_lo"), syscalls(counts, p, "_hi"))))
        if len(lines) > 1:
            ser.append((lab(s), fig.data(lab(s), lines)))
    if not ser:
        return []
    # A panel whose figure the folder lacks (no cpu.csv, no syscalls.csv) is left out.
    panels = [(title, col, ylabel) for title, col, ylabel, have in (
        ("throughput", 2, "requests per second", True),
        ("server CPU busy per request (softirq incl.)", 5, "CPU us per request", bool(cpu)),
        ("system calls per request", 8, "system calls per request", bool(counts))) if have]
    fig.add(f"set multiplot layout 1,{len(panels)} title 'Readiness against completion: plaintext keep-alive,"
            " one server CPU' font ',12'", *conns_axis(levels), "set yrange [0:*]", "set bmargin 6",
            # one legend for every panel, below them all: it covers no point
            "set key at screen 0.5, screen 0.01 center bottom horizontal noenhanced")
    for i, (title, col, ylabel) in enumerate(panels):
        fig.add(f"set title '{title}'", f"set ylabel '{ylabel}'",
                "plot " + ", \\\n  ".join(
                    f"'{path}' using 1:{col}:{col + 1}:{col + 2} with yerrorlines lc rgb '{color(name)}'"
                    f" lw 1.5 pt 7 ps 0.6 " + (f"title '{name}'" if i == 0 else "notitle") for name, path in ser))
    return fig.draw(terms)


def ratio(a, b):
    return a / b if a is not None and b else None


def section(run, made):
    setups = main_setups(run.setups(NAME))
    if not setups:
        return ""
    counts = runs.load_syscalls(run.folder)
    out = ["## Readiness against completion", "", images(made, run.folder, ["readiness"]), "",
           "**The mechanism.** A readiness loop (epoll) is told \"this socket may now be read\"; it then"
           " calls read() and, for the answer, write(): epoll_wait, read and write, about three system calls"
           " a request when each turn finds one ready connection, fewer when a turn finds several. A"
           " completion loop (uring) is told \"I have read: here are the bytes\": it asked once, with a"
           " multishot receive into a ring of buffers it provided, and puts its answer in the submission"
           " queue, in shared memory. One io_uring_enter a turn submits every queued send and waits for the"
           " next completions, however many requests that turn served. The IOCP emulation (iocp-emul) is"
           " completions too, on io_uring or on epoll underneath, through a port: one of its worker threads"
           " at a time waits in the kernel (leader/followers) and runs the first completion itself; other"
           " workers are woken only for the completions it cannot take.", "",
           "**This run.** Plaintext keep-alive (`hello`), the server on one CPU, the client on another."
           " Server CPU per request: the server's own user+system time (srv_cpu_pct) over requests; CPU busy:"
           " the server CPU's busy time from /proc/stat, softirq included (what loopback TCP costs the server"
           " side), over requests. System calls: `perf stat -e raw_syscalls:sys_enter` attached to the"
           " server's threads for the measured window (syscalls.csv); the tracepoint adds a little to each"
           " call, so the loops that make more calls are slowed a little more. The CPU busy figure counts"
           " whatever else ran on the server's CPU: on a machine shared with other work it is an upper"
           " bound, and the process's own CPU is the cleaner comparison.", ""]
    rows, notes = [], set()
    for s in setups:
        for p in run.measured(NAME, s):
            sc = syscalls(counts, p)
            note = counts.get((p.experiment, p.model, p.variant, p.server_cpus, p.conns), {}).get("note")
            if note:
                notes.add(note)
            sc_cell = "–" if sc is None else f"{sc:.3f} [{syscalls(counts, p, '_lo'):.3f}–{syscalls(counts, p, '_hi'):.3f}]"
            rows.append([lab(s), p.conns, cell_rps(p), f_num(p.get("cpu_us_per_req")),
                         f_num(busy_us(run.cpu, p)), sc_cell])
    out.append(table(["setup", "connections", "requests/s", "server CPU us/request",
                      "CPU busy us/request", "system calls/request"], rows))
    out.append("")
    if notes:
        out.append("System calls not counted where the column is empty: " + "; ".join(sorted(notes)) + ".")
        out.append("")
    out.append(verdict(run, counts))
    out += ablation(run, counts)
    return "\n".join(out)


ABLATION_ROWS = [("uring (everything on)", "uring", "", "half")] + \
    [(f"uring --uring-off {f}", "uring", f"off-{f}", f"off-{f}") for f in URING_OFF] + \
    [(f"uring --min-wait-us {v[7:]}", "uring", v, v) for v in sorted(ABLATION_VARIANTS) if v.startswith("minwait")] + \
    [("epoll (for reference)", "epoll", "", "half")]


def half_rate(run):
    """The half load this run offered (the runner's HalfLoad: one rate for every setup of the
    level), or None."""
    return next((int(s[1][len("half@R"):]) for s in run.setups(NAME) if s[1].startswith("half@R")), None)


def ablation_cells(run, counts, p, base, rate=None):
    """System calls, server CPU busy µs (and against uring's), p99 of one point; dashes when absent."""
    if not (p and p.reps):
        return ["–", "–", "–"]
    cpu, b = run.cpu_per_req(p), run.cpu_per_req(base) if base and base.reps else None
    sc = syscalls(counts, p)
    cpu_cell = "–" if cpu is None else f"{cpu:.1f} [{f_num(p.get('srv_cpu_us_per_req', 'lo'), 1)}–" \
        f"{f_num(p.get('srv_cpu_us_per_req', 'hi'), 1)}]" + (f" ({cpu / b:.2f}x)" if b else "")
    p99 = p.get("lat_p99_us")
    late = "" if not rate or (p.get("rps") or 0) >= SATURATED * rate else " sat."
    return ["–" if sc is None else f"{sc:.3f}", cpu_cell + (" ★" if p.client_bound else ""),
            ("–" if p99 is None else f"{p99 / 1000:.2f} ms") + late]


def ablation(run, counts):
    """uring's features turned off one at a time (--uring-off), and the kernel's min-wait, at 1,000
    connections saturated (closed loop) and at a fixed half load (the runner's HalfLoad)."""
    rate = half_rate(run)
    half = f"@R{rate}"
    found = lambda m, v: run.find(NAME, m, v)
    point = lambda s: run.at(NAME, s, GOAL_CONNS) if s else None
    base_sat, base_half = point(found("uring", "")), point(found("uring", "half" + half))
    rows = []
    for name, model, sat_v, half_v in ABLATION_ROWS:
        ps, ph = point(found(model, sat_v)), point(found(model, half_v + half))
        if not ((ps and ps.reps) or (ph and ph.reps)):
            continue
        rows.append([name, f_num(ps.get("rps"), 0) if ps and ps.reps else "–"] +
                    ablation_cells(run, counts, ps, base_sat) + ablation_cells(run, counts, ph, base_half, rate))
    if not rows:
        return []
    return ["", "### uring one feature at a time", "",
            f"Each of uring's features turned off in turn (`--uring-off`), and the kernel's min-wait"
            f" (`--min-wait-us`), at {conns_words(GOAL_CONNS)}: closed loop (the server saturated), and at a"
            f" fixed {rate or 0:,} requests/s (half of epoll's closed-loop requests/s at this level in the run's"
            " first repetition: the server about half busy). System calls per request from"
            " `perf stat -e raw_syscalls:sys_enter` on the server;"
            " CPU: the server CPU's busy µs per request, softirq included, median [min–max] (and against"
            " uring with everything on); p99 latency (at the fixed load from each request's intended send"
            " time; sat.: the load was not sustained). Medians of the repetitions; ★ client-bound.", "",
            table(["setup", "requests/s (saturated)", "syscalls/req", "CPU µs/req", "p99",
                   f"syscalls/req at {(rate or 0) // 1000}k/s", f"CPU µs/req at {(rate or 0) // 1000}k/s",
                   f"p99 at {(rate or 0) // 1000}k/s"], rows)]


def verdict(run, counts):
    ep, ur = run.find(NAME, "epoll"), run.find(NAME, "uring")
    pe = run.at(NAME, ep, GOAL_CONNS) if ep else None
    pu = run.at(NAME, ur, GOAL_CONNS) if ur else None
    if not (pe and pu and pe.reps and pu.reps):
        return f"**Verdict.** No epoll and uring points at {conns_words(GOAL_CONNS)} in this run: no verdict."
    r_rps = ratio(pu.get("rps"), pe.get("rps"))
    r_cpu = ratio(pu.get("cpu_us_per_req"), pe.get("cpu_us_per_req"))
    r_busy = ratio(busy_us(run.cpu, pu), busy_us(run.cpu, pe))
    met_rps = r_rps is not None and r_rps >= GOAL_RPS
    met_cpu = r_busy is not None and r_busy <= GOAL_CPU
    parts = [f"At {conns_words(GOAL_CONNS)} uring served {f_num(r_rps)}x epoll's requests/s (goal >= {GOAL_RPS}:"
             f" {'met' if met_rps else 'missed'}) with {f_num(r_busy)}x its server-CPU busy time per request"
             f" (goal <= {GOAL_CPU}: {'met' if met_cpu else 'missed' if r_busy is not None else 'not measured'});"
             f" the server process's own CPU per request is {f_num(r_cpu)}x."]
    su, se = syscalls(counts, pu), syscalls(counts, pe)
    if su is not None and se is not None:
        parts.append(f"System calls per request: uring {su:.3f}, epoll {se:.3f}.")
    if pe.client_bound or pu.client_bound:
        parts.append("The client was the limit (★) in some repetitions: requests/s is then a lower bound,"
                     " and CPU per request is the fair comparison.")
    for variant in ("io_uring", "epoll"):
        s = run.find(NAME, "iocp-emul", variant)
        pi = run.at(NAME, s, GOAL_CONNS) if s else None
        if pi and pi.reps:
            parts.append(f"iocp-emul on {variant}: {f_num(ratio(pi.get('rps'), pe.get('rps')))}x epoll's"
                         f" requests/s, {f_num(ratio(pi.get('cpu_us_per_req'), pe.get('cpu_us_per_req')))}x its"
                         f" server CPU per request.")
    parts.append("The ratios are of medians; the repetitions' spread is in the table (on a machine"
                 " shared with other work it is wide).")
    return "**Verdict (issue 9's goal).** " + " ".join(parts)


def verdicts(run):
    """Completion against readiness: uring against epoll at GOAL_CONNS (or the highest level both
    ran), by the figure that decides (report_lib.compare): reproduced at GOAL_RPS or more, partly
    when uring is ahead by less, not reproduced when it is not ahead; within noise when the two
    repetitions' ranges of that figure overlap (the reference runs of one evening gave 0.80x and
    1.15x epoll's CPU a request)."""
    ep, ur = run.find(NAME, "epoll"), run.find(NAME, "uring")
    if not (ep and ur):
        return []
    levels = sorted({p.conns for p in run.measured(NAME, ep)} & {p.conns for p in run.measured(NAME, ur)})
    if not levels:
        return []
    c = GOAL_CONNS if GOAL_CONNS in levels else levels[-1]
    pu, pe = run.at(NAME, ur, c), run.at(NAME, ep, c)
    sentence, r = compare(run, "uring", pu, "epoll", pe)
    if r is None:
        return []
    verdict = "reproduced" if r >= GOAL_RPS else "partly" if r > 1.0 else "not reproduced"
    if ranges_overlap(pu, pe):
        verdict = "within noise"
        sentence += "; the repetitions' ranges of that figure overlap"
    return [Verdict("completion", verdict, f"at {conns_words(c)}: {sentence}")]

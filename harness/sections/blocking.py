"""sections/blocking.py - a 1 ms blocking call per request: the blocking bar chart and report section."""

from plot_lib import plot_bars
from report_lib import cell_rps, f_ms, f_num, f_rps, images, lab, table

NAME = "blocking"

STALL_RPS = 1500        # at most this = about one 1 ms call at a time


def plot(folder, points, terms):
    return plot_bars(folder, points, terms, NAME, "blocking",
                     "A 1 ms blocking call per request, 64 keep-alive connections",
                     "requests per second", ref=(1000, "one request at a time (1000/s)"))


def section(run, made):
    exp = NAME
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
    if "uthread" in res:
        why.append(offload_sentence(res))
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


def offload_sentence(res):
    """uthread's offload pool against Pth (same M:1 model, no offload) and kernel threads."""
    u = res["uthread"].get("rps")
    others = ", ".join(f"{n} {f_rps(res[n].get('rps'))}/s" for n in ("pth", "thread") if n in res)
    vs = f" (against {others})" if others else ""
    if u > STALL_RPS:
        return (f"uthread, M:1 like Pth, keeps serving: {f_rps(u)} requests/s{vs}. Its work_block hooks move the"
                " blocked user thread onto a pool kernel thread and back (Capriccio's and Go's answer), so a"
                " blocking call stops only its own connection; the pool's 64 threads bound the overlap.")
    return (f"uthread stalled: {f_rps(u)} requests/s{vs}: its blocking offload did not overlap the calls.")

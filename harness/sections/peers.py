"""sections/peers.py - our models against their production embodiments (harness/peers/):
plots peers_file8k and peers_hello and the report section."""

from plot_lib import family_figure
from report_lib import compare, f_num, f_rps, images, table

NAME = "peers"
EXPS = [("peers-file8k", "the SEDA task (8 KB file)"), ("peers-hello", "plaintext (13-byte body)")]
# (our model, variant, its label), and the peers that embody it.
PAIRS = [
    (("fork", "prefork"), "apache-prefork"),
    (("thread", "pool"), "apache-worker"),
    (("epoll", ""), "nginx"),
    (("epoll", ""), "apache-event"),
]
WHY_HELLO = {
    "nginx": "For plaintext nginx answers from its config (`return 200`), a response it assembles from"
             " preset strings, while ours parses every request in servers/common and builds its headers per"
             " response; both pay the same loopback TCP cost.",
    "apache-event": "For plaintext Apache serves a 13-byte file (stat, open, sendfile per request), more work"
                    " than ours; where it is still ahead, the deciding figure was set by the loaded machine.",
}
WHY = {
    "apache-prefork": "Apache's prefork children and ours are the same design (one process per connection,"
                      " 64 of them); the difference is the request path: Apache sends the file with sendfile()"
                      " and parses with its own filters, ours opens the file, pread()s it and writev()s it on"
                      " every request (the SEDA task's read), and parses in servers/common.",
    "apache-worker": "Apache's worker MPM and our pool are both 64 threads each owning one connection; beyond"
                     " the request path (sendfile against pread and writev), Apache's threads also take the"
                     " accept mutex and pass connections through a queue from a listener thread.",
    "nginx": "nginx is our epoll model's design (one process, one epoll loop, non-blocking sockets) with years of"
             " tuning: sendfile() for files, no copy of the body through user space, and header and buffer reuse"
             " per connection; ours reads the file into a buffer and writes it with writev().",
    "apache-event": "Apache's event MPM parks idle keep-alive connections in a listener thread's epoll and hands"
                    " each ready one to one of 64 worker threads: a thread handoff per request that our single"
                    " epoll loop does not pay, against sendfile() that it does not use.",
}


def plot(folder, points, terms):
    made = []
    for exp, what in EXPS:
        made += family_figure(folder, points, terms, exp, exp.replace("-", "_"),
                              f"Production peers: {what}, keep-alive", ["rps", "latency"], height=860)
    return made


def ours_point(run, exp, setup_key, conns):
    """Our model's point in the peers experiment; for the SEDA task, the seda experiment's point
    at the same level when the peers experiment did not run our model (experiments.py)."""
    for e in (exp, "seda") if exp == "peers-file8k" else (exp,):
        s = run.find(e, *setup_key)
        p = run.at(e, s, conns) if s else None
        if p and p.reps and p.get("rps"):
            return p, e
    return None, None


def pair_rows(run, exp):
    """[(ours label, peer, conns, our point, peer point, sentence, ratio, our experiment)]."""
    out = []
    for key, peer in PAIRS:
        ps = run.find(exp, peer)
        if not ps:
            continue
        for pp in run.measured(exp, ps):
            po, src = ours_point(run, exp, key, pp.conns)
            if po is None:
                continue
            name = " ".join(x for x in key if x)
            sentence, ratio = compare(run, name, po, peer, pp)
            out.append((name, peer, pp.conns, po, pp, sentence, ratio, src))
    return out


def section(run, made):
    done = [(exp, what, pair_rows(run, exp)) for exp, what in EXPS if run.has(exp)]
    if not done:
        return ""
    out = ["## Our models against their production embodiments", "",
           images(made, run.folder, [e.replace("-", "_") for e, _ in EXPS]), "",
           "**Question.** Is each model a fair representative of its design, or a strawman? Each is run"
           " against the production server that embodies it, behind the same command line (harness/peers/:"
           " a wrapper writes a config, starts the real server on loopback, and stops it on SIGTERM), pinned"
           " to the same server CPU: fork prefork against Apache httpd's mpm_prefork, the thread pool against"
           " mpm_worker (both 64 processes or threads, one connection each), epoll against nginx (1 worker)"
           " and against mpm_event (64 threads behind an epoll listener). Production settings where they"
           " differ from the defaults: keep-alive with no request limit, no access log. Goal: each of ours at"
           " ≥ 1.0× its embodiment.", "",
           "Ratios are ours ÷ the peer's requests/s, and the peer's ÷ ours for server CPU per request (busy"
           " time of the server's CPU, softirq included, per request), so > 1 is ours ahead in both. Where a"
           " point was client-bound (★) requests/s is a lower bound and CPU per request carries the verdict.", ""]
    slower, met, missed = [], [], []
    for exp, what, rows in done:
        if not rows:
            continue
        out.append(f"{what[0].upper() + what[1:]}:")
        out.append("")
        trs = []
        for name, peer, conns, po, pp, sentence, ratio, src in rows:
            ro, rp = po.get("rps"), pp.get("rps")
            co, cp = run.cpu_per_req(po), run.cpu_per_req(pp)
            decides = "CPU/request" if po.client_bound or pp.client_bound else "requests/s"
            mark = lambda p: " ★" if p.client_bound else ""
            served = lambda p: f"{p.served()[0]:,}" + (" starved" if p.starved else "") if p.served() else "–"
            trs.append([f"{name} / {peer}", f"{conns:,}", f_rps(ro) + mark(po) + ("" if src == exp else " (seda)"),
                        f_rps(rp) + mark(pp), f"×{ro / rp:.2f}", f"{served(po)} / {served(pp)}", f_num(co, 1), f_num(cp, 1),
                        f"×{cp / co:.2f}" if co and cp else "–", decides,
                        ("≥ 1.0 ✓" if ratio >= 1.0 else "< 1.0 ✗") if ratio is not None else "undecided"])
            if ratio is not None:
                (met if ratio >= 1.0 else missed).append((name, peer, conns, ratio, exp))
                if ratio < 1.0:
                    slower.append((peer, exp))
        out.append(table(["ours / peer", "conns", "ours rps", "peer rps", "rps ratio", "served ours / peer", "ours µs/req",
                          "peer µs/req", "CPU ratio", "verdict by", "goal"], trs))
        out.append("")
    bullets = []
    if missed:
        bullets.append("Goal missed (ours below its embodiment by the deciding figure): " + "; ".join(
            f"{n} against {p} at {c:,} connections, ×{r:.2f} ({e})" for n, p, c, r, e in missed) + ".")
    if met:
        bullets.append(f"Goal met at the other {len(met)} of {len(met) + len(missed)} points; lowest there: "
                       + "; ".join(f"{n} against {p} ×{min(r for n2, p2, _, r, _ in met if (n2, p2) == (n, p)):.2f}"
                                   for n, p in dict.fromkeys((n, p) for n, p, _, _, _ in met)) + ".")
    out += [f"- {b}" for b in bullets]
    if bullets:
        out.append("")
    reused = sorted({(n, e) for _, _, rows in done for n, _, _, _, _, _, _, e in rows if e == "seda"})
    if reused:
        out.append("For the SEDA task our models' figures are the seda experiment's points at the same"
                   " levels (marked (seda)), run earlier in the same sweep rather than alternating with the"
                   " peers.")
        out.append("")
    if slower:
        why = [(WHY_HELLO if e == "peers-hello" and p in WHY_HELLO else WHY)[p] for p, e in dict.fromkeys(slower)]
        out.append("**Where ours is slower, and why** (the designs' known differences; the report does not"
                   " profile them). " + " ".join(dict.fromkeys(why)))
    else:
        out.append("**Where ours is slower.** Nowhere in this run, by the deciding figure.")
    return "\n".join(out)

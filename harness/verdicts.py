"""verdicts.py - the verdict table at the top of REPORT.md: one row per published claim.

The claims are registered here, in table order (CLAIMS).  The verdicts come from the
sections: a module in harness/sections/ may define

    def verdicts(run):   # run = report_lib.Run
        return [Verdict("seda-fig2", "reproduced", "thread keeps 53% of its peak at 16384")]

with a claim key from CLAIMS (a key not listed there gets its own row after them, its
text as the claim).  The verdict is one of VERDICTS, computed from the run; figure is the
number that decides it.  A claim no section gave a row for reads "not run".  Each row links
to the section of the module that gave it.
"""

import re
from dataclasses import dataclass

VERDICTS = ("reproduced", "partly", "not reproduced", "within noise")
NOT_RUN = "not run"

# (key, the claim as published, the section that decides it)
CLAIMS = [
    ("seda-fig2", "SEDA fig. 2 (Welsh, Culler, Brewer 2001): thread-per-connection throughput degrades"
                  " substantially past a modest number of threads", "seda"),
    ("seda-fig4", "SEDA fig. 4: an event-driven server keeps its throughput as connections grow by orders"
                  " of magnitude", "seda"),
    ("ousterhout", "Ousterhout 1995: for most purposes events are better than threads (one CPU)", "ousterhout"),
    ("von-behren", "von Behren, Condit, Brewer 2003: user-level threads perform like events", "ousterhout"),
    ("iocp", "The IOCP rationale: a completion port activates another thread when one blocks, so blocking"
             " calls do not stall the server", "blocking"),
    ("comer", "Comer: an iterative server makes clients wait, with poor performance", "slowclients"),
    ("completion", "Completion beats readiness on Linux: io_uring used as meant (multishot, provided buffers,"
                   " batched submission) serves more than epoll (io_uring-echo-server: about 1.5x)", "readiness"),
    ("a6-pending-reads", "IOCP article FAQ A6: several pending reads raise the throughput for clients that send"
                         " in bursts", "hassles"),
    ("enobufs-zero-byte", "IOCP article 3.6.1: zero-byte reads hold no locked buffer (no WSAENOBUFS), at a cost"
                          " in throughput", "hassles"),
    ("a5-one-worker", "IOCP article FAQ A5: on an ordinary computer one I/O worker gives the best performance",
     "hassles"),
]


@dataclass
class Verdict:
    claim: str          # a key of CLAIMS
    verdict: str        # one of VERDICTS
    figure: str         # the figure that decides it, from the run
    section: str = ""   # filled in from the module that gave it
    extends: bool = False   # adds its figure to the claim's row another section decides (cost: equal load)


def anchor(markdown):
    """The GitHub anchor of a section's first '## ' heading ('' when none)."""
    for line in markdown.splitlines():
        if line.startswith("## "):
            text = line[3:].strip().lower()
            text = re.sub(r"[^\w\- ]", "", text)
            return "#" + text.replace(" ", "-")
    return ""


def collect(run, modules):
    """{claim key: Verdict} from every module's verdicts(run)."""
    got, extra = {}, []
    for m in modules:
        fn = getattr(m, "verdicts", None)
        for v in (fn(run) if fn else []):
            if v.verdict not in VERDICTS:
                raise ValueError(f"{m.__name__}: verdict {v.verdict!r} for {v.claim} is not one of {VERDICTS}")
            v.section = v.section or m.NAME
            if v.extends:
                extra.append(v)
            else:
                got[v.claim] = v
    for v in extra:
        if v.claim in got:
            got[v.claim].figure = f"{got[v.claim].figure.rstrip('.')}. {v.figure} (section {v.section})"
    return got


def section(run, modules, anchors):
    """The verdict table; anchors = {section NAME: '#anchor'}."""
    got = collect(run, modules)
    texts = {k: t for k, t, _ in CLAIMS}
    homes = {k: s for k, _, s in CLAIMS}
    rows = []
    for key in [k for k, _, _ in CLAIMS] + [k for k in got if k not in texts]:
        v = got.get(key)
        where = v.section if v else homes.get(key, "")
        link = f"[{where}]({anchors[where]})" if anchors.get(where) else where
        rows.append([texts.get(key, key), f"**{v.verdict}**" if v else NOT_RUN, v.figure if v else "–", link])
    out = ["## Verdicts", "",
           "One row per published claim, each computed from this run by the figure that decides it (details in"
           " the linked section). \"not run\": the experiment that decides it is not in this run.", "",
           "| claim | verdict | deciding figure | section |", "|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)

"""report_lib.py - what every report section shares: number formatting, markdown
tables and image links, and Run, the aggregated points of one results folder
with the lookups the sections need (harness/sections/*.py)."""

import os
from collections import Counter

import runs
import sampling


# ---------------------------------------------------------------- formatting

def f_rps(v):
    return "–" if v is None else f"{v:,.0f}"


def f_ms(us):
    if us is None:
        return "–"
    ms = us / 1000.0
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def f_pct(x):
    return "–" if x is None else f"{100.0 * x:.0f}%"


def f_num(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def cell_rps(p):
    """'12,345 [12,000–12,500]*' for a table cell."""
    if p is None:
        return ""
    if p.ceiling and not p.reps:
        return "ceiling"
    if not p.reps:
        return "failed"
    s = f_rps(p.get("rps"))
    if p.reps > 1:
        s += f" [{f_rps(p.get('rps', 'lo'))}–{f_rps(p.get('rps', 'hi'))}]"
    if p.client_bound:
        s += " ★"
    if p.starved:
        s += f" (starved: {p.served()[0]:,} of {p.conns:,} served)"
    if (p.get("error_share") or 0) >= 0.01:
        s += f" (errors {f_pct(p.get('error_share'))})"
    return s


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def images(made, folder, names):
    out = []
    for n in names:
        png = os.path.join(folder, n + ".png")
        if png in made:
            out.append(f"![{n}]({n}.png) ([SVG]({n}.svg))")
    return "\n\n".join(out)


# ---------------------------------------------------------------- queries

class Run:
    """The aggregated points of one folder, with the lookups the sections need."""

    def __init__(self, folder):
        self.folder = folder
        self.rows = runs.load(os.path.join(folder, "runs.csv"))
        self.points = runs.aggregate(self.rows)
        self.meta = runs.read_meta(folder)
        self.cpu = runs.load_cpu(folder)
        self.server_cpus = self.meta.get("server_cpus") or self._common("server_cpus")

    def _common(self, col):
        c = Counter(r[col] for r in self.rows)
        return c.most_common(1)[0][0] if c else ""

    def has(self, exp):
        return any(p.experiment == exp for p in self.points.values())

    def setups(self, exp, cpus=None):
        return [s for s in runs.setups(self.points, exp) if cpus is None or s[2] == cpus]

    def series(self, exp, setup):
        return runs.series(self.points, exp, setup)

    def measured(self, exp, setup):
        return [p for p in self.series(exp, setup) if p.reps and p.get("rps") is not None]

    def levels(self, exp):
        return sorted({p.conns for p in self.points.values() if p.experiment == exp})

    def at(self, exp, setup, conns):
        return self.points.get((exp,) + tuple(setup) + (conns,))

    def find(self, exp, model, variant="", cpus=None, client=None):
        for s in self.setups(exp):
            if s[0] == model and s[1] == variant and (cpus is None or s[2] == cpus) \
                    and (client is None or s[3] == client):
                return s
        return None

    def retention(self, exp, setup):
        """(peak point, last measured point, last/peak) of a setup, or None."""
        pts = self.measured(exp, setup)
        if not pts:
            return None
        peak = max(pts, key=lambda p: p.get("rps"))
        last = pts[-1]
        return peak, last, (last.get("rps") / peak.get("rps")) if peak.get("rps") else None

    def cpu_per_req(self, p):
        """Server CPU set's busy µs per request: srv_cpu_us_per_req, or, in a run from before that
        column, the same figure from cpu.csv's server_cpus_busy_pct; None when unknown."""
        v = p.get("srv_cpu_us_per_req")
        if v is not None:
            return v
        busy = cpu_of(self, p, "server_cpus_busy_pct")
        if busy is None or not p.get("rps"):
            return None
        return busy / 100.0 * len(sampling.cpuset_parse(p.server_cpus)) * 1e6 / p.get("rps")

    def ceilings(self, exp):
        out = {}
        for p in self.points.values():
            if p.experiment == exp and p.ceiling and not p.reps:
                out.setdefault(runs.label(p.model, p.variant), []).append(p.conns)
        return out


def lab(setup):
    return runs.label(setup[0], setup[1])


def cpu_of(run, p, col):
    """A cpu.csv median for point p, or None."""
    return run.cpu.get((p.experiment, p.model, p.variant, p.server_cpus, p.conns), {}).get(col)


def conns_words(c):
    return f"{c} connection{'s' if c != 1 else ''}"


def client_bound_bullets(run, exp, setups):
    """['Client-bound (★): thread at 1024, ...'] for the points where the client was the limit, or []."""
    bound = sorted({f"{lab(s)} at {p.conns}" for s in setups for p in run.measured(exp, s) if p.client_bound})
    return ["Client-bound (★): " + ", ".join(bound) + "."] if bound else []


def ranges_overlap(pa, pb):
    """Do the repetitions' ranges [min-max] of the deciding figure of compare() overlap (server
    CPU per request where either point was client-bound, else requests/s)? None when unknown."""
    metric = "srv_cpu_us_per_req" if (pa.client_bound or pb.client_bound) else "rps"
    ra = [pa.get(metric, w) for w in ("lo", "hi")]
    rb = [pb.get(metric, w) for w in ("lo", "hi")]
    if None in ra + rb:
        return None
    return ra[0] <= rb[1] and rb[0] <= ra[1]


def compare(run, name_a, pa, name_b, pb):
    """One sentence comparing two measured points: requests/s, and where either was
    client-bound also the server CPU per request, saying which figure carries the verdict.
    Returns (sentence, ratio) where ratio is a's advantage over b by the deciding figure
    (> 1: a better), or (sentence, None) when nothing decides."""
    ra, rb = pa.get("rps"), pb.get("rps")
    ca, cb = run.cpu_per_req(pa), run.cpu_per_req(pb)
    rate = f"{name_a} {f_rps(ra)} against {name_b} {f_rps(rb)} requests/s (×{ra / rb:.2f})"
    cpu = (f"{name_a} {ca:.1f} µs against {name_b} {cb:.1f} µs ({name_a} does ×{cb / ca:.2f} the requests per"
           f" server CPU-second of {name_b})") if ca and cb else None
    if not (pa.client_bound or pb.client_bound):
        return (f"{rate}, server CPU per request {cpu}; the server was the limit, so requests/s carries the verdict" if cpu else
                f"{rate}; the server was the limit, so requests/s carries the verdict"), ra / rb
    who = " and ".join(n for n, p in ((name_a, pa), (name_b, pb)) if p.client_bound)
    if cpu:
        return (f"{rate}, but the client was the limit for {who} (★), so server CPU per request carries"
                f" the verdict: {cpu}"), cb / ca
    return (f"{rate}, but the client was the limit for {who} (★) and no server CPU per request was recorded:"
            " requests/s is a lower bound, and this comparison decides nothing"), None

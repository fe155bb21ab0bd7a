"""runs.py - read a results folder's runs.csv and reduce repetitions to median, min and max.

Shared by plot.py, report.py and sections/ (and runner.py, point.py for the column list).  A row
whose variant is "ceiling" (or ends in ":ceiling") is a level the model cannot
hold; it carries no measurements (results/README.md).  A failed point's row carries none
either, and failures.csv says why (load_failures).
"""

import csv
import os
import statistics
from dataclasses import dataclass, field

from experiments import EXP_BY_NAME

# The runs.csv columns, in the contract's order (../shared/contract.md, "Results").
COLUMNS = (
    "experiment,model,variant,proto,workload,conns,rate_rps,keepalive,server_cpus,client_cpus,rep,"
    "duration_s,requests,bytes,rps,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,"
    "err_connect,err_read,err_write,err_timeout,err_status,err_invalid,"
    "srv_user_s,srv_sys_s,srv_cpu_pct,srv_ctxsw_vol,srv_ctxsw_invol,srv_rss_kb,srv_threads,srv_procs,"
    "cli_cpu_pct,client_bound,client,started_utc,conns_served,fairness_jain,srv_cpu_us_per_req,"
    "slow_conns,pipeline"
).split(",")

ERROR_COLUMNS = [c for c in COLUMNS if c.startswith("err_")]


def errors(row):
    """Failed requests of a runs.csv row, or of a client's CSV row: its err_ columns summed."""
    return sum(int(row.get(c) or 0) for c in ERROR_COLUMNS)

# runs.csv written before issue 10 appended conns_served, fairness_jain and
# srv_cpu_us_per_req: still read, those three left empty.
COLUMNS_BEFORE_ISSUE_10 = COLUMNS[:38]
# runs.csv written before issue 18 appended slow_conns and pipeline: read as 0 slow
# clients and 1 request per round trip.
COLUMNS_BEFORE_ISSUE_18 = COLUMNS[:41]

# cpu.csv, next to runs.csv: how busy the server's and the client's CPUs were
# (percent of the set's capacity, /proc/stat), softirq included, over the window.
CPU_COLUMNS = ["experiment", "model", "variant", "server_cpus", "client_cpus", "conns", "rep",
               "server_cpus_busy_pct", "server_cpus_softirq_pct", "client_cpus_busy_pct", "client_cpus_softirq_pct"]
# syscalls.csv, next to runs.csv, for experiments that count them (readiness):
# the server's system calls over the measured window (perf stat -e
# raw_syscalls:sys_enter attached to it), per request; empty with a note
# when perf is missing or refused.
SYSCALL_COLUMNS = ["experiment", "model", "variant", "server_cpus", "client_cpus", "conns", "rep",
                   "syscalls", "window_s", "syscalls_per_req", "note"]
CEILING = "ceiling"

# failures.csv, next to runs.csv: one line per failed point (its server exited at start or died
# during the point). `row` is the point's row in runs.csv (1 = the first after the header);
# that row keeps the point's identity and leaves every measured column empty.
FAILURE_COLUMNS = ["row", "experiment", "model", "variant", "conns", "rep", "server_cpus", "client",
                   "started_utc", "reason"]


def load(path):
    """The rows of runs.csv as dicts; ValueError when the header is not the contract's."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header not in (COLUMNS, COLUMNS_BEFORE_ISSUE_18, COLUMNS_BEFORE_ISSUE_10):
            raise ValueError(f"{path}: header is not the contract's columns:\n  got  {header}\n  want {COLUMNS}")
        old = {} if header == COLUMNS else {"slow_conns": "0", "pipeline": "1"}
        return [dict(dict.fromkeys(COLUMNS, ""), **old, **dict(zip(header, r))) for r in reader if r]


def load_failures(folder):
    """failures.csv's lines as dicts ([] when there is none)."""
    path = os.path.join(folder, "failures.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("reason")]


def num(row, col):
    v = row.get(col, "")
    try:
        return float(v) if v != "" else None
    except ValueError:
        return None


def base_variant(variant):
    """'ceiling' -> '', 'pool:ceiling' -> 'pool', 'pool' -> 'pool'."""
    if variant == CEILING:
        return ""
    return variant[:-len(":" + CEILING)] if variant.endswith(":" + CEILING) else variant


def is_ceiling(row):
    return row["variant"] == CEILING or row["variant"].endswith(":" + CEILING)


def derived(row):
    """Per-row quantities that are ratios of columns."""
    d = {}
    rps, req = num(row, "rps"), num(row, "requests")
    cpu = num(row, "srv_cpu_pct")
    if rps and cpu is not None:
        d["cpu_us_per_req"] = cpu / 100.0 * 1e6 / rps
    vol, inv = num(row, "srv_ctxsw_vol"), num(row, "srv_ctxsw_invol")
    if req and vol is not None and inv is not None:
        d["ctxsw_per_req"] = (vol + inv) / req
    errs = [num(row, c) for c in ERROR_COLUMNS]
    if rps is not None:
        d["errors"] = sum(e for e in errs if e is not None)
        if req is not None:
            d["error_share"] = d["errors"] / max(1.0, req + d["errors"])
    return d


METRICS = ["rps", "lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_p999_us", "lat_max_us", "srv_cpu_pct",
           "srv_rss_kb", "srv_threads", "srv_procs", "cli_cpu_pct", "requests", "err_timeout",
           "cpu_us_per_req", "ctxsw_per_req", "errors", "error_share",
           "conns_served", "fairness_jain", "srv_cpu_us_per_req"]

# A point is "starved" when fewer than this share of its connections completed
# a request in the measured window (median conns_served of the repetitions).
SERVED_SHARE_MIN = 0.99


@dataclass
class Stat:
    med: float
    lo: float
    hi: float
    n: int


@dataclass
class Point:
    """One (experiment, model, variant, server CPUs, client, conns): its repetitions reduced."""
    experiment: str
    model: str
    variant: str
    server_cpus: str
    client: str
    conns: int
    ceiling: bool = False
    reps: int = 0
    client_bound: int = 0          # how many repetitions were client-bound
    stats: dict = field(default_factory=dict)

    def get(self, metric, what="med"):
        s = self.stats.get(metric)
        return getattr(s, what) if s else None

    def served(self):
        """(median conns_served, conns), or None where the client could not tell (wrk, older runs)."""
        v = self.get("conns_served")
        return None if v is None else (int(round(v)), self.conns)

    @property
    def starved(self):
        """Fewer than SERVED_SHARE_MIN of the connections were served in the window."""
        s = self.served()
        return s is not None and s[0] < SERVED_SHARE_MIN * s[1]

    @property
    def setup(self):
        return (self.model, self.variant, self.server_cpus, self.client)


def client_family(client):
    """loadgen's two loops are one client for a series: the runner uses its io_uring loop up to
    8,192 connections and its epoll loop above (the row's own client column says which)."""
    return "loadgen" if client == "loadgen-uring" else client


def level_of(row):
    """A row's level: its connections, or, in an experiment whose level is the slow clients beside
    a fixed number of normal ones (experiments.py normal_conns: slowclients), slow_conns."""
    exp = EXP_BY_NAME.get(row["experiment"])
    if exp is not None and exp.normal_conns and row.get("slow_conns", "") != "":
        return int(row["slow_conns"])
    return int(row["conns"])


def with_rate(variant, rate):
    """'half' at -R 30000 -> 'half@R30000'; closed loop (rate 0 or None): the variant as it is."""
    return f"{variant}@R{rate:.0f}" if rate else variant


def rate_variant(variant, row):
    """An open-loop row's variant carries its offered load, so that each load is a point of its
    own (with_rate)."""
    return with_rate(variant, num(row, "rate_rps"))


def split_rate(variant):
    """'off-batch@R30000' -> ('off-batch', 30000); 'pool' -> ('pool', 0)."""
    v, _, r = variant.partition("@R")
    return v, int(r) if r.isdigit() else 0


def aggregate(rows):
    """{(experiment, model, variant, server_cpus, client, conns): Point}, in first-seen order;
    open-loop rows apart per offered load (rate_variant)."""
    groups = {}
    for row in rows:
        key = (row["experiment"], row["model"], rate_variant(base_variant(row["variant"]), row),
               row["server_cpus"], client_family(row["client"]), level_of(row))
        g = groups.get(key)
        if g is None:
            g = groups[key] = Point(*key)
            g.values = {m: [] for m in METRICS}
        if is_ceiling(row):
            g.ceiling = True
            continue
        if num(row, "rps") is None:
            continue                      # a failed point: no client result
        g.reps += 1
        g.client_bound += row["client_bound"] == "1"
        d = derived(row)
        for m in METRICS:
            v = d[m] if m in d else num(row, m)
            if v is not None:
                g.values[m].append(v)
    for g in groups.values():
        for m, vs in g.values.items():
            if vs:
                g.stats[m] = Stat(statistics.median(vs), min(vs), max(vs), len(vs))
        del g.values
    return groups


def setups(points, experiment):
    """The distinct setups of an experiment, in first-seen order."""
    seen = []
    for p in points.values():
        if p.experiment == experiment and p.setup not in seen:
            seen.append(p.setup)
    return seen


def series(points, experiment, setup):
    """The points of one setup, by connections."""
    return sorted((p for p in points.values() if p.experiment == experiment and p.setup == setup),
                  key=lambda p: p.conns)


def label(model, variant):
    return f"{model} {variant}" if variant else model


def read_meta(folder):
    meta = {}
    path = os.path.join(folder, "meta.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    meta[k.strip()] = v.strip()
    return meta


def load_cpu(folder):
    """cpu.csv reduced to medians: {(experiment, model, variant, server_cpus, conns): {column: median}}."""
    return load_beside(folder, "cpu.csv", CPU_COLUMNS)


def load_syscalls(folder):
    """syscalls.csv reduced like cpu.csv (with COLUMN_lo, COLUMN_hi; and the first note)."""
    return load_beside(folder, "syscalls.csv", SYSCALL_COLUMNS)


def load_beside(folder, name, columns):
    """A CSV beside runs.csv keyed like its rows (columns[:7]), reduced over repetitions:
    {(experiment, model, variant, server_cpus, conns): {column: median, column_lo: min,
    column_hi: max}}; a text column ("note") keeps its first non-empty value."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return {}
    groups = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["experiment"], row["model"], row["variant"], row["server_cpus"], int(row["conns"]))
            g = groups.setdefault(key, {c: [] for c in columns[7:]})
            for c in columns[7:]:
                if row.get(c):
                    g[c].append(row[c])
    out = {}
    for k, g in groups.items():
        d = out[k] = {}
        for c, v in g.items():
            try:
                nums = [float(x) for x in v]
            except ValueError:
                d[c] = v[0]
                continue
            if nums:
                d[c], d[c + "_lo"], d[c + "_hi"] = statistics.median(nums), min(nums), max(nums)
    return out

"""experiments.py - the registry: which models exist and what each experiment runs.

Adding a model: append it to MODELS (and a Setup line to each experiment that
should run it).  Adding an experiment: one Experiment entry in EXPERIMENTS,
plus its report section, harness/sections/<name>.py, registered in
harness/sections/__init__.py.  Nothing here runs anything: harness/point.py
runs one point, harness/runner.py plans and runs the sweep.
"""

import math
from dataclasses import dataclass, replace

MODELS = ["iterative", "fork", "thread", "select", "epoll", "libevent", "iocp-emul", "pth", "st", "uthread", "uring"]

# Connections a model can hold at once.  select() and Pth (whose scheduler
# waits in select()) cannot watch a descriptor >= FD_SETSIZE (1024); stdio,
# the listener and a reserve descriptor take a few.  A keep-alive level above
# the ceiling is not run: it gets a row with variant "ceiling" (results/README.md).
CEILINGS = {"select": 1000, "pth": 1000}

# The model families, in plot order: sections and plots group models by these
# (small multiples: one panel per family), never by lists of their own.  A new
# model joins one family here; a peer (experiments.PEERS) joins the family of
# the model it embodies.
FAMILIES = [
    ("processes and kernel threads", ["iterative", "fork", "thread", "apache-prefork", "apache-worker"]),
    ("readiness loops", ["select", "epoll", "libevent", "nginx", "apache-event"]),
    ("completion", ["iocp-emul", "uring"]),
    ("user-level threads", ["pth", "st", "uthread"]),
]
FAMILY_OF = {m: name for name, models in FAMILIES for m in models}


def family_of(model):
    """The family of a model (or of a plot label "model variant"); "other" when unknown."""
    return FAMILY_OF.get(model.split()[0] if model else "", "other")


POOL_WORKERS = 64        # thread --workers (variant "pool") and fork --workers ("prefork")


@dataclass
class Setup:
    """One line on a plot: a model, its flags, and where it runs."""
    model: str
    variant: str = ""
    flags: tuple = ()
    cpus: str = "default"   # "default": --server-cpus; "all": server and client CPUs together
    client: str = ""        # "" = --client; else forced ("loadgen", "loadgen-uring" or "wrk")
    stand_in: str = ""      # not run when this experiment is in the same sweep: its points stand in
    client_flags: tuple = ()  # extra loadgen flags (slowclients: iterative's --close)
    slow: str = ""          # loadgen --slow LEVEL:<this> (experiments with normal_conns)
    skip_levels: tuple = () # levels this setup does not run (another setup's points stand in)
    pipeline: int = 1       # loadgen --pipeline N per round trip (runs.csv pipeline); with client="loadgen"
    conns: tuple = ()       # only these levels (else the experiment's)
    rates: tuple = ()       # only these offered loads, 0 = closed loop (else the experiment's)
    quick: bool = True      # run in --quick too
    reps: int = 0           # at most this many repetitions (0: --reps); points no verdict rests on


@dataclass
class Experiment:
    name: str
    title: str
    proto: str              # http | daytime
    workload: str           # what is served: file8k, hello, hello+block1000us, daytime
    keepalive: bool
    levels: list
    quick_levels: list
    setups: list
    server_flags: tuple = ()
    path: str = "/"
    needs_file: bool = False
    count_syscalls: bool = False   # perf stat the server's system calls over the window (syscalls.csv)
    think_by_conns: dict = None   # conns -> loadgen --think-ms (the think experiment)
    normal_conns: int = 0   # > 0: -c is this and the level is K slow clients (loadgen --slow K:MODE)
    rates: list = None            # open loop: offered loads (loadgen -R) at each level, lowest first; a
    quick_rates: list = None      # point that does not sustain its rate ends its setup's curve (SATURATED)


POOL = ("--workers", str(POOL_WORKERS))
# --quick runs of the blocking experiment: a pool, the unbounded threads, a loop, the completion port, M:1.
BLOCKING_QUICK = {("thread", ""), ("thread", "pool"), ("epoll", ""), ("iocp-emul", ""), ("uthread", ""), ("pth", "")}

# The setups of the experiments that run every HTTP model (seda, blocking), in
# plot and run order.  A new model is one Setup line here (and in MODELS).
EVERY_MODEL = [
    Setup("thread"),
    Setup("thread", "pool", POOL),
    Setup("fork"),
    Setup("fork", "prefork", POOL),
    Setup("select"),
    Setup("epoll"),
    Setup("libevent"),
    Setup("iocp-emul"),
    Setup("pth"),
    Setup("st"),
    Setup("uthread"),
    Setup("uring"),
]

# iocp-emul holds --max-conns objects (default 10000): enough for 16384 connections.
IOCP_16K = ("--max-conns", "17000")
# The think experiment: each connection waits Z ms between a response and its
# next request; the connections are scaled so the offered load stays near
# THINK_RATE_RPS (Little's law: conns = rate x (Z + response time)).  Z = 0 is
# the saturated reference (closed loop, no think time, a few connections).
THINK_MS = [0, 1, 10, 100]
THINK_RATE_RPS = 20000
THINK_RESPONSE_MS = 0.25     # the response time assumed in Little's law (plaintext, 1 server CPU, loaded 2-core box)
THINK_MAX_CONNS = 16384


def think_conns(z_ms):
    return min(THINK_MAX_CONNS, max(1, math.ceil(THINK_RATE_RPS * (z_ms + THINK_RESPONSE_MS) / 1000.0)))


THINK_BY_CONNS = {think_conns(z): z for z in THINK_MS}

# Open loop (the cost experiment, the ablation): a point whose achieved rate is
# under SATURATED of the offered one, or that has errors, is saturated.
SATURATED = 0.97
# The ablation's fixed half load (rate HALF_LOAD): the runner offers half of epoll's
# closed-loop requests/s at the same level in the experiment's first repetition (else
# uring's), rounded down to 1,000, the same in every repetition. A constant was wrong
# as soon as the machine changed: 30,000, set on an earlier guest, was a fifth of
# epoll's 115k-164k on the reference's. HALF_LOAD_FALLBACK_RPS when neither ran.
HALF_LOAD = -1
HALF_LOAD_FALLBACK_RPS = 30000
URING_OFF = ["batch", "multishot", "bufring", "defer", "fixed"]
MIN_WAIT_US = [50]
ABLATION = [Setup("uring", f"off-{f}", ("--uring-off", f), conns=(1000,), rates=(0, HALF_LOAD), quick=False)
            for f in URING_OFF] + \
           [Setup("uring", f"minwait{us}", ("--min-wait-us", str(us)), conns=(1000,), rates=(0, HALF_LOAD),
                  quick=False) for us in MIN_WAIT_US] + \
           [Setup("epoll", "half", (), conns=(1000,), rates=(HALF_LOAD,), quick=False),
            Setup("uring", "half", (), conns=(1000,), rates=(HALF_LOAD,), quick=False)]
ABLATION_VARIANTS = {s.variant for s in ABLATION}
# The cost experiment: offered loads from light to past each model's capacity,
# the same for every model; the models the completion and von Behren verdicts compare.
# The verdicts' models run at 1,000 connections with --reps and at 100 with 2 (no verdict
# rests on 100; the 35-minute budget). The other models that hold 1,000 keep-alive connections
# run at 1,000 only, 2 repetitions; iterative holds one connection and is not run, and
# fork's prefork pool is thread pool's case again (64 of 1,000 served: saturated at the first load).
COST_RATES = [5000, 20000, 40000, 70000]
COST_SETUPS = [Setup(m, v, f, client="loadgen-uring", conns=(conns,), reps=reps,
                     quick=conns == 1000 and m in ("epoll", "uring", "uthread"))
               for conns, reps in ((1000, 0), (100, 2))    # the verdicts read 1,000 (cost.VERDICT_CONNS)
               for m, v, f in (("epoll", "", ()), ("uring", "", ()), ("iocp-emul", "", ()),
                               ("uthread", "", ()), ("st", "", ()), ("thread", "pool", POOL))] + \
              [Setup(m, client="loadgen-uring", conns=(1000,), reps=2, quick=False)
               for m in ("select", "libevent", "pth", "thread", "fork")]

EXPERIMENTS = [
    Experiment(
        "seda", "SEDA figures 2 and 4: 8 KB file over keep-alive HTTP against connections",
        "http", "file8k", True,
        [16, 1024, 16384], [1024],      # 1, 64, 256, 4096 left out for the 35-minute budget
        list(EVERY_MODEL),
        path="/file8k.html", needs_file=True),
    Experiment(
        "ousterhout", "Events against threads: plaintext keep-alive on 1 and 2 server CPUs",
        "http", "hello", True,
        [100, 1000], [100],           # 10 left out for the 35-minute budget (cost has the load curve)
        [
            Setup("select"),
            Setup("epoll"),
            Setup("libevent"),
            Setup("thread"),
            Setup("pth"),
            Setup("st"),
            Setup("uthread"),
            Setup("uring"),
            Setup("epoll", "", (), "all", quick=False),
            Setup("epoll", "reactors2", ("--workers", "2"), "all", quick=False),
            Setup("thread", "", (), "all", quick=False),
            Setup("pth", "", (), "all", quick=False),
            Setup("st", "", (), "all", quick=False),
            Setup("uthread", "", (), "all", quick=False),
            Setup("uthread", "schedulers2", ("--workers", "2"), "all", quick=False),
        ]),
    Experiment(
        "blocking", "A 1 ms blocking call per request at 64 connections",
        "http", "hello+block1000us", True,
        [64], [64],
        [replace(s, quick=(s.model, s.variant) in BLOCKING_QUICK) for s in EVERY_MODEL],
        server_flags=("--block-us", "1000")),
    Experiment(
        "daytime", "Daytime (RFC 867): a new connection per request",
        "daytime", "daytime", False,
        [1024], [16],                 # 1, 16 and 256 left out for the 35-minute budget (Comer: slowclients)
        [
            Setup("iterative"),
            Setup("fork", quick=False),
            Setup("fork", "prefork", POOL, quick=False),
            Setup("thread"),
            Setup("thread", "pool", POOL, quick=False),
            Setup("select", quick=False),
            Setup("epoll"),
            Setup("libevent", quick=False),
            Setup("iocp-emul", quick=False),
            Setup("pth", quick=False),
            Setup("st", quick=False),
            Setup("uthread"),
        ],
        server_flags=("--proto", "daytime")),
    Experiment(
        "readiness", "Readiness against completion: epoll, io_uring, and the IOCP emulation on both",
        "http", "hello", True,
        [100, 1000, 16384], [1000],
        [
            Setup("epoll"),
            Setup("uring"),
            Setup("iocp-emul", "io_uring", ("--backend", "io_uring") + IOCP_16K),
            Setup("iocp-emul", "epoll", ("--backend", "epoll") + IOCP_16K),
        ] + ABLATION,
        count_syscalls=True),
    Experiment(
        "cost", "Cost at equal load: server CPU against offered load (open loop, keep-alive)",
        "http", "hello", True,
        [100, 1000], [1000],
        COST_SETUPS,
        rates=COST_RATES, quick_rates=[10000, 40000]),
    Experiment(
        "crosscheck", "loadgen against wrk: one model, one load, both clients",
        "http", "hello", True,
        [64], [64],
        [
            Setup("epoll", "", (), "default", "loadgen"),
            Setup("epoll", "", (), "default", "wrk"),
        ]),
    Experiment(
        "think", f"Think time: connections mostly idle, offered load near {THINK_RATE_RPS} requests/s",
        "http", "hello+think", True,
        [think_conns(z) for z in THINK_MS], [think_conns(0), think_conns(10)],
        [
            Setup("thread", "", (), "default", "loadgen", reps=2),
            Setup("thread", "pool", POOL, "default", "loadgen", reps=2),
            Setup("epoll", "", (), "default", "loadgen", reps=2),
            Setup("uthread", "", (), "default", "loadgen", reps=2),
            Setup("st", "", (), "default", "loadgen", reps=2),
        ],
        think_by_conns=THINK_BY_CONNS),
]

# The slowclients experiment (Comer's claim): 64 normal closed-loop connections
# and K slow clients beside them.  The server's --idle-ms is 1000: shorter than
# the measured window (QUICK 1 s, default 1.5 s, after a 0.5 s warm-up), so an
# idle slow client is dropped and comes back inside one point, and long enough
# that a slow head of about 60 bytes at 8 ms a byte (0.5 s) ends inside it:
# such a client is legitimate, however slow, and a server must serve it.
SLOW_IDLE_MS = 1000
SLOW_NORMAL_CONNS = 64
SLOW_HEAD = "head:8"
SLOW_READ = "read:4096"    # an 8 KB response read in about 2 s


# --quick: the head: mode for one model of each kind (the 180-second budget).
SLOW_QUICK = {("iterative", ""), ("thread", ""), ("thread", "pool"), ("fork", "prefork"), ("epoll", ""),
              ("uthread", ""), ("uring", "")}


def slow_setups():
    """Every HTTP model with head: slow clients, 3 repetitions at K = 0, 64 and 256
    (the Comer verdict and the pools' fall rest on them) and, for iterative, K = 1
    (one slow client is Comer's case; a concurrent model keeps its share there: 93-126%
    in the reference before K = 1 was cut for them, the 35-minute budget); idle: at
    K = 256 and read: at K = 64 for a few models, 2 repetitions, not in --quick.
    K = 0 runs once, in the head: setups, and is every mode's baseline."""
    models = [Setup("iterative", client_flags=("--close",))] + EVERY_MODEL
    out = []
    for mode, spec, only, chosen, reps in (("head", SLOW_HEAD, (), None, 0),
                                           ("idle", "idle", (256,), None, 2),
                                           ("read", SLOW_READ, (64,), {"iterative", "thread", "fork", "epoll", "uthread"}, 2)):
        for s in models:
            if chosen is None or s.model in chosen:
                skip = (1,) if mode == "head" and s.model != "iterative" else ()
                out.append(Setup(s.model, f"{s.variant}:{mode}" if s.variant else mode, s.flags, s.cpus, "loadgen",
                                 client_flags=s.client_flags, slow=spec, conns=only, reps=reps, skip_levels=skip,
                                 quick=not only and (s.model, s.variant) in SLOW_QUICK))
    return out


EXPERIMENTS.append(Experiment(
    "slowclients", f"Comer: {SLOW_NORMAL_CONNS} normal connections beside K slow clients (8 KB file)",
    "http", "file8k", True,
    [0, 1, 64, 256], [0, 1, 64],   # 16 left out for the 35-minute budget
    slow_setups(),
    server_flags=("--idle-ms", str(SLOW_IDLE_MS)),
    path="/file8k.html", needs_file=True, normal_conns=SLOW_NORMAL_CONNS))
# The hassles experiment (issue 19, the IOCP article's four hassles): iocp-emul on
# io_uring with 1 and 4 pending reads, zero-byte reads, 1 and 2 workers (and the
# default, 2 x CPUs), plain and pipelined clients (8 requests in flight), and
# uring's provided-buffer ring beside it.  Its section reads the posted-buffer
# bytes from each server's exit line in server-stderr.log.
IOCP_URING = ("--backend", "io_uring") + IOCP_16K
HASSLES_SETUPS = [
    Setup("iocp-emul", "r1", IOCP_URING),
    Setup("iocp-emul", "r4", IOCP_URING + ("--pending-reads", "4")),
    Setup("iocp-emul", "zero", IOCP_URING + ("--zero-byte-read",)),
    Setup("iocp-emul", "r1-p8", IOCP_URING, pipeline=8),
    Setup("iocp-emul", "r4-p8", IOCP_URING + ("--pending-reads", "4"), pipeline=8),
    Setup("iocp-emul", "zero-p8", IOCP_URING + ("--zero-byte-read",), pipeline=8),
    Setup("iocp-emul", "w1", IOCP_URING + ("--workers", "1")),
    Setup("iocp-emul", "w2", IOCP_URING + ("--workers", "2")),
    Setup("uring", "bufring"),
    Setup("uring", "bufring-p8", pipeline=8),
]
EXPERIMENTS.append(Experiment(
    "hassles", "The IOCP article's hassles: pending reads, zero-byte reads, I/O workers (plaintext keep-alive)",
    "http", "hello", True,
    [1000, 16384], [1000],
    HASSLES_SETUPS))

# The peers experiments: the production embodiments of three models, behind the
# same command line through the wrappers in harness/peers/ (a "model" here is a
# wrapper's name).  Each of ours sits next to its embodiment.
PEERS = {name: f"harness/peers/{name}" for name in ("nginx", "apache-prefork", "apache-worker", "apache-event")}
PEER_SETUPS = [
    Setup("fork", "prefork", POOL),
    Setup("apache-prefork", "", POOL),
    Setup("thread", "pool", POOL),
    Setup("apache-worker", "", POOL),
    Setup("epoll"),
    Setup("nginx"),
    Setup("apache-event", "", POOL),
]
PEER_LEVELS = [1024, 16384]          # levels of seda too (16 left out for the budget): seda's points of
OURS = {"fork", "thread", "epoll"}   # our three stand in when seda is in the sweep
EXPERIMENTS += [
    Experiment(
        "peers-file8k", "Production peers, SEDA task: 8 KB file over keep-alive HTTP",
        "http", "file8k", True, PEER_LEVELS, [1024],
        [Setup(s.model, s.variant, s.flags, stand_in="seda" if s.model in OURS else "") for s in PEER_SETUPS],
        path="/file8k.html", needs_file=True),
    Experiment(
        "peers-hello", "Production peers, plaintext over keep-alive HTTP",
        "http", "hello", True, PEER_LEVELS, [1024], list(PEER_SETUPS)),
]
EXP_BY_NAME = {e.name: e for e in EXPERIMENTS}
# Names for several experiments at once (--experiments peers).
GROUPS = {"peers": ["peers-file8k", "peers-hello"]}

# Sweep settings: run_all.sh (DEFAULT) and run_all.sh --quick.
QUICK = {"duration_s": 0.8, "warmup_s": 0.4, "reps": 1}
DEFAULT = {"duration_s": 1.5, "warmup_s": 0.5, "reps": 3}
WARMUP_CONNS_PER_S = 8192  # extra warm-up for opening many connections (16384: +2 s)

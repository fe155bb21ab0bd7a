"""experiments.py - the registry: which models exist and what each experiment runs.

Adding a model: append it to MODELS (and a Setup line to each experiment that
should run it).  Adding an experiment: one Experiment entry in EXPERIMENTS,
plus its report section, harness/sections/<name>.py, registered in
harness/sections/__init__.py.  Nothing here runs anything: harness/point.py
runs one point, harness/runner.py plans and runs the sweep.
"""

import math
from dataclasses import dataclass

MODELS = ["iterative", "fork", "thread", "select", "epoll", "libevent", "iocp-emul", "pth", "st", "uthread", "uring"]

# Connections a model can hold at once.  select() and Pth (whose scheduler
# waits in select()) cannot watch a descriptor >= FD_SETSIZE (1024); stdio,
# the listener and a reserve descriptor take a few.  A keep-alive level above
# the ceiling is not run: it gets a row with variant "ceiling" (results/README.md).
CEILINGS = {"select": 1000, "pth": 1000}

POOL_WORKERS = 64        # thread --workers (variant "pool") and fork --workers ("prefork")


@dataclass
class Setup:
    """One line on a plot: a model, its flags, and where it runs."""
    model: str
    variant: str = ""
    flags: tuple = ()
    cpus: str = "default"   # "default": --server-cpus; "all": server and client CPUs together
    client: str = ""        # "" = --client; else forced ("loadgen" or "wrk")
    stand_in: str = ""      # not run when this experiment is in the same sweep: its points stand in
    client_flags: tuple = ()  # extra loadgen flags (slowclients: iterative's --close)


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


POOL = ("--workers", str(POOL_WORKERS))

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

EXPERIMENTS = [
    Experiment(
        "seda", "SEDA figures 2 and 4: 8 KB file over keep-alive HTTP against connections",
        "http", "file8k", True,
        [1, 16, 64, 256, 1024, 4096, 16384], [16, 1024],      # 4 left out for the 20-minute budget
        list(EVERY_MODEL),
        path="/file8k.html", needs_file=True),
    Experiment(
        "ousterhout", "Events against threads: plaintext keep-alive on 1 and 2 server CPUs",
        "http", "hello", True,
        [10, 100, 1000], [100],
        [
            Setup("select"),
            Setup("epoll"),
            Setup("libevent"),
            Setup("thread"),
            Setup("pth"),
            Setup("st"),
            Setup("uthread"),
            Setup("uring"),
            Setup("epoll", "", (), "all"),
            Setup("epoll", "reactors2", ("--workers", "2"), "all"),
            Setup("thread", "", (), "all"),
            Setup("pth", "", (), "all"),
            Setup("st", "", (), "all"),
            Setup("uthread", "", (), "all"),
            Setup("uthread", "schedulers2", ("--workers", "2"), "all"),
        ]),
    Experiment(
        "blocking", "A 1 ms blocking call per request at 64 connections",
        "http", "hello+block1000us", True,
        [64], [64],
        list(EVERY_MODEL),
        server_flags=("--block-us", "1000")),
    Experiment(
        "daytime", "Daytime (RFC 867): a new connection per request",
        "daytime", "daytime", False,
        [1, 16, 1024], [16],          # 256 left out for the 20-minute budget
        [
            Setup("iterative"),
            Setup("fork"),
            Setup("fork", "prefork", POOL),
            Setup("thread"),
            Setup("thread", "pool", POOL),
            Setup("select"),
            Setup("epoll"),
            Setup("libevent"),
            Setup("iocp-emul"),
            Setup("pth"),
            Setup("st"),
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
        ],
        count_syscalls=True),
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
            Setup("thread", "", (), "default", "loadgen"),
            Setup("thread", "pool", POOL, "default", "loadgen"),
            Setup("epoll", "", (), "default", "loadgen"),
            Setup("uthread", "", (), "default", "loadgen"),
            Setup("st", "", (), "default", "loadgen"),
        ],
        think_by_conns=THINK_BY_CONNS),
]

# The hassles experiment (issue 19, the IOCP article's four hassles): iocp-emul on
# io_uring with 1 and 4 pending reads, zero-byte reads, 1 and 2 workers (and the
# default, 2 x CPUs), plain and pipelined clients (8 requests in flight), and
# uring's provided-buffer ring beside it.  Its section reads the posted-buffer
# bytes from each server's exit line in server-stderr.log.
PIPE8 = ("--pipeline", "8")
IOCP_URING = ("--backend", "io_uring") + IOCP_16K
HASSLES_SETUPS = [
    Setup("iocp-emul", "r1", IOCP_URING),
    Setup("iocp-emul", "r4", IOCP_URING + ("--pending-reads", "4")),
    Setup("iocp-emul", "zero", IOCP_URING + ("--zero-byte-read",)),
    Setup("iocp-emul", "r1-p8", IOCP_URING, client_flags=PIPE8),
    Setup("iocp-emul", "r4-p8", IOCP_URING + ("--pending-reads", "4"), client_flags=PIPE8),
    Setup("iocp-emul", "zero-p8", IOCP_URING + ("--zero-byte-read",), client_flags=PIPE8),
    Setup("iocp-emul", "w1", IOCP_URING + ("--workers", "1")),
    Setup("iocp-emul", "w2", IOCP_URING + ("--workers", "2")),
    Setup("uring", "bufring"),
    Setup("uring", "bufring-p8", client_flags=PIPE8),
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
PEER_LEVELS = [16, 1024, 16384]      # levels of seda too: for the SEDA task, seda's points of
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
QUICK = {"duration_s": 1.0, "warmup_s": 0.5, "reps": 1}
DEFAULT = {"duration_s": 1.5, "warmup_s": 0.5, "reps": 3}
WARMUP_CONNS_PER_S = 8192  # extra warm-up for opening many connections (16384: +2 s)

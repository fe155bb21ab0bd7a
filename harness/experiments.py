"""experiments.py - the registry: which models exist and what each experiment runs.

Adding a model: append it to MODELS (and a Setup line to each experiment that
should run it).  Adding an experiment: one Experiment entry in EXPERIMENTS,
plus its report section, harness/sections/<name>.py, registered in
harness/sections/__init__.py.  Nothing here runs anything: harness/point.py
runs one point, harness/runner.py plans and runs the sweep.
"""

from dataclasses import dataclass

MODELS = ["iterative", "fork", "thread", "select", "epoll", "libevent", "iocp-emul", "pth", "uthread"]

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
    Setup("uthread"),
]

EXPERIMENTS = [
    Experiment(
        "seda", "SEDA figures 2 and 4: 8 KB file over keep-alive HTTP against connections",
        "http", "file8k", True,
        [1, 4, 16, 64, 256, 1024, 4096, 16384], [16, 1024],
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
            Setup("uthread"),
            Setup("epoll", "", (), "all"),
            Setup("epoll", "reactors2", ("--workers", "2"), "all"),
            Setup("thread", "", (), "all"),
            Setup("pth", "", (), "all"),
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
        [1, 16, 256, 1024], [16],
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
            Setup("uthread"),
        ],
        server_flags=("--proto", "daytime")),
    Experiment(
        "crosscheck", "loadgen against wrk: one model, one load, both clients",
        "http", "hello", True,
        [64], [64],
        [
            Setup("epoll", "", (), "default", "loadgen"),
            Setup("epoll", "", (), "default", "wrk"),
        ]),
]
EXP_BY_NAME = {e.name: e for e in EXPERIMENTS}

# Sweep settings: run_all.sh (DEFAULT) and run_all.sh --quick.
QUICK = {"duration_s": 1.0, "warmup_s": 0.5, "reps": 1}
DEFAULT = {"duration_s": 1.5, "warmup_s": 0.5, "reps": 3}
WARMUP_CONNS_PER_S = 8192  # extra warm-up for opening many connections (16384: +2 s)

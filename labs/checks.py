"""checks.py - what each lab's checker runs: a table per lab of checks, each a case of
the suite (tests/conformance.py, tests/robustness.py) or one of the lab's own below,
with the hint a student gets when it fails ("look at ...").

A check: (name, case, hint, variant, quick). variant = extra server flags (the pool:
["--workers", "4"]); quick = part of the short selection `make test` runs on the
reference and the starter. The first check of a lab is the smoke test: when the server
does not answer a plain GET, the checks after it are reported as not run.
"""

import os
import time

import lib
import conformance
import robustness
from lib import Case, CaseFail, expect, request_bytes, tally_text

GET_CLOSE = request_bytes("GET", "/", headers=["Connection: close"])
GET_KEEP = request_bytes("GET", "/")
HERE = os.path.dirname(os.path.abspath(__file__))


class Check:
    def __init__(self, case, hint, variant=(), quick=True):
        self.case = case
        self.name = case.name + (" [%s]" % " ".join(variant) if variant else "")
        self.hint = hint
        self.variant = list(variant)
        self.quick = quick


def suite(name):
    """The suite's case whose name starts with `name` (a renamed case fails the self-test)."""
    for case in conformance.CASES + robustness.CASES:
        if case.name.startswith(name):
            return case
    raise KeyError("no case named %r in tests/conformance.py or tests/robustness.py" % name)


def check(name, hint, variant=(), quick=True):
    return Check(suite(name), hint, variant, quick)


def own(name, fn, hint, variant=(), quick=True, server=None):
    return Check(Case(name, fn, server=server), hint, variant, quick)


# ---------------------------------------------------------------- shared own checks

def half_request_blocks_nobody(ctx):
    """A client that sends half a request and stalls must not hold up the next one."""
    s = ctx.start_default()
    stalled = ctx.conn(s.port)
    stalled.send(b"GET / HTTP/1.1\r\nHo")
    time.sleep(0.1)
    c = ctx.conn(s.port, timeout=lib.scaled(2.0))
    c.send(GET_CLOSE)
    try:
        r = c.read_response()
    except CaseFail:
        raise CaseFail("expected a second client answered while the first stalls mid-request, got no "
                       "answer within %.0f s (one connection at a time: the iterative server)" % lib.scaled(2))
    expect(r.status == 200, "200 for the second client", r.status)


def crowd_each_answered(n, variant_workers=None):
    """n keep-alive connections at once, each with its own request: every one answered on its own
    connection (a thread that serves the wrong fd leaves another client waiting)."""
    def fn(ctx):
        s = ctx.start_default()
        crowd = ctx.crowd(n, s.port)
        crowd.connect()
        crowd.exchange(GET_KEEP, timeout=10)
        t = crowd.tally()
        expect(t.get("200", 0) == n, "each of %d concurrent connections answered 200 on its own connection" % n,
               tally_text(t))
    return fn


# ---------------------------------------------------------------- fork

def sequential_gets(ctx, port, n, pause_s=0.03):
    for i in range(n):
        r = ctx.get("/", port=port)
        expect(r.status == 200, "connection %d of %d answered 200" % (i + 1, n), r.status)
        time.sleep(pause_s)       # the child exits: SIGCHLD while the parent waits in accept()


def sigchld_during_accept(ctx):
    s = ctx.start_default()
    try:
        sequential_gets(ctx, s.port, 30)
    except CaseFail as e:
        raise CaseFail("%s; the server is %s" % (e, s.status()))
    expect(s.alive(), "the server still running after 30 SIGCHLDs arrived during accept()", s.status())


def errno_kept_by_handler(ctx):
    log = os.path.join(ctx.lab_tmp, "errno.log")
    if os.path.exists(log):
        os.unlink(log)
    env = dict(os.environ, LD_PRELOAD=ctx.errno_shim, LAB_ERRNO_LOG=log)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    s = lib.Server([ctx.binary, "-p", "0", "--quiet"], env=env, label=ctx.model)
    ctx._servers.append(s)
    s.start()
    sequential_gets(ctx, s.port, 20, pause_s=0.05)
    time.sleep(0.2)
    lines = open(log).read().split() if os.path.exists(log) else []
    calls = lines.count("kept") + lines.count("changed")
    changed = [int(v) for k, v in zip(lines, lines[1:]) if k == "changed" and v.isdigit()]
    expect(calls > 0, "your SIGCHLD handler called after 20 connections", "it never ran (no SIGCHLD handler "
           "installed with sigaction or signal?)")
    names = sorted(set(os.strerror(v) if v < 4096 else str(v) for v in changed))
    expect(not changed, "errno unchanged across every call of your SIGCHLD handler",
           "changed in %d of %d calls (to %s)" % (len(changed), calls, ", ".join(names)))


def fork_checks():
    h_spawn = ("look at spawn() and the cap in accept_loop: fork a child that serves the connection "
               "and exits; the parent closes its copy of the fd")
    h_reap = ("look at your SIGCHLD handler: signals do not queue, one SIGCHLD can stand for many exited "
              "children, so loop on waitpid(-1, NULL, WNOHANG) until it returns 0 or -1")
    return [
        check("GET / -> 200 with body", h_spawn),
        check("HTTP/1.1 keep-alive: 3 requests", h_spawn),
        check("HEAD -> Content-Length 13", h_spawn),
        check("400 for request line with nothing but garbage", h_spawn),
        check("daytime: one line", h_spawn + " (the child runs serve_connection for either protocol)"),
        own("a client stalled mid-request does not hold up the next", half_request_blocks_nobody,
            "look at accept_loop: the parent must hand the connection to a child and go back to accept() "
            "at once, not serve it itself"),
        check("concurrent clients all served", h_spawn),
        own("30 connections one by one: SIGCHLD arrives during accept(), the server goes on",
            sigchld_during_accept,
            "look at accept_loop and main: accept() interrupted by SIGCHLD fails with EINTR (unless the "
            "handler has SA_RESTART): retry it, never exit or treat it as fatal"),
        own("errno saved and restored by the SIGCHLD handler", errno_kept_by_handler,
            "look at your SIGCHLD handler: waitpid() sets errno (ECHILD when no child is left); save errno "
            "on entry and restore it before returning, or the main program sees a wrong errno"),
        check("no zombie after 500 connections", h_reap, quick=False),
        check("--max-conns 10 with 20 connections", "look at the cap in accept_loop: count live children "
              "(up in spawn, down in the SIGCHLD handler) and answer 503 (serve_reject) beyond --max-conns",
              quick=False),
        check("SIGTERM: exit 0 within 2 s, no child left", "look at stop_children: every child is sent "
              "SIGTERM, then SIGKILL, and all are reaped", quick=False),
        check("GET / -> 200 with body", "look at prefork_loop and spawn(): --workers N keeps N children "
              "accepting on the shared listener", variant=("--workers", "4"), quick=False),
    ]


# ---------------------------------------------------------------- thread

def pool_bounded(ctx):
    workers = int(ctx.variant[ctx.variant.index("--workers") + 1])
    s = ctx.start_default()
    time.sleep(0.2)
    crowd = ctx.crowd(40, s.port)
    crowd.connect()
    crowd.exchange(GET_KEEP, timeout=2)        # 4 answered and held; the rest wait in the backlog
    time.sleep(0.3)
    n = lib.proc_threads(s.pid)
    limit = workers + 2                        # the pool, the main thread, one spare
    expect(n is not None and n <= limit, "at most %d threads (a pool of %d, the main thread, one spare) with "
           "40 connections open" % (limit, workers), "%s threads" % n)
    t = crowd.tally()
    expect(t.get("200", 0) >= workers, "at least %d of 40 connections answered (one per pool thread)" % workers,
           tally_text(t))


def thread_checks():
    h_spawn = ("look at spawn_connection(): create a detached thread (pthread_create with the attr) that "
               "serves the connection; the fd travels in malloc'd memory the thread frees")
    h_pool = ("look at pool_worker(): each pool thread loops accept() -> serve_connection() until "
              "server_stop")
    return [
        check("GET / -> 200 with body", h_spawn),
        check("HTTP/1.1 keep-alive: 3 requests", h_spawn),
        check("400 for request line with nothing but garbage", h_spawn),
        own("a client stalled mid-request does not hold up the next", half_request_blocks_nobody,
            "look at the accept loop in main: hand each connection to a new thread and go back to accept()"),
        own("200 concurrent keep-alive connections each answered on its own connection", crowd_each_answered(200),
            "look at the argument you pass to pthread_create: the address of a variable on the accepting "
            "thread's stack is overwritten by the next accept before the new thread reads it; give each "
            "thread its own copy (malloc an int, the thread frees it)"),
        check("thread count back to baseline after 100", "look at the thread's attributes: a thread per "
              "connection must be detached (PTHREAD_CREATE_DETACHED) or joined, or its stack stays"),
        check("GET / -> 200 with body", h_pool, variant=("--workers", "4")),
        check("HTTP/1.1 keep-alive: 3 requests", h_pool, variant=("--workers", "4")),
        own("40 connections open: the pool's threads only", pool_bounded,
            "look at the pool: with --workers N exactly N threads serve; no thread may be created per "
            "connection (connections beyond N wait in the listen backlog)", variant=("--workers", "4")),
        check("--max-conns 10 with 20 connections", "look at spawn_connection(): count live connections "
              "and answer 503 (serve_reject) beyond --max-conns", quick=False),
        check("EMFILE under a 64-fd limit", "look at the accept loop: on EMFILE/ENFILE back off "
              "(net_accept_backoff) instead of retrying at once", quick=False),
    ]


# ---------------------------------------------------------------- epoll

def fds_past_1024(ctx):
    s = ctx.start_default()
    crowd = ctx.crowd(1100, s.port)
    crowd.connect(timeout=20)
    crowd.exchange(GET_KEEP, timeout=15)
    bad = [i for i, r in enumerate(crowd.results) if not (r and r[0] == "ok" and r[1] == 200)]
    late = [i for i in bad if i >= 1000]
    expect(not bad, "all 1100 keep-alive connections answered 200 (the server's fds pass 1024)",
           "%d not answered, %d of them among the last 100 (fd > 1024): %s" % (
               len(bad), len(late), tally_text(crowd.tally())))


def epoll_checks():
    h_loop = ("look at the event dispatch in reactor_run and at settle(): the listener's readiness accepts "
              "(conn_accept_batch), a connection's steps the state machine (conn_on_readable/writable), and "
              "settle() watches what it wants next")
    h_idle = ("look at the epoll_wait timeout and the expiry loop: wait no longer than the oldest "
              "connection's deadline (conn_next_wait_ms), then close what conn_expired returns")
    return [
        check("GET / -> 200 with body", h_loop),
        check("HTTP/1.1 keep-alive: 3 requests", h_loop),
        check("request sent byte by byte", h_loop + " (a partial head is read again at the next readiness)"),
        check("16 pipelined requests", h_loop),
        check("8 MiB to a slow reader", "look at settle(): a connection that wants to WRITE must be watched "
              "for EPOLLOUT, then back to EPOLLIN"),
        own("a client stalled mid-request does not hold up the next", half_request_blocks_nobody, h_loop),
        check("an idle keep-alive connection is closed after --idle-ms", h_idle),
        check("a half-sent head is closed after --idle-ms", h_idle),
        check("EMFILE under a 64-fd limit", "look at pause_accepting(): on EMFILE the listener stays readable "
              "(level-triggered), so take it out of the epoll set for CONN_PAUSE_MS, then put it back"),
        own("1100 keep-alive connections: fds past 1024 (FD_SETSIZE) served", fds_past_1024,
            "look for a fixed table of FD_SETSIZE (1024) slots or a check against FD_SETSIZE: epoll has no "
            "such limit, only the fd limit"),
        check("5000 concurrent keep-alive connections", "look at the limits: no fixed-size table, "
              "--max-conns is the only cap", quick=False),
        check("--max-conns 10 with 20 connections", "look at admit(): conn_accept_batch answers 503 beyond "
              "--max-conns; settle what it admits", quick=False),
    ]


# ---------------------------------------------------------------- iocp-emul

IOCP_UNIT_HINTS = [
    ("FIFO", "look at queue_push(): append at the tail; queue_pop() takes the oldest from p->head"),
    ("LIFO", "look at release_waiters() and iocp_get(): the newest waiter (top of p->waiters) gets the packet; "
             "'thread -1' means no waiter woke up: is it signalled (pthread_cond_signal) once released?"),
    ("shuts the pool down", "look at release_waiters(): every posted packet must wake a waiter "
                            "(pthread_cond_signal after released = 1)"),
    ("blocking", "look at iocp_block_begin(): a thread that blocks stops counting as running, and "
                 "release_waiters() may then wake a waiter"),
    ("concurrency", "look at release_waiters() and iocp_get()'s fast path: no packet goes out while "
                    "running >= concurrency"),
    ("", "look at release_waiters(): a released waiter must be signalled (a lost wakeup leaves it asleep "
         "with a packet); and at queue_push()"),
]


def iocp_checks():
    h = ("look at queue_push() and release_waiters(): a completion (an accept, a receive) is a packet "
         "queued and handed to a waiting worker")
    return [
        check("GET / -> 200 with body", h, variant=("--backend", "epoll")),
        check("HTTP/1.1 keep-alive: 3 requests", h, variant=("--backend", "epoll")),
        check("concurrent clients all served", h, variant=("--backend", "epoll")),
        check("GET / -> 200 with body", h, variant=("--backend", "io_uring")),
        check("1 MiB to a slow reader", h, variant=("--backend", "io_uring"), quick=False),
        check("SIGTERM: exit 0 within 2 s", "look at release_waiters(): shutdown posts one packet per worker; "
              "each must wake one", variant=("--backend", "epoll"), quick=False),
    ]


class Lab:
    def __init__(self, name, model, experiment, checks, unit=None):
        self.name = name
        self.model = model            # servers/<model>/, bin/<model>
        self.experiment = experiment  # lab-bench: harness/runner.py --experiments
        self.checks = checks          # a function: the table is built when the lab is used
        self.unit = unit              # a unit test built against the student's files

    def model_dir(self, root):
        return os.path.join(root, "servers", self.model)


LABS = [
    Lab("fork", "fork", "seda", fork_checks),
    Lab("thread", "thread", "seda", thread_checks),
    Lab("epoll", "epoll", "seda", epoll_checks),
    Lab("iocp-emul", "iocp-emul", "blocking", iocp_checks, unit="test_iocp"),
]


def find(name):
    for lab in LABS:
        if lab.name == name:
            return lab
    return None

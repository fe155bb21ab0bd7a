"""checks.py - the thread lab's checks (see labs/checks.py for what a check is)."""

import time

import lib
from lib import expect, tally_text
from checks import basics, GET_KEEP, Lab, check, crowd_each_answered, slow_client_blocks_nobody, own


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
               "serves the connection; the fd travels in the argument itself, (void *)(intptr_t)fd")
    h_pool = ("look at start_pool(): --workers N is the main thread and N - 1 threads running pool_thread, "
              "each the accept loop serving what it accepts itself")
    return [
        *basics(h_spawn),
        check("400 for request line with nothing but garbage", h_spawn),
        own("one client that never finishes its head does not stop a second client", slow_client_blocks_nobody,
            "look at spawn_connection(): hand each connection to a new thread and return at once; never "
            "serve it (connection_thread) on the accepting thread"),
        own("200 concurrent keep-alive connections each answered on its own connection", crowd_each_answered(200),
            "look at the argument you pass to pthread_create: the address of a variable on the accepting "
            "thread's stack is overwritten by the next accept before the new thread reads it; give each "
            "thread its own copy (the fd itself, cast to a pointer, or a malloc'ed int the thread frees)"),
        check("thread count back to baseline after 100", "look at the thread's attributes: a thread per "
              "connection must be detached (PTHREAD_CREATE_DETACHED) or joined, or its stack stays"),
        *basics(h_pool, ("--workers", "4")),
        own("40 connections open: the pool's threads only", pool_bounded,
            "look at the pool: with --workers N exactly N threads serve; no thread may be created per "
            "connection (connections beyond N wait in the listen backlog)", variant=("--workers", "4")),
        check("--max-conns 10 with 20 connections", "look at spawn_connection(): return 0 only when a thread "
              "serves the connection (the accept loop counts it in and answers 503 beyond --max-conns; the "
              "thread's blocking_serve counts it out)", quick=False),
        check("EMFILE under a 64-fd limit", "look at spawn_connection(): when no thread can be had, return -1 "
              "with the fd untouched (the accept loop answers 503 and closes it)", quick=False),
    ]


LAB = Lab("thread", "thread", "seda", thread_checks)

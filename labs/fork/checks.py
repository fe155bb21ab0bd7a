"""checks.py - the fork lab's checks (see labs/checks.py for what a check is)."""

import os
import time

import lib
from lib import CaseFail, expect
from checks import basics, Lab, check, slow_client_blocks_nobody, own


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
    h_spawn = ("look at spawn(): fork a child that runs fn(fd) and exits; the parent records the child's pid "
               "and returns at once (spawn_connection then closes the parent's copy of the fd)")
    h_reap = ("look at your SIGCHLD handler: signals do not queue, one SIGCHLD can stand for many exited "
              "children, so loop on waitpid(-1, NULL, WNOHANG) until it returns 0 or -1")
    return [
        *basics(h_spawn),
        check("HEAD -> Content-Length 13", h_spawn),
        check("400 for request line with nothing but garbage", h_spawn),
        check("daytime: one line", h_spawn + " (the child runs serve_connection for either protocol)"),
        own("one client that never finishes its head does not stop a second client", slow_client_blocks_nobody,
            "look at spawn(): the parent must hand the connection to a child and return to the accept loop "
            "at once, never serve it itself nor wait for the child (waitpid) there"),
        check("concurrent clients all served", h_spawn),
        own("30 connections one by one: SIGCHLD arrives during accept(), the server goes on",
            sigchld_during_accept,
            "look at your SIGCHLD handler and spawn(): a SIGCHLD interrupts the accept loop's wait (EINTR), "
            "which waits again; a handler that crashes, or a slot table that fills up, stops the server"),
        own("errno saved and restored by the SIGCHLD handler", errno_kept_by_handler,
            "look at your SIGCHLD handler: waitpid() sets errno (ECHILD when no child is left); save errno "
            "on entry and restore it before returning, or the main program sees a wrong errno"),
        check("no zombie after 500 connections", h_reap, quick=False),
        check("--max-conns 10 with 20 connections", "look at your SIGCHLD handler: the accept loop counts "
              "each connection in and answers 503 beyond --max-conns; the handler must count each reaped "
              "child out (blocking_conn_done)", quick=False),
        check("SIGTERM: exit 0 within 2 s, no child left", "look at spawn() and stop_children: every child's "
              "pid must be in the table, so that those left after the drain are sent SIGTERM and reaped",
              quick=False),
        check("GET / -> 200 with body", "look at prefork_loop and spawn(): --workers N keeps N children "
              "running the accept loop on the shared listener", variant=("--workers", "4"), quick=False),
    ]


LAB = Lab("fork", "fork", "seda", fork_checks)

"""robustness.py - what a server must survive: many clients, rude clients, slow clients,
signals, bad flags, fd exhaustion and the models' own ceilings.

Cases with server="plain"/"root" run against the model's shared server (the runner
then checks it still serves); the others start their own server with the flags they
need, and the runner stops it (SIGTERM, then SIGKILL) when the case ends.
Connection counts are scaled down under ThreadSanitizer (ctx.count).
"""

import os
import signal
import time

import lib
from lib import Case, CaseFail, CaseSkip, expect, request_bytes, short, tally_text

HELLO = b"Hello, World!"
GET_CLOSE = request_bytes("GET", "/", headers=["Connection: close"])
GET_KEEP = request_bytes("GET", "/")

NO_WORKERS_KNOB = ("iterative", "select", "pth")
BIG_EVENT = ("epoll", "libevent", "iocp-emul", "uthread")
EMFILE_MODELS = ("epoll", "libevent", "select", "thread", "pth", "iocp-emul", "uthread")


def all_hello(crowd, what):
    t = crowd.tally()
    bad = [r for r in crowd.results if not (r and r[0] == "ok" and r[1] == 200 and r[2] == HELLO)]
    expect(not bad, "all %d %s served 200 Hello, World!" % (crowd.n, what), tally_text(t))


def serves_again(ctx, port, within=3.0):
    """A normal GET answers 200 within `within` s (retrying: a server may pause accepting)."""
    deadline = time.monotonic() + lib.scaled(within)
    last = None
    while time.monotonic() < deadline:
        try:
            c = lib.Conn(port, timeout=1.0)
            try:
                c.send(GET_CLOSE)
                r = c.read_response()
            finally:
                c.close()
            if r.status == 200:
                return
            last = "%d %s" % (r.status, r.reason)
        except CaseFail as e:
            last = str(e)
        time.sleep(0.1)
    raise CaseFail("expected the server to serve a normal GET again within %.0f s, got %s"
                   % (lib.scaled(within), last))


# ---------------------------------------------------------------- many clients

def concurrent_clients(ctx):
    n = 20 if ctx.base == "iterative" else ctx.count(200, 100)
    crowd = ctx.crowd(n)
    crowd.connect()
    crowd.exchange(GET_CLOSE, timeout=15, close_after=True)
    all_hello(crowd, "concurrent clients")


def many_keepalive(n_normal, n_tsan):
    def fn(ctx):
        n = ctx.count(n_normal, n_tsan)
        crowd = ctx.crowd(n)
        crowd.connect(timeout=30)
        crowd.exchange(GET_KEEP, timeout=30)
        all_hello(crowd, "keep-alive connections held open")
        still = crowd.open_count()
        expect(still == n, "all %d connections still open after their response" % n,
               "%d open, %d closed by the server" % (still, n - still))
    return fn


def ceiling_refused(n):
    """More connections than FD_SETSIZE allows: the ones beyond get 503 and are closed,
    the others are served, and the server goes on serving."""
    def fn(ctx):
        crowd = ctx.crowd(n)
        crowd.connect(timeout=30)
        crowd.pending(wait=0.5)          # 503s sent at accept time
        crowd.exchange(GET_KEEP, timeout=30)
        t = crowd.tally()
        n503 = t.get("503", 0)
        n200 = t.get("200", 0)
        expect(n503 >= 1, "some of %d connections answered 503 (fd >= FD_SETSIZE)" % n, tally_text(t))
        expect(n200 + n503 == n, "every connection answered 200 or 503", tally_text(t))
        expect(n200 >= 900, "at least 900 connections served 200 below the ceiling", tally_text(t))
        crowd.close()
        serves_again(ctx, ctx.port)
    return fn


# ---------------------------------------------------------------- rude and slow clients

def reset_mid_request(ctx):
    for i in range(20):
        c = ctx.conn()
        c.send(b"GET / HTTP/1.1\r\nHost: local")
        if i % 2:
            time.sleep(0.01)              # half of them after the server has read the part
        c.close(linger0=True)
    serves_again(ctx, ctx.port)


def reset_mid_response(ctx):
    for i in range(5):
        c = ctx.conn(rcvbuf=4096)
        c.send(request_bytes("GET", "/1m.bin"))
        c.sock.settimeout(lib.scaled(5))
        got = c.sock.recv(1000)
        expect(got.startswith(b"HTTP/1."), "the start of a response", short(got))
        c.close(linger0=True)
    serves_again(ctx, ctx.port)


def idle_head(ctx):
    s = ctx.start_default("--idle-ms", "300")
    c = ctx.conn(s.port)
    c.send(b"GET / HTTP/1.1\r\nHost: loc")
    t0 = time.monotonic()
    try:
        c.read_until_eof()                # a 408 may come first; then the close
    except CaseFail:
        raise CaseFail("expected the connection closed about 300 ms after the partial head (--idle-ms 300), "
                       "got it still open after %.1f s" % (time.monotonic() - t0))
    dt = time.monotonic() - t0
    expect(0.2 <= dt <= lib.scaled(1.0), "the half-sent head closed after ~300 ms (--idle-ms 300), within 1 s",
           "closed after %.0f ms" % (dt * 1000))
    serves_again(ctx, s.port)


def idle_keepalive(ctx):
    s = ctx.start_default("--idle-ms", "300")
    c = ctx.conn(s.port)
    c.send(GET_KEEP)
    r = c.read_response()
    expect(r.status == 200, "200", r.status)
    t0 = time.monotonic()
    try:
        rest = c.read_until_eof()
    except CaseFail:
        raise CaseFail("expected the idle keep-alive connection closed about 300 ms after the response "
                       "(--idle-ms 300), got it still open after %.1f s" % (time.monotonic() - t0))
    dt = time.monotonic() - t0
    expect(rest == b"", "nothing more on the idle connection", short(rest))
    expect(0.2 <= dt <= lib.scaled(1.0), "the idle keep-alive connection closed after ~300 ms, within 1 s",
           "closed after %.0f ms" % (dt * 1000))
    serves_again(ctx, s.port)


# ---------------------------------------------------------------- processes and threads

def no_zombies(ctx):
    s = ctx.start_default()
    n = ctx.count(500, 200)
    served = 0
    for start in range(0, n, 50):
        crowd = ctx.crowd(min(50, n - start), s.port)
        crowd.connect()
        crowd.exchange(GET_CLOSE, timeout=15, close_after=True)
        served += crowd.tally().get("200", 0)
        crowd.close()
    expect(served == n, "all %d connections served" % n, "%d served" % served)
    deadline = time.monotonic() + lib.scaled(2)
    while True:
        z = lib.proc_zombies(s.pid)
        if not z or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    expect(not z, "no zombie child of the server after %d connections closed" % n,
           "%d zombies (pids %s)" % (len(z), " ".join(map(str, z[:10]))))


def thread_baseline(ctx):
    s = ctx.start_default()
    serves_again(ctx, s.port)
    time.sleep(0.2)
    base = lib.proc_threads(s.pid)
    crowd = ctx.crowd(100, s.port)
    crowd.connect()
    crowd.exchange(GET_KEEP, timeout=15)
    all_hello(crowd, "keep-alive connections")
    peak = lib.proc_threads(s.pid)
    expect(peak is not None and peak >= base + 100, "a thread per held connection: at least %d threads "
           "with 100 connections open (baseline %d)" % (base + 100, base), peak)
    crowd.close()
    deadline = time.monotonic() + lib.scaled(3)
    now = peak
    while time.monotonic() < deadline:
        now = lib.proc_threads(s.pid)
        if now is not None and now <= base:
            break
        time.sleep(0.05)
    expect(now is not None and now <= base,
           "Threads back to the baseline %d within %.0f s of 100 connections closing" % (base, lib.scaled(3)),
           "%s (peak %s)" % (now, peak))


def stop_on(sig):
    def fn(ctx):
        s = ctx.start_default()
        s.expect_exit = True
        # A served keep-alive connection, and one stuck in the middle of a head.
        a = ctx.conn(s.port)
        a.send(GET_KEEP)
        a.read_response()
        b = ctx.conn(s.port)
        b.send(b"GET / HTTP/1.1\r\nHo")
        time.sleep(0.1)
        before = s.session_pids()
        t0 = time.monotonic()
        os.kill(s.pid, sig)
        limit = lib.scaled(2.0)
        rc = s.wait(limit)
        dt = time.monotonic() - t0
        if rc is None:
            raise CaseFail("expected exit 0 within %.0f s of %s, got still running" % (limit, sig.name))
        report = lib.sanitizer_report(s.stderr())
        expect(rc == 0, "exit 0 after %s" % sig.name, "%s after %.0f ms; %s"
               % (lib.describe_status(rc), dt * 1000,
                  "sanitizer:\n    " + report if report else "stderr: " + s.stderr_tail()))
        time.sleep(0.1)
        left = s.session_pids()
        expect(not left, "no process of the server left after it exited (it had %d children)" % len(before),
               "pids %s still there" % " ".join(map(str, left)))
        out = s.stdout()
        expect(out.count("\n") == 1, "only the ready line on stdout", short(out, 200))
    return fn


# ---------------------------------------------------------------- command line

def bad_flag(args, flag):
    """exit 2, exactly one line on stderr naming the flag, nothing on stdout, nothing listening."""
    def fn(ctx):
        argv = ["--quiet"] + ([] if "-p" in args else ["-p", "0"]) + list(args)
        s = ctx.start(argv, ready=False)
        s.expect_exit = True
        rc = s.wait(lib.scaled(3))
        out = s.stdout()
        if rc is None:
            raise CaseFail("expected exit 2 for %s, got the server still running%s"
                           % (" ".join(args), " and listening (%s)" % out.strip() if out else ""))
        err = [l for l in s.stderr().splitlines() if l.strip()]
        expect(rc == 2, "exit 2 for %s" % " ".join(args), "%s; stderr: %s"
               % (lib.describe_status(rc), " | ".join(err[:3]) or "(empty)"))
        expect(out == "", "nothing on stdout for %s" % " ".join(args), short(out))
        expect(len(err) == 1, "exactly one line on stderr for %s" % " ".join(args),
               "%d lines: %s" % (len(err), " | ".join(err[:4]) or "(none)"))
        expect(flag in err[0], "the stderr line to name %s" % flag, repr(err[0][:200]))
    return fn


def workers_accepted(ctx):
    s = ctx.start_default("--workers", "2")
    serves_again(ctx, s.port)


# ---------------------------------------------------------------- limits

def emfile(ctx):
    s = ctx.start_default(nofile=64)
    crowd = ctx.crowd(100, s.port)
    crowd.connect(timeout=10)
    time.sleep(0.5)
    expect(s.alive(), "the server alive with its fd table full", s.status())
    c0 = lib.proc_cpu_seconds(s.pid)
    t0 = time.monotonic()
    time.sleep(1.0)
    c1 = lib.proc_cpu_seconds(s.pid)
    dt = time.monotonic() - t0
    if c0 is None or c1 is None:
        raise CaseFail("expected the server alive with its fd table full, got it %s" % s.status())
    pct = 100.0 * (c1 - c0) / dt
    expect(pct < 5.0, "under 5%% CPU while 100 connections wait on a 64-fd limit (no accept spin)",
           "%.0f%% CPU over %.1f s" % (pct, dt))
    crowd.close()
    time.sleep(0.2)
    serves_again(ctx, s.port, within=3.0)


def max_conns(ctx):
    s = ctx.start_default("--max-conns", "10")
    crowd = ctx.crowd(20, s.port)
    crowd.connect()
    crowd.pending(wait=0.5)
    crowd.exchange(GET_KEEP, timeout=5)
    t = crowd.tally()
    expect(t.get("503", 0) >= 1, "some of 20 connections answered 503 with --max-conns 10", tally_text(t))
    expect(t.get("200", 0) + t.get("503", 0) == 20, "each of 20 connections answered 200 or 503", tally_text(t))
    expect(t.get("200", 0) <= 10, "no more than 10 served at once with --max-conns 10", tally_text(t))
    crowd.close()
    serves_again(ctx, s.port)


# ---------------------------------------------------------------- the table

def _not_iterative(model):
    return model != "iterative"


CASES = [
    Case("concurrent clients all served (200; 100 under TSan; iterative 20)", concurrent_clients, server="plain"),
    Case("a client that resets mid-request (SO_LINGER 0)", reset_mid_request, server="plain"),
    Case("a client that resets mid-response (1 MiB file)", reset_mid_response, server="root"),
    Case("a half-sent head is closed after --idle-ms", idle_head),
    Case("an idle keep-alive connection is closed after --idle-ms", idle_keepalive, exclude=("iterative",)),
    Case("no zombie after 500 connections (200 under TSan)", no_zombies, models=("fork",)),
    Case("thread count back to baseline after 100 connections close", thread_baseline, models=("thread",)),
    Case("SIGTERM: exit 0 within 2 s, no child left", stop_on(signal.SIGTERM)),
    Case("SIGINT: exit 0 within 2 s, no child left", stop_on(signal.SIGINT)),
    Case("bad flag --bogus: exit 2, one line", bad_flag(["--bogus"], "--bogus")),
    Case("bad flag -p notanumber: exit 2, one line", bad_flag(["-p", "notanumber"], "-p")),
    Case("bad flag -p 70000: exit 2, one line", bad_flag(["-p", "70000"], "-p")),
    Case("bad flag --workers 0: exit 2, one line", bad_flag(["--workers", "0"], "--workers")),
    Case("bad flag --proto ftp: exit 2, one line", bad_flag(["--proto", "ftp"], "--proto")),
    Case("bad flag --proto 'a<newline>b': exit 2, still one line (fuzz_options finding)",
         bad_flag(["--proto", "a\nb"], "--proto")),
    Case("bad flag --root /nonexistent: exit 2, one line", bad_flag(["--root", "/nonexistent"], "--root")),
    Case("--workers 2 rejected (no workers knob): exit 2, one line",
         bad_flag(["--workers", "2"], "--workers"), models=NO_WORKERS_KNOB),
    Case("--workers 2 accepted and serving", workers_accepted, exclude=NO_WORKERS_KNOB),
    Case("5000 concurrent keep-alive connections held and served (1000 under TSan)", many_keepalive(5000, 1000),
         models=BIG_EVENT, server="plain"),
    Case("1030 connections: fd >= FD_SETSIZE answered 503, server keeps serving", ceiling_refused(1030),
         models=("select",), server="plain"),
    Case("900 concurrent keep-alive connections held and served", many_keepalive(900, 900),
         models=("pth",), server="plain"),
    Case("1030 connections: the 1024 ceiling refused with 503, server keeps serving", ceiling_refused(1030),
         models=("pth",), server="plain"),
    Case("EMFILE under a 64-fd limit: no spin (< 5% CPU), serves again after", emfile, models=EMFILE_MODELS),
    Case("--max-conns 10 with 20 connections: some 503, serves after", max_conns, exclude=("iterative",)),
]

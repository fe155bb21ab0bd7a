"""robustness.py - what a server must survive: many clients, rude clients, slow clients,
signals, bad flags, fd exhaustion, the models' own ceilings, and resources running out
(tasks in a pids cgroup, address space under RLIMIT_AS, a full listen queue), each of
those ending with the server serving and back near its baseline descriptors and RSS.

Cases with server="plain"/"root" run against the model's shared server (the runner
then checks it still serves); the others start their own server with the flags they
need, and the runner stops it (SIGTERM, then SIGKILL) when the case ends.
Connection counts are scaled down under ThreadSanitizer (ctx.count).
"""

import os
import shutil
import signal
import tempfile
import threading
import time

import lib
import limits
from lib import Case, CaseFail, CaseSkip, expect, request_bytes, short, tally_text

HELLO = b"Hello, World!"
GET_CLOSE = request_bytes("GET", "/", headers=["Connection: close"])
GET_KEEP = request_bytes("GET", "/")

NO_WORKERS_KNOB = ("iterative", "select", "pth", "st")
BIG_EVENT = ("epoll", "libevent", "iocp-emul", "st", "uthread", "uring")
EMFILE_MODELS = ("epoll", "libevent", "select", "thread", "pth", "iocp-emul", "st", "uthread", "uring")


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


# ---------------------------------------------------------------- slow clients (issue 18's defences)

DEFENCE_IDLE_MS = 500


def closed_by_server(c, wait):
    """Wait up to `wait` s for the server to close c (EOF or reset; a 408 or other bytes may
    come first and are read); True when it did."""
    c.sock.settimeout(0.05)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if not c.sock.recv(65536):
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def head_deadline_total(ctx):
    """A head dripped a byte every 150 ms, each byte well inside --idle-ms 500: the deadline runs
    from the connection's first byte, so the server closes it about 500 ms in, not never."""
    s = ctx.start_default("--idle-ms", str(DEFENCE_IDLE_MS))
    c = ctx.conn(s.port)
    head = b"GET /" + b"a" * 4000
    t0 = time.monotonic()
    limit = lib.scaled(2.5)
    for i in range(len(head)):
        try:
            c.sock.sendall(head[i:i + 1])
        except OSError:
            break
        if closed_by_server(c, 0.15):
            break
        if time.monotonic() - t0 > limit:
            raise CaseFail("expected the dripped head closed about %d ms after its first byte (--idle-ms %d: a "
                           "total deadline, not one per read), got it still open after %.1f s (%d bytes sent)"
                           % (DEFENCE_IDLE_MS, DEFENCE_IDLE_MS, time.monotonic() - t0, i + 1))
    dt = time.monotonic() - t0
    expect(dt <= lib.scaled(1.5), "the dripped head closed within 1.5 s of its first byte (--idle-ms %d)"
           % DEFENCE_IDLE_MS, "closed after %.0f ms" % (dt * 1000))
    serves_again(ctx, s.port)


STALL_FILE_BYTES = 16 << 20      # four times what the socket buffers hold (tcp_wmem's max is 4 MiB); small
                                 # enough to be read within --idle-ms 500 under a sanitizer on a busy machine


def stalled_reader_dropped(ctx):
    """A client that asks for a 16 MiB file through a 4 KB receive buffer and stops reading: the
    server's sends stop progressing, and it drops the connection after --idle-ms 500.  What the
    socket buffers held still arrives when the client drains, then the connection ends, short of
    16 MiB; a server that kept it sends the whole file."""
    root = tempfile.mkdtemp(prefix="stall-")
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.truncate(STALL_FILE_BYTES)                              # sparse: zeros, nothing written
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("ok\n")                                           # what serves_again fetches
    try:
        stalled_reader_run(ctx, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def stalled_reader_run(ctx, root):
    s = ctx.start_default("--idle-ms", str(DEFENCE_IDLE_MS), "--root", root)
    c = ctx.conn(s.port, rcvbuf=4096)
    c.send(request_bytes("GET", "/big.bin"))
    c.sock.settimeout(lib.scaled(5))
    first = c.sock.recv(1000)
    expect(first.startswith(b"HTTP/1.1 200"), "the start of a 200 response", short(first))
    # Stop reading, well past --idle-ms.  Not just past it: "no progress" starts when the server's
    # send buffer stops growing, which goes on after the client stops (Linux grows it up to
    # tcp_wmem's max), and a blocking writev with SO_SNDTIMEO returns a partial write up to
    # --idle-ms later: fork dropped the client about 1.5 s (3 x --idle-ms) after it stopped.
    time.sleep(lib.scaled(6 * DEFENCE_IDLE_MS / 1000.0))
    serves_again(ctx, s.port)                                  # others are served meanwhile
    got, t0 = len(first), time.monotonic()
    c.sock.settimeout(1.0)
    try:
        while got < STALL_FILE_BYTES and time.monotonic() - t0 < lib.scaled(10):
            data = c.sock.recv(1 << 20)
            if not data:
                break
            got += len(data)
    except OSError:
        pass
    expect(got < STALL_FILE_BYTES, "the stalled reader dropped after --idle-ms %d (its response cut short)"
           % DEFENCE_IDLE_MS, "all %d bytes still came: the server kept the connection" % got)


IDLE_MANY = 10000
# Which models hold 10,000 idle connections and still serve others: the event loops and M:1
# runtimes (a few KiB each), and thread (a thread each, stacks mostly untouched).  Not run:
# select and pth (their ceiling is 1000 descriptors: test "1030 connections" above), iterative
# (one connection at a time: every idle one holds it --idle-ms, by design), fork (a process per
# connection: 10,000 processes), and the bounded pools (fork/thread --workers N serve N
# connections; idle ones beyond N wait in the listen queue and keep normal clients waiting too,
# which the slowclients experiment measures).
IDLE_MANY_MODELS = ("thread",) + BIG_EVENT
# One model at a time (run_tests -j runs models in threads of this process): 10,000 sockets
# each would take two models past the suite's descriptor limit (20,000 here).
IDLE_MANY_LOCK = threading.Lock()


def idle_many(ctx):
    with IDLE_MANY_LOCK:
        idle_many_one(ctx)


def idle_many_one(ctx):
    """10,000 connections that send nothing: normal clients are still served; the RSS growth per
    idle connection is reported (not asserted); once they close, fds, threads and processes are
    back at the baseline, and RSS is back near it, or, where the model keeps what it allocated
    (a free list of stacks, an untrimmed heap), a second round of 10,000 does not grow it: kept
    for reuse (reported), not leaked."""
    n = ctx.count(IDLE_MANY, 1000)
    s, base = exhaustion_server(ctx, "--max-conns", str(n + 200), "--idle-ms", "60000")
    idle_round(ctx, s, base, n)
    allow = limits.rss_allowance_kb(base, RSS_KEPT_KB.get(ctx.base, 0), ctx.sanitized)
    kept = threads_kept(ctx)
    ok, after = limits.settle(s.pid, base, allow, lib.scaled(3), threads_kept=kept)
    if ok:
        return
    ok, _ = limits.settle(s.pid, base, 1 << 30, lib.scaled(1), threads_kept=kept)
    expect(ok, "within 3 s of %d idle connections closed: <= %d fds, <= %d threads, <= %d processes (the "
           "baseline: %s)" % (n, base.fds + limits.FD_MARGIN, base.threads + kept, base.procs, base.text()),
           after.text())
    idle_round(ctx, s, base, n)
    regrow = regrowth_allowance_kb(ctx, n)
    ok, again = limits.settle(s.pid, after, regrow, lib.scaled(3), threads_kept=kept)
    ctx.note("RSS after %d idle connections closed: %d KiB, not back near the baseline %d KiB; after a second "
             "round: %d KiB" % (n, after.rss_kb, base.rss_kb, again.rss_kb))
    expect(ok, "RSS kept after the first %d idle connections (%d KiB above the baseline) not grown by a second "
           "round by more than %d KiB (kept for reuse, not leaked)" % (n, after.rss_kb - base.rss_kb, regrow),
           again.text())


# What ASan keeps of each exited thread (its shadow of the thread's stack, its thread state): the
# thread model's second round of 10,000 idle connections grew RSS by 232 MiB under ASan (~23 KiB a
# thread), by nothing in the plain build.
SANITIZER_KB_PER_THREAD = 32


def regrowth_allowance_kb(ctx, n):
    """How far a second round of n idle connections may grow the RSS the first one left: 16 MiB.
    Under a sanitizer also its 64 MiB as in limits.rss_allowance_kb: ASan's quarantine (16 MiB
    here) holds the first round's freed connections, so the second allocates anew (epoll, libevent:
    +17 MiB; st: +48 MiB), and, for a thread per connection, what it keeps of every exited thread.
    LeakSanitizer at the server's exit, and the fd and thread counts, still catch a leak there."""
    if not ctx.sanitized:
        return limits.RSS_MARGIN_KB
    per_thread = SANITIZER_KB_PER_THREAD * n if ctx.base == "thread" else 0
    return limits.RSS_MARGIN_KB + limits.SANITIZER_RSS_KB + per_thread


def idle_round(ctx, s, base, n):
    """n idle connections held, 20 normal GETs served beside them, then the idle ones closed."""
    crowd = ctx.crowd(n, s.port)
    t0 = time.monotonic()
    opened = crowd.connect(timeout=60)
    expect(opened == n, "%d idle connections opened" % n, "%d opened: %s" % (opened, tally_text(crowd.tally())))
    deadline = time.monotonic() + lib.scaled(30)
    held = limits.footprint(s.pid)
    while held.fds is not None and held.fds < base.fds + n and time.monotonic() < deadline:
        time.sleep(0.1)
        held = limits.footprint(s.pid)
    expect(held.fds is not None and held.fds >= base.fds + n, "the server to accept all %d (its fds >= %d + %d)"
           % (n, base.fds, n), held.text())
    ctx.note("%d idle connections held after %.1f s: %s; RSS growth per idle connection %.2f KiB (baseline %s)"
             % (n, time.monotonic() - t0, held.text(), (held.rss_kb - base.rss_kb) / n, base.text()))
    for i in range(20):
        r = ctx.get(port=s.port)
        expect(r.status == 200 and r.body == HELLO, "normal GET %d of 20 served 200 beside %d idle connections"
               % (i + 1, n), "%d %s" % (r.status, short(r.body)))
    crowd.close()
# ---------------------------------------------------------------- iocp-emul's hassles (issue 19)

def exit_figures(s):
    """key=value figures of the server's exit line ('stopped; ...'), after a clean stop."""
    rc = s.stop()
    expect(rc == 0, "exit 0 on SIGTERM", lib.describe_status(rc))
    lines = [l for l in s.stderr().splitlines() if "stopped;" in l]
    expect(lines, "an exit line with 'stopped;'", s.stderr_tail())
    return {k: int(v) for k, v in (w.split("=") for w in lines[-1].split() if "=" in w)}


def past_buffer_budget(ctx):
    """WSAENOBUFS: 20 keep-alive clients, 4 receives of 4 KiB each wanted, a budget of
    two connections' worth: receives are refused, the server falls back to zero-byte
    reads and answers everyone, never hangs."""
    s = ctx.start_default("--pending-reads", "4", "--buffer-budget", "32768")
    conns = [ctx.conn(s.port) for _ in range(20)]
    for rnd in range(3):
        for c in conns:
            c.send(GET_KEEP)
        for i, c in enumerate(conns):
            r = c.read_response(what="round %d, client %d of 20 past the budget" % (rnd + 1, i + 1))
            expect(r.status == 200, "200 past the buffer budget", r.status)
    f = exit_figures(s)
    expect(f.get("nobufs", 0) > 0 and f.get("zero_byte_fallbacks", 0) > 0,
           "receives refused (nobufs > 0) and zero-byte fallbacks > 0", f)
    expect(f.get("posted_buffer_peak_bytes", 1 << 30) <= 32768, "at most 32768 bytes posted", f)


def reordering_shown(ctx):
    """Package reordering made to happen (hassle 2): 8 receives posted, 8 workers, each
    waiting a random 0-200 us before it takes its completion (--jitter-us), pipelined
    requests sent a byte at a time. The answers must come whole and in order, and the
    exit line must count receives handled ahead of their turn: else this never tested
    the reorder stage (on_receive()'s sorting), only a server that was never reordered."""
    s = ctx.start_default("--pending-reads", "8", "--workers", "8", "--jitter-us", "200")
    c = ctx.conn(s.port)
    for rnd in range(10):
        c.send_slowly(GET_KEEP * 3, chunk=1, delay=0)
        for i in range(3):
            r = c.read_response(what="response %d of 3 pipelined, round %d" % (i + 1, rnd + 1))
            expect(r.status == 200 and r.body == HELLO, "200 %r for pipelined request %d" % (HELLO, i + 1),
                   (r.status, r.body[:40]))
    f = exit_figures(s)
    expect(f.get("early_receives", 0) > 0, "receives handled ahead of their turn (early_receives > 0)", f)
    ctx.log("exit line: %s" % f)


def resets_with_reads_pending(ctx):
    """The access violation: clients reset while 4 receives are pending on their
    connection, with 4 workers, thousands of times; every context must outlive its
    last completion (ASan: no use-after-free) and be freed (no leak at exit)."""
    s = ctx.start_default("--pending-reads", "4", "--workers", "4")
    n = ctx.count(3000, 300)
    for i in range(n):
        c = ctx.conn(s.port)
        if i % 3 == 0:
            c.send(GET_KEEP)
        elif i % 3 == 1:
            c.send(b"GET / HT")
        c.close(linger0=True)
        ctx._conns.remove(c)
    serves_again(ctx, s.port)
    f = exit_figures(s)
    expect("posted_buffer_peak_bytes" in f, "the exit line's figures", f)


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


def pool_stops_at_once(ctx):
    """A pool of 64 (pre-forked children or threads) with no connection: on SIGTERM every worker
    leaves its accept loop at once, so nothing is left to drain or to kill.  Before the fix the
    pre-forked children saw the stop eventfd but not the flag (the signal set it in the parent
    only), spun, and the parent drained 1 s and then killed them one by one: 1.1-3.6 s."""
    s = ctx.start_default("--workers", "64")
    s.expect_exit = True
    serves_again(ctx, s.port)
    time.sleep(0.2)
    t0 = time.monotonic()
    os.kill(s.pid, signal.SIGTERM)
    rc = s.wait(lib.scaled(2.0))
    dt = time.monotonic() - t0
    expect(rc == 0, "exit 0 after SIGTERM", "%s after %.0f ms" % (lib.describe_status(rc) if rc is not None
                                                                   else "still running", dt * 1000))
    limit = lib.scaled(0.5)
    expect(dt <= limit, "an idle pool of 64 gone within %.1f s of SIGTERM (nothing to drain)" % limit,
           "%.0f ms" % (dt * 1000))


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


def pipelined_files(ctx):
    """240 connections under a 300-fd limit (the default --max-conns keeps 32 for listeners and
    files), each pipelining 8 GETs of an 8 KiB --root file, 3 rounds: every response 200 with the
    file. A completion driver whose send is in flight while the next request's file is open holds a
    file per connection beside its socket: uring and iocp-emul answered 560,000-840,000 500s in 2 s
    of loadgen this way (epoll 0), until the core answered a --root request only once the output
    before it had gone."""
    s = ctx.start_default("--root", ctx.fixture.root, nofile=300)
    body = ctx.fixture.files["/8k.bin"]
    crowd = ctx.crowd(240, s.port)
    crowd.connect(timeout=10)
    req = request_bytes("GET", "/8k.bin") * 8
    tally = {}
    for rnd in range(1, 4):
        for got in crowd.exchange_pipelined(req, 8, timeout=20):
            for k, r in enumerate(got):
                key = ("200" if r[2] == body else "200 with a wrong body") if r[0] == "ok" and r[1] == 200 \
                    else str(r[1]) if r[0] == "ok" else "round %d, response %d: %s" % (rnd, k + 1, r[1][:60])
                tally[key] = tally.get(key, 0) + 1
    total = 240 * 8 * 3
    if ctx.base == "thread":
        # A kernel thread per connection: 240 threads may each hold a file between open and close
        # (preempted, or waiting on a malloc arena's lock), past the spare descriptors. A file open
        # then waits for one (http_files_shared) and after ~0.6 s answers 500, as nginx does; an
        # accept that finds none drops a pending connection (net_accept: no spinning on EMFILE),
        # which this client sees as closed in round 1 and in the rounds after. Seen under ASan
        # without the wait: 2,910 500s of 5,760; with it, 2-3 connections dropped in 1 run of 12.
        # A dropped connection is one error a round (exchange_pipelined stops at the first): it
        # lost 8 responses in each of the 3.
        dropped = tally.get("round 1, response 1: closed without a response", 0)
        allowed = {"200", "500", "round 1, response 1: closed without a response"}
        later = {"round %d, response 1: closed before the requests" % r: dropped for r in (2, 3) if dropped}
        ok = tally.get("200", 0)
        expect(all(k in allowed or later.get(k) == v for k, v in tally.items()) and
               ok + tally.get("500", 0) + 24 * dropped == total and total - ok <= total // 10,
               "all %d responses 200 with the file, or (at most a tenth) 500 or dropped at accept" % total,
               tally_text(tally) + "; server's stderr: " + short(s.stderr(), 300))
    else:
        expect(tally.get("200", 0) == total, "all %d responses 200 with the file" % total,
               tally_text(tally) + "; server's stderr: " + short(s.stderr(), 300))
    crowd.close()
    serves_again(ctx, s.port)


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


# ---------------------------------------------------------------- resources running out

# What a model does when a resource runs out. A model not listed (a new one) is held to
# what every model is: each connection answered 200 or 503, or closed, none left waiting;
# the server alive; serving again; back near its baseline.
#   tasks   "refuses": a new thread or process per connection: with room for TASK_ROOM more
#                      tasks, at most TASK_ROOM held connections are served, some refused
#           "serves":  no task per connection: every connection served with no room at all
#   memory  "refuses": 200 connections need more than RLIMIT_AS leaves: some refused
#           "serves":  what 200 connections need is there already: fork's children copy
#                      the parent (copy-on-write); iocp-emul's objects are made at start and
#                      its 8 KiB buffers come from the worker threads' malloc arenas, whose
#                      64 MiB each glibc reserved at their first malloc, made at each worker's
#                      start (main.c; inside the size the limit starts from); iterative holds
#                      one connection at a time
EXHAUSTION = {
    "iterative": {"tasks": "serves", "memory": "serves"},
    "fork": {"tasks": "refuses", "memory": "serves"},
    "thread": {"tasks": "refuses", "memory": "refuses"},
    "select": {"tasks": "serves", "memory": "refuses"},
    "epoll": {"tasks": "serves", "memory": "refuses"},
    "libevent": {"tasks": "serves", "memory": "refuses"},
    "iocp-emul": {"tasks": "serves", "memory": "serves"},
    "pth": {"tasks": "serves", "memory": "refuses"},
    "st": {"tasks": "serves"},
    "uthread": {"tasks": "serves"},          # a blocking call runs inline when no pool thread can start
    "uring": {"tasks": "serves"},
}
# Memory a model keeps by design once connections end, beyond limits.rss_allowance_kb().
RSS_KEPT_KB = {
    "iocp-emul": 10000 * 8,       # an 8 KiB input buffer per connection object, kept after first use
}
# Threads a model keeps by design once started, beyond its baseline.
THREADS_KEPT = {
    "uthread": 64,                # its offload pool (UTHREAD_POOL_MAX), started on demand by --block-us
}
TASK_ROOM = 4
AS_HEADROOM_KB = 1024             # RLIMIT_AS = the server's size now + this (its stack may still grow)


def threads_kept(ctx):
    """Threads the server may keep beyond its baseline: the model's own (THREADS_KEPT), plus,
    under TSan, the runtime's background thread, started at the process's first pthread_create
    (seen: bin/tsan/thread has 1 thread at start and 2 after one connection's thread has exited),
    so a baseline taken before any thread was made lacks it."""
    return THREADS_KEPT.get(ctx.base, 0) + ("thread" in lib.SANITIZE)


def expected(ctx, resource):
    return EXHAUSTION.get(ctx.base, {}).get(resource, "either")


def exhaustion_server(ctx, *extra, warm=20):
    """A server of the case, warmed up by `warm` requests, and its baseline footprint (once the
    warm-up's threads, processes and sockets are gone: under TSan iocp-emul still held the last
    warm-up connection's socket now and then, and a baseline of 8 fds for 7 made "all 1000 idle
    connections accepted (fds >= 8 + 1000)" wait out its 120 s). Under ASan its quarantine of
    freed memory is kept to 16 MiB, so that RSS back near the baseline means something."""
    env = None
    if "address" in lib.SANITIZE:
        opts = os.environ.get("ASAN_OPTIONS", "")
        env = dict(os.environ, ASAN_OPTIONS=(opts + ":" if opts else "") + "quarantine_size_mb=16")
    s = ctx.start_default(*extra, env=env)
    start = limits.footprint(s.pid)
    for _ in range(warm):
        r = ctx.get(port=s.port)
        expect(r.status == 200, "200 for a warm-up GET", r.status)
    deadline = time.monotonic() + lib.scaled(3)
    while True:
        base = limits.footprint(s.pid)
        if (base.threads <= start.threads and base.procs <= start.procs and base.fds is not None
                and start.fds is not None and base.fds <= start.fds) or time.monotonic() > deadline:
            return s, base
        time.sleep(0.05)


def back_near_baseline(ctx, s, base, after, rss=True):
    """fds, threads and processes back at the baseline within 3 s, and RSS near it (rss=False:
    not checked, only reported)."""
    allow = limits.rss_allowance_kb(base, RSS_KEPT_KB.get(ctx.base, 0), ctx.sanitized)
    within = lib.scaled(3)
    kept = threads_kept(ctx)
    ok, now = limits.settle(s.pid, base, allow if rss else 1 << 30, within, threads_kept=kept)
    ctx.log("baseline %s; after %s: %s" % (base.text(), after, now.text()))
    rss_text = "<= %d KiB RSS (baseline + %d KiB), " % (base.rss_kb + allow, allow) if rss else ""
    expect(ok, "within %.0f s of %s: <= %d fds (baseline + %d), %s<= %d threads and <= %d processes "
           "(the baseline: %s)" % (within, after, base.fds + limits.FD_MARGIN, limits.FD_MARGIN, rss_text,
                                  base.threads + kept, base.procs, base.text()), now.text())
    if not rss:
        ctx.note("RSS after %s: %d KiB (baseline %d KiB; not checked)" % (after, now.rss_kb, base.rss_kb))


def survived(ctx, s, crowd, what, refusals=("503",)):
    """Every connection answered 200 or one of `refusals`, or closed, none left waiting, the
    server alive. Returns (served, refused)."""
    t = crowd.tally()
    served = t.get("200", 0)
    refused = sum(t.get(code, 0) for code in refusals) + sum(v for k, v in t.items()
                                                              if k.startswith("error: closed"))
    ctx.log("%d %s: %s" % (crowd.n, what, tally_text(t)))
    expect(served + refused == crowd.n, "each of %d %s answered 200 or %s, or closed; none left waiting"
           % (crowd.n, what, " or ".join(refusals)), tally_text(t))
    expect(s.alive(), "the server alive after %d %s" % (crowd.n, what), "%s; stderr: %s"
           % (s.status(), s.stderr_tail()))
    return served, refused


def hold_crowd(ctx, s, n):
    """n connections, each sending one GET (held open after it; iterative: Connection: close)."""
    crowd = ctx.crowd(n, s.port)
    crowd.connect()
    one_at_a_time = ctx.base == "iterative"
    crowd.exchange(GET_CLOSE if one_at_a_time else GET_KEEP, timeout=10, close_after=one_at_a_time)
    return crowd


def served_after_lifting(ctx, s, n, what):
    crowd = hold_crowd(ctx, s, n)
    t = crowd.tally()
    expect(t.get("200", 0) == n, "all %d connections served 200 after %s" % (n, what), tally_text(t))
    crowd.close()


def big_get(ctx, port, path, size):
    """GET of a big file on a new connection: "200" (only with all `size` bytes), another
    status code, or "closed"; the body counted, not kept."""
    c = ctx.conn(port, timeout=10)
    c.send(request_bytes("GET", path, headers=["Connection: close"]))
    while b"\r\n\r\n" not in c.buf:
        if not c._fill(what="a response to GET %s" % path):
            return "closed"
    head, _, body = c.buf.partition(b"\r\n\r\n")
    status = head[9:12].decode("latin-1")
    got = len(body)
    while status == "200" and got < size:
        data = c.sock.recv(1 << 20)
        if not data:
            return "200 cut at %d bytes" % got
        got += len(data)
    c.close()
    return status


def under_limit(ctx, s, n, kind, what, most=None):
    """n held connections under a limit: each answered or closed, none waiting; with kind
    "refuses" some refused and 1 to `most` served, with "serves" all served. Then they close,
    and the server serves again with the limit still set (what they held is free again)."""
    crowd = hold_crowd(ctx, s, n)
    served, refused = survived(ctx, s, crowd, what)
    if kind == "refuses":
        most = most or n
        expect(1 <= served <= most and refused >= 1, "1 to %d of %d %s served, the others refused (503 or "
               "closed)" % (most, n, what), tally_text(crowd.tally()))
    elif kind == "serves":
        expect(served == n, "all %d %s served" % (n, what), tally_text(crowd.tally()))
    crowd.close()
    serves_again(ctx, s.port)


def tasks_exhausted(*extra):
    """With `extra` = --block-us N a request makes a blocking call, which some models hand
    to a thread they start on demand (uthread's offload pool): no warm-up then, so that the
    limit meets a model with no such thread yet."""
    def fn(ctx):
        why = limits.PidsLimit.unavailable()
        if why:
            raise CaseSkip(why)
        s, base = exhaustion_server(ctx, *extra, warm=0 if extra else 20)
        kind = expected(ctx, "tasks")
        room = 0 if kind == "serves" else TASK_ROOM
        n = 10 if ctx.base == "iterative" else 30
        with limits.pids_cgroup(s.pid) as cg:
            tasks = cg.current()
            cg.set_max(tasks + room)
            under_limit(ctx, s, n, kind, "held connections in a pids cgroup with room for %d new tasks "
                        "(pids.max %d)%s" % (room, tasks + room, "".join(" " + a for a in extra)), most=room)
        served_after_lifting(ctx, s, n, "the pids limit was lifted")
        back_near_baseline(ctx, s, base, "the pids limit being lifted and the connections closed")
    return fn


def memory_exhausted(ctx):
    if "address" in lib.SANITIZE or "thread" in lib.SANITIZE:
        raise CaseSkip("ASan and TSan reserve terabytes of address space at start: under RLIMIT_AS their heap "
                       "(inside that reserve) does not fail, and their own mmaps do, fatally (seen: ASan's "
                       "thread setup, exit 1): no test of the server here (SANITIZE=%s)" % lib.SANITIZE)
    s, base = exhaustion_server(ctx, "--root", ctx.fixture.root)
    n = 20 if ctx.base == "iterative" else 200
    with limits.address_space(s.pid, AS_HEADROOM_KB) as limit_kb:
        what = "under RLIMIT_AS %d KiB (its size + %d KiB)" % (limit_kb, AS_HEADROOM_KB)
        under_limit(ctx, s, n, expected(ctx, "memory"), "held connections " + what)
        # A body bigger than the headroom: 500 (it could not be read into memory) is fair too.
        got = [big_get(ctx, s.port, "/8m.bin", 8 << 20) for _ in range(3)]
        ctx.log("3 GETs of an 8 MiB file %s: %s" % (what, ", ".join(got)))
        expect(all(g in ("200", "500", "503", "closed") for g in got), "each of 3 GETs of an 8 MiB file %s "
               "answered 200 (all of it), 500 or 503, or closed" % what, ", ".join(got))
        expect(s.alive(), "the server alive after 3 GETs of an 8 MiB file " + what, s.status())
    served_after_lifting(ctx, s, n, "RLIMIT_AS was restored")
    back_near_baseline(ctx, s, base, "RLIMIT_AS being restored and the connections closed")


def listen_queue_burst(ctx):
    """20,000 connects on --backlog 1: the server lives, serves again, and is back near its
    baseline. Under TSan, RSS says nothing of the server: TSan keeps state of every fiber a
    user-level thread ran on (uthread: 3 MiB -> 8 MiB after one burst in the plain build; 14 MiB ->
    290 MiB under TSan, and a second burst added 80 MiB more). There fds, threads and processes are
    checked and RSS is reported; the plain and ASan runs check RSS."""
    s, base = exhaustion_server(ctx, "--backlog", "1")
    connected = listen_burst(ctx, s)
    back_near_baseline(ctx, s, base, "a burst of 20000 connects (%d completed) on --backlog 1" % connected,
                       rss="thread" not in lib.SANITIZE)


def listen_burst(ctx, s):
    """20,000 connects as fast as they go on the server's --backlog 1; returns how many completed."""
    n = 20000
    limit_s = lib.scaled(15)
    before = limits.listen_overflows()
    attempted, connected, failed = limits.connect_burst(s.port, n, limit_s)
    after = limits.listen_overflows()
    expect(attempted == n, "%d connects sent within %.0f s" % (n, limit_s), "%d" % attempted)
    expect(s.alive(), "the server alive after a burst of %d connects on --backlog 1" % n, "%s; stderr: %s"
           % (s.status(), s.stderr_tail()))
    if before is not None and after is not None:
        expect(after > before, "the burst to overflow the listen queue (TcpExt ListenOverflows to grow)",
               "%d before, %d after (%d of %d connects completed)" % (before, after, connected, n))
    serves_again(ctx, s.port, within=5.0)
    return connected


# ---------------------------------------------------------------- the table

def _not_iterative(model):
    return model != "iterative"


CASES = [
    Case("concurrent clients all served (200; 100 under TSan; iterative 20)", concurrent_clients, server="plain"),
    Case("a client that resets mid-request (SO_LINGER 0)", reset_mid_request, server="plain"),
    Case("a client that resets mid-response (1 MiB file)", reset_mid_response, server="root"),
    Case("a half-sent head is closed after --idle-ms", idle_head),
    Case("past --buffer-budget receives fail as WSAENOBUFS and the server keeps serving",
         past_buffer_budget, models=("iocp-emul",)),
    Case("resets while 4 receives are pending, thousands of times (context lifetime)",
         resets_with_reads_pending, models=("iocp-emul",)),
    Case("with --jitter-us, receives of one connection handled out of order are put back in order "
         "(early_receives > 0 at exit)", reordering_shown, models=("iocp-emul",)),
    Case("an idle keep-alive connection is closed after --idle-ms", idle_keepalive, exclude=("iterative",)),
    Case("a head dripped a byte every 150 ms is closed ~--idle-ms 500 after its first byte (total deadline)",
         head_deadline_total),
    Case("a reader that stops reading a 16 MiB response is dropped after --idle-ms 500", stalled_reader_dropped),
    Case("10,000 idle connections (1000 under TSan): others served, RSS per connection reported, fds back at "
         "baseline, RSS back near it or kept (a second round does not grow it)", idle_many, models=IDLE_MANY_MODELS),
    Case("no zombie after 500 connections (200 under TSan)", no_zombies, models=("fork",)),
    Case("thread count back to baseline after 100 connections close", thread_baseline, models=("thread",)),
    Case("SIGTERM: exit 0 within 2 s, no child left", stop_on(signal.SIGTERM)),
    Case("SIGINT: exit 0 within 2 s, no child left", stop_on(signal.SIGINT)),
    Case("an idle pool of 64 (--workers 64) leaves at once on SIGTERM", pool_stops_at_once,
         models=("fork", "thread")),
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
    Case("--uring-off batch on a model without it: exit 2, one line", bad_flag(["--uring-off", "batch"], "--uring-off"),
         exclude=("uring",)),
    Case("--min-wait-us 10 on a model without it: exit 2, one line", bad_flag(["--min-wait-us", "10"], "--min-wait-us"),
         exclude=("uring",)),
    Case("--uring-off nagle (not a feature): exit 2, one line", bad_flag(["--uring-off", "nagle"], "--uring-off"),
         models=("uring",)),
    Case("--min-wait-us -1: exit 2, one line", bad_flag(["--min-wait-us", "-1"], "--min-wait-us"), models=("uring",)),
    Case("--jitter-us 10 on a model without it: exit 2, one line", bad_flag(["--jitter-us", "10"], "--jitter-us"),
         exclude=("iocp-emul",)),
    Case("--jitter-us -1: exit 2, one line", bad_flag(["--jitter-us", "-1"], "--jitter-us"), models=("iocp-emul",)),
    Case("--uring-off batch,multishot,bufring,defer,fixed --min-wait-us 50 accepted and serving",
         lambda ctx: serves_again(ctx, ctx.start_default("--uring-off", "batch,multishot,bufring,defer,fixed",
                                                         "--min-wait-us", "50").port), models=("uring",)),
    Case("5000 concurrent keep-alive connections held and served (1000 under TSan)", many_keepalive(5000, 1000),
         models=BIG_EVENT, server="plain"),
    Case("1030 connections: fd >= FD_SETSIZE answered 503, server keeps serving", ceiling_refused(1030),
         models=("select",), server="plain"),
    Case("900 concurrent keep-alive connections held and served", many_keepalive(900, 900),
         models=("pth",), server="plain"),
    Case("1030 connections: the 1024 ceiling refused with 503, server keeps serving", ceiling_refused(1030),
         models=("pth",), server="plain"),
    Case("EMFILE under a 64-fd limit: no spin (< 5% CPU), serves again after", emfile, models=EMFILE_MODELS),
    Case("240 connections pipelining 8 GETs of a --root file under a 300-fd limit: all 200 (thread: at most "
         "a tenth 500 or dropped at accept)",
         pipelined_files, exclude=("iterative",)),
    Case("--max-conns 10 with 20 connections: some 503, serves after", max_conns, exclude=("iterative",)),
    Case("tasks run out (pids cgroup): 200, 503 or closed, serves again, fds/RSS back near baseline",
         tasks_exhausted()),
    Case("tasks run out during a blocking call (pids cgroup, --block-us 1000): 200, 503 or closed, serves "
         "again, fds/RSS back near baseline", tasks_exhausted("--block-us", "1000")),
    Case("memory runs out (RLIMIT_AS): 200, 503 (an 8 MiB body: 500) or closed, serves again, "
         "fds/RSS back near baseline", memory_exhausted),
    Case("full listen queue (--backlog 1, 20000 connects): serves again, fds/RSS back near baseline",
         listen_queue_burst),
]

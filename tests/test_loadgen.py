#!/usr/bin/env python3
"""test_loadgen.py - bin/loadgen counts exactly, as a specification.

    python3 tests/test_loadgen.py [-v] [SUBSTRING]     (BIN=bin/ by default)

Every case runs `loadgen --requests N --csv` and reads its CSV (header + one row)
by column name:
  - against bin/epoll and bin/thread (-p 0 --quiet): N requests, N counted, no
    errors, bytes = N x one response; keep-alive, --close, open loop (-R), daytime;
  - against a server in this file that misbehaves on purpose (one mode per case):
    each of the N requests reaches the server once and ends as exactly one
    counted response or one error of the expected kind;
  - against a closed port: every request is a connect error;
  - fairness, against a server that serves only some connections on purpose (some
    source-address slots, a known number per slot, only the first 3 connections; keep-
    alive, --close, -R): conns_served and fairness_jain are those of the server's own
    per-connection counts;
  - --think-ms: requests bounded by conns x d / think, the server's count matches,
    think time not in the latency;
  - --hist-out and --merge: each file's per-connection counts are the server's, the
    run's percentiles those of its buckets; merging two files sums the counts, takes
    the percentiles of the summed buckets and Jain's index of the union; --start-at
    starts two clients' windows together;
  - the CSV header is the contract's column list, in order, and the columns only
    the runner knows (experiment, srv_*, ...) are left empty;
  - --slow: slow clients are counted apart (the row's requests and connections are
    the -c ones, the server sees both; the summary says what the slow ones met), an
    idle one holds a connection, bad values exit 2 with one line;
  - --pipeline N: the server receives N requests together per round trip, each of
    the N responses is counted on its own, in order.
  - "--io uring:" the model, misbehaving-server, closed-port, timeout and fairness
    cases again with the io_uring loop: the same counts (skipped, with the kernel's
    reason, where io_uring is refused).
Prints "ok - loadgen <case>", "not ok - loadgen <case>: expected X, got Y" or
"skip - loadgen <case>: why"; exits 0 when nothing failed, 1 otherwise. The whole
file takes about 30 s (120 s at most: past 100 s the remaining cases fail as not
run); every server it starts is killed when it ends, on an exception or Ctrl-C.
"""

import csv
import io
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("BIN") or os.path.join(ROOT, "bin"))
LOADGEN = os.path.join(BIN, "loadgen")
SANITIZED = bool(os.environ.get("SANITIZE"))
BUDGET_S = 100.0             # then the remaining cases fail as not run (the file must end within 120 s)
RUN_TIMEOUT_S = 10.0         # one loadgen run (its -d 5 stops a run that never reaches N)
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "ThreadSanitizer")

from lib import CONTRACT_COLUMNS  # noqa: E402  (the contract's runs.csv columns)
import proc  # noqa: E402  (harness/proc.py, on the path lib.py sets)

# What loadgen cannot know: the runner fills these in.
RUNNER_COLUMNS = ["experiment", "model", "variant", "workload", "server_cpus", "client_cpus", "rep",
                  "srv_user_s", "srv_sys_s", "srv_cpu_pct", "srv_ctxsw_vol", "srv_ctxsw_invol",
                  "srv_rss_kb", "srv_threads", "srv_procs", "client_bound"]
ERRORS = ["err_connect", "err_read", "err_write", "err_timeout", "err_status", "err_invalid"]


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# ---------------------------------------------------------------- a server that misbehaves on purpose

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"
OK_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!"
DAY = b"Sun Nov 22 16:40:00 2026\r\n"

# mode: what the server does with each request (HTTP) or connection (daytime).
HTTP_MODES = {
    "ok": "200 with Content-Length",
    "split": "200 in 3-byte pieces, 1 ms apart",
    "every3rd_close": "every 3rd response with Connection: close, then closed",
    "status500": "500",
    "status404": "404 with a body",
    "nolen": "200 without Content-Length, then close",
    "garbage": "a garbage status line, then close",
    "extra": "200 and 2 bytes nobody asked for",
    "short": "the head and 3 of 10 body bytes, then close",
    "close_early": "close without an answer",
    "reset": "RST (SO_LINGER 0) without an answer",
    "never": "no answer, connection held",
    "batch": "waits 20 ms after a head, then answers every head that arrived (records batch sizes)",
    "batch500": "as batch, the 3rd request of each batch answered 500",
}
DAY_LINES = {
    "day": DAY,
    "day_split": DAY,
    "day_bad": b"Sun\x01Nov\r\n",
    "day_nocrlf": b"Sun Nov 22 16:40:00 2026",
    "day_empty": b"",
}


def read_head(s, buf):
    """Reads from s until buf holds a whole request head; returns what follows it, or None at EOF."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            return None
        buf += d
    return buf.split(b"\r\n\r\n", 1)[1]


class MockServer:
    """A threaded TCP server on 127.0.0.1:<free port> behaving as `mode` says.
    It counts the connections it accepted and the request heads it received."""

    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.Lock()
        self.conns = 0
        self.requests = 0
        self.stopping = threading.Event()
        self.socks = []
        self.batches = []     # batch modes: heads that arrived together
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(512)
        self.lsock.settimeout(0.05)
        self.port = self.lsock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns += 1
                self.socks.append(s)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        try:
            if self.mode.startswith("day"):
                self._serve_daytime(s)
            else:
                self._serve_http(s)
        except OSError:
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass

    def _serve_daytime(self, s):
        line = DAY_LINES[self.mode]
        if self.mode == "day_split":
            for i in range(0, len(line), 3):
                s.sendall(line[i:i + 3])
                time.sleep(0.001)
        else:
            s.sendall(line)

    def _serve_http(self, s):
        buf = b""
        n = 0
        while True:
            buf = read_head(s, buf)
            if buf is None:
                return
            n += 1
            with self.lock:
                self.requests += 1
            m = self.mode
            if m.startswith("batch"):
                buf = self._answer_batch(s, buf)
                continue
            if m == "ok":
                s.sendall(OK)
            elif m == "split":
                for i in range(0, len(OK), 3):
                    s.sendall(OK[i:i + 3])
                    time.sleep(0.001)
            elif m == "every3rd_close":
                if n % 3 == 0:
                    s.sendall(OK_CLOSE)
                    return
                s.sendall(OK)
            elif m == "status500":
                s.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
            elif m == "status404":
                s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot found")
            elif m == "nolen":
                s.sendall(b"HTTP/1.1 200 OK\r\n\r\nabc")
                return
            elif m == "garbage":
                s.sendall(b"garbage\r\n\r\n")
                return
            elif m == "extra":
                s.sendall(OK + b"XX")
            elif m == "short":
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                return
            elif m == "close_early":
                return
            elif m == "reset":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            elif m == "never":
                self.stopping.wait(RUN_TIMEOUT_S)
                return
            else:
                raise ValueError("unknown mode " + m)

    def _answer_batch(self, s, rest):
        """A head was read and `rest` follows it: wait for the rest of the batch, answer
        each head in order; returns the bytes after the last whole head."""
        time.sleep(0.02)
        s.setblocking(False)
        try:
            while True:
                rest += s.recv(65536)
        except (BlockingIOError, OSError):
            pass
        s.setblocking(True)
        heads = rest.split(b"\r\n\r\n")
        rest = heads.pop()
        n = 1 + len(heads)
        with self.lock:
            self.requests += n - 1
            self.batches.append(n)
        for i in range(n):
            s.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" if self.mode == "batch500" and i == 2 else OK)
        return rest

    def counts(self):
        time.sleep(0.05)   # a request loadgen sent too many would be read by now
        with self.lock:
            return self.conns, self.requests

    def stop(self):
        self.stopping.set()
        try:
            self.lsock.close()
        except OSError:
            pass
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(1.0)


class PickyServer(MockServer):
    """Serves a request (200) only where serve(conn_no, slot, slot_served) says so, where
    conn_no counts connections from 0 in the order their first request came, slot is k for
    a client on 127.0.0.(k+1) (loadgen --src-addrs N puts connection slot k there), and
    slot_served is what that slot got so far; any other request is read and its connection
    closed unanswered (loadgen counts err_read).  Records responses per connection and per
    slot, and the requests turned away."""

    def __init__(self, serve):
        self.serve = serve
        self.by_conn = []      # conn_no -> responses
        self.by_slot = {}      # slot -> responses
        self.rejected = 0
        super().__init__("picky")

    def _serve_http(self, s):
        slot = int(s.getpeername()[0].rsplit(".", 1)[1]) - 1
        buf, conn_no = b"", None
        while True:
            buf = read_head(s, buf)
            if buf is None:
                return
            with self.lock:
                self.requests += 1
                if conn_no is None:
                    conn_no = len(self.by_conn)
                    self.by_conn.append(0)
                ok = self.serve(conn_no, slot, self.by_slot.get(slot, 0))
                if ok:
                    self.by_conn[conn_no] += 1
                    self.by_slot[slot] = self.by_slot.get(slot, 0) + 1
                else:
                    self.rejected += 1
            if not ok:
                return
            s.sendall(OK)

    def slot_counts(self, n_slots):
        time.sleep(0.05)
        with self.lock:
            return [self.by_slot.get(k, 0) for k in range(n_slots)]


def jain(xs):
    """Jain's index over xs; None when nothing was served."""
    total, sq = sum(xs), sum(x * x for x in xs)
    return None if sq == 0 else total * total / (len(xs) * sq)


def expect_fairness(row, xs, what):
    """conns_served and fairness_jain of the row are those of the per-connection counts xs."""
    want_served, want_jain = sum(1 for x in xs if x > 0), jain(xs)
    got_served, got_jain = row.get("conns_served", ""), row.get("fairness_jain", "")
    ok_jain = (got_jain == "") if want_jain is None else (got_jain != "" and abs(float(got_jain) - want_jain) < 1e-6)
    if got_served != str(want_served) or not ok_jain:
        raise Fail("expected conns_served=%d fairness_jain=%s (%s: %s), got conns_served=%s fairness_jain=%s"
                   % (want_served, "" if want_jain is None else "%.6f" % want_jain, what, xs, got_served, got_jain))


# ---------------------------------------------------------------- the suite's servers

SERVERS = []   # every process started here, killed at the end whatever happens


class ModelServer:
    """bin/<model> -p 0 --quiet [args], in its own session; ready on its 'listening on' line."""

    def __init__(self, model, args=()):
        self.model = model
        self.argv = [os.path.join(BIN, model), "-p", "0", "--quiet"] + list(args)
        self.proc = None
        self.port = None

    def start(self):
        if not os.access(self.argv[0], os.X_OK):
            raise Skip("no %s (make builds it)" % self.argv[0])
        timeout = 10.0 if SANITIZED else 5.0
        self.proc, ready, text, why = proc.start(self.argv, timeout, stderr=subprocess.DEVNULL)
        SERVERS.append(self)
        if ready is None:
            raise Fail("expected '%s' to print 'listening on ADDR:PORT' within %.0f s, got: %s"
                       % (" ".join(self.argv), timeout, proc.why_text(why, text, timeout, self.proc)))
        self.port = ready.port
        return self

    def kill(self):
        if self.proc is not None and self.proc.returncode is None:
            proc.stop(self.proc, 2.0, group=True)


def kill_all():
    for s in SERVERS:
        try:
            s.kill()
        except Exception:
            pass
        if s.proc is not None and s.proc.stdout is not None:
            s.proc.stdout.close()
    SERVERS.clear()


def one_response_len(port, close):
    """The length of one Hello-World response, read as loadgen's request would get it."""
    req = "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n" % (port, "Connection: close\r\n" if close else "")
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(req.encode())
        data = b""
        while True:
            if b"\r\n\r\n" in data:
                head, body = data.split(b"\r\n\r\n", 1)
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length" and len(body) >= int(v):
                        return len(head) + 4 + int(v)
            d = s.recv(4096)
            if not d:
                return len(data)
            data += d


def one_daytime_len(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                return len(data)
            data += d


# ---------------------------------------------------------------- running loadgen

IO_ARGS = []     # ["--io", "uring"] while a "--io uring:" case runs


def uring_refused():
    """Why loadgen --io uring cannot run here (its one line), or None."""
    p = subprocess.run([LOADGEN, "--io", "uring", "--requests", "1", "http://127.0.0.1:1/"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return p.stderr.strip() if p.returncode == 2 else None


def with_uring(fn):
    """The case fn, with loadgen's io_uring loop."""
    def case():
        why = uring_refused()
        if why:
            raise Skip(why)
        IO_ARGS[:] = ["--io", "uring"]
        try:
            fn()
        finally:
            IO_ARGS[:] = []
    return case


def loadgen(url, n, conns=8, threads=2, close=False, timeout_ms=None, rate=None, extra=(), duration="5"):
    """Runs loadgen [--requests n] --csv [extra]; returns (header, row as a dict, stderr)."""
    argv = [LOADGEN, "-c", str(conns), "-t", str(threads), "-d", duration, "--csv"] + IO_ARGS + list(extra)
    if n is not None:
        argv += ["--requests", str(n)]
    if close:
        argv.append("--close")
    if timeout_ms is not None:
        argv += ["--timeout", str(timeout_ms)]
    if rate is not None:
        argv += ["-R", str(rate)]
    argv.append(url)
    return run_csv(argv)


def run_csv(argv):
    """Runs a loadgen command line that prints --csv; returns (header, row as a dict, stderr)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S * (2 if SANITIZED else 1))
    except subprocess.TimeoutExpired:
        raise Fail("expected '%s' to end within %.0f s, got it still running (killed)"
                   % (" ".join(argv[1:]), RUN_TIMEOUT_S))
    for marker in SANITIZER_MARKERS:
        if marker in p.stderr:
            i = p.stderr.find(marker)
            raise Fail("expected no sanitizer report from loadgen, got: %s" % p.stderr[i:i + 400])
    if p.returncode != 0:
        raise Fail("expected loadgen to exit 0, got %d; stderr: %s" % (p.returncode, p.stderr.strip()[-300:]))
    rows = list(csv.reader(io.StringIO(p.stdout)))
    if len(rows) != 2:
        raise Fail("expected 2 CSV lines (header and one row) on stdout, got %d: %r" % (len(rows), p.stdout[:300]))
    header, row = rows
    if len(row) != len(header):
        raise Fail("expected the row to have the header's %d fields, got %d" % (len(header), len(row)))
    return header, dict(zip(header, row)), p.stderr


def expect_counts(row, want):
    """want: column -> expected value (int columns). Every error column not named must be 0."""
    full = {c: 0 for c in ERRORS}
    full.update(want)
    bad = [c for c in full if c not in row or row[c] == "" or int(float(row[c])) != full[c]]
    if bad:
        raise Fail("expected %s, got %s" % (" ".join("%s=%s" % (c, full[c]) for c in bad),
                                             " ".join("%s=%s" % (c, row.get(c, "(missing)")) for c in bad)))


def expect_row_sane(row, proto, conns, keepalive):
    """The columns loadgen knows, filled in and consistent with the run."""
    problems = []
    if row.get("proto") != proto:
        problems.append("proto=%s (got %s)" % (proto, row.get("proto")))
    if row.get("conns") != str(conns):
        problems.append("conns=%s (got %s)" % (conns, row.get("conns")))
    if row.get("keepalive") != str(keepalive):
        problems.append("keepalive=%s (got %s)" % (keepalive, row.get("keepalive")))
    if row.get("client") != "loadgen":
        problems.append("client=loadgen (got %s)" % row.get("client"))
    filled = [c for c in RUNNER_COLUMNS if row.get(c, "") != ""]
    if filled:
        problems.append("runner columns empty (got %s)" % ", ".join("%s=%s" % (c, row[c]) for c in filled))
    if int(row.get("requests") or 0) > 0:
        lat = [float(row[c]) for c in ("lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_p999_us", "lat_max_us")]
        if lat != sorted(lat) or lat[-1] <= 0:
            problems.append("0 < p50 <= p90 <= p99 <= p99.9 <= max (got %s)" % lat)
    if problems:
        raise Fail("expected " + "; ".join(problems))


# ---------------------------------------------------------------- cases

def case_csv_header_is_the_contract():
    srv = MockServer("ok")
    try:
        header, _, _ = loadgen("http://127.0.0.1:%d/" % srv.port, 10)
    finally:
        srv.stop()
    want = CONTRACT_COLUMNS
    if header != want:
        diff = [(i + 1, w, g) for i, (w, g) in enumerate(zip(want, header)) if w != g]
        if diff:
            pos, w, g = diff[0]
            raise Fail("expected column %d to be %s (the contract's %d columns in order), got %s"
                       % (pos, w, len(want), g))
        raise Fail("expected the contract's %d columns, got %d: %s" % (len(want), len(header), ",".join(header)))


def mock_case(mode, n, want, close=False, conns=8, timeout_ms=None, resp_bytes=None):
    """loadgen against MockServer(mode): want = the expected counts; every request reaches
    the server once (HTTP) or is one connection (daytime)."""
    def fn():
        srv = MockServer(mode)
        try:
            day = mode.startswith("day")
            url = ("daytime://127.0.0.1:%d" if day else "http://127.0.0.1:%d/") % srv.port
            _, row, _ = loadgen(url, n, conns=conns, close=close, timeout_ms=timeout_ms)
            accepted, heads = srv.counts()
        finally:
            srv.stop()
        w = dict(want)
        if resp_bytes is not None:
            w["bytes"] = resp_bytes
        expect_counts(row, w)
        if day and accepted != n:
            raise Fail("expected the server to accept %d connections (one per request), got %d" % (n, accepted))
        if not day and heads != n:
            raise Fail("expected the server to receive %d requests (N sent), got %d" % (n, heads))
        if not day and close and accepted != n:
            raise Fail("expected %d connections with --close (one per request), got %d" % (n, accepted))
        expect_row_sane(row, "daytime" if day else "http", conns, 0 if (close or day) else 1)
    return fn


def refused_case(close):
    def fn():
        # A bound socket that does not listen: connects to its port are refused, and no
        # other process can take the port meanwhile.
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            _, row, _ = loadgen("http://127.0.0.1:%d/" % port, 50, close=close)
        finally:
            s.close()
        expect_counts(row, {"requests": 0, "err_connect": 50, "bytes": 0})
        expect_row_sane(row, "http", 8, 0 if close else 1)
    return fn


def model_case(model, kind, n, conns=8, rate=None):
    def fn():
        if kind == "daytime":
            srv = ModelServer(model, ["--proto", "daytime"]).start()
            one = one_daytime_len(srv.port)
            url = "daytime://127.0.0.1:%d" % srv.port
        else:
            srv = ModelServer(model).start()
            one = one_response_len(srv.port, kind == "close")
            url = "http://127.0.0.1:%d/" % srv.port
        try:
            _, row, _ = loadgen(url, n, conns=conns, close=(kind == "close"), rate=rate)
        finally:
            srv.kill()
        expect_counts(row, {"requests": n, "bytes": n * one})
        expect_row_sane(row, "daytime" if kind == "daytime" else "http", conns, 1 if kind == "keep-alive" else 0)
        if rate is not None and row.get("rate_rps") != str(rate) and float(row.get("rate_rps") or 0) != rate:
            raise Fail("expected rate_rps=%s, got %s" % (rate, row.get("rate_rps")))
    return fn


def fairness_case(serve, conns, n, close=False, rate=None, want=None):
    """loadgen -c conns --src-addrs conns --requests n against PickyServer(serve): requests
    and err_read are what the server answered and turned away, conns_served and
    fairness_jain those of the server's per-slot counts (want: those counts, if known)."""
    def fn():
        srv = PickyServer(serve)
        try:
            _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, n, conns=conns, close=close, rate=rate,
                                extra=["--src-addrs", str(conns), "--timeout", "4000"])
            xs = srv.slot_counts(conns)
        finally:
            srv.stop()
        expect_counts(row, {"requests": sum(xs), "err_read": srv.rejected})
        if want is not None and xs != want:
            raise Fail("expected the server to serve %s per slot, got %s" % (want, xs))
        expect_fairness(row, xs, "per slot, as the server served them")
    return fn


def case_fairness_first_m_connections():
    """No source addresses: the server serves the first 3 connections for good (keep-alive,
    never closed, so each is one slot) and turns every later connection away."""
    srv = PickyServer(lambda conn_no, slot, got: conn_no < 3)
    try:
        _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, 300, conns=8, timeout_ms=4000)
        time.sleep(0.05)
        with srv.lock:
            xs, rejected = srv.by_conn[:3] + [0] * 5, srv.rejected
    finally:
        srv.stop()
    expect_counts(row, {"requests": sum(xs), "err_read": rejected})
    expect_fairness(row, xs, "the 3 served connections and 5 never served")


def case_think_time_rate():
    """--think-ms 100, 4 connections, 1.5 s: each connection does at most 1500/100 + 1
    requests (the think time is a floor on its period), and about 4 x 1500 / (100 + rtt) in
    all; the server saw every counted request (and at most one more per connection, in
    flight at the end)."""
    srv = MockServer("ok")
    try:
        _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, None, conns=4, extra=["--think-ms", "100"],
                            duration="1.5")
        _, heads = srv.counts()
    finally:
        srv.stop()
    got = int(row["requests"])
    expect_counts(row, {"requests": got})
    if not 0.5 * 60 <= got <= 4 * 16:
        raise Fail("expected 30 <= requests <= 64 (about 4 x 1500 / (100 + rtt) = 60), got %d" % got)
    if not got <= heads <= got + 4:
        raise Fail("expected the server's %d requests to be loadgen's %d plus at most 4 in flight" % (heads, got))


def case_think_time_exact():
    """--think-ms 100 --requests 20 on 4 connections: exactly 20 counted and served; some
    connection did 5 requests, so at least 4 think times (0.4 s) passed; the latency does not
    hold the think time (p50 well under 100 ms)."""
    srv = MockServer("ok")
    try:
        _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, 20, conns=4, extra=["--think-ms", "100"])
        _, heads = srv.counts()
    finally:
        srv.stop()
    expect_counts(row, {"requests": 20, "bytes": 20 * OKLEN})
    if heads != 20:
        raise Fail("expected the server to receive 20 requests, got %d" % heads)
    if float(row["duration_s"]) < 0.4:
        raise Fail("expected duration_s >= 0.4 (4 think times of 100 ms), got %s" % row["duration_s"])
    if float(row["lat_p50_us"]) >= 50000:
        raise Fail("expected lat_p50_us < 50000 (think time excluded), got %s" % row["lat_p50_us"])


# ---------------------------------------------------------------- --hist-out and --merge

def hist_file(path):
    """A --hist-out file: (fields as text, {bucket index: count}, conn_requests list)."""
    fields, buckets, conns = {}, {}, None
    with open(path) as f:
        lines = f.read().split("\n")
    if lines[0] != "loadgen-hist 1" or "end" not in lines:
        raise Fail("expected %s to start with 'loadgen-hist 1' and hold an 'end' line" % path)
    for line in lines[1:lines.index("end")]:
        key, _, val = line.partition(" ")
        if key == "bucket":
            idx, _, count = val.split()
            buckets[int(idx)] = buckets.get(int(idx), 0) + int(count)
        elif key == "conn_requests":
            conns = [int(v) for v in val.split()]
        else:
            fields[key] = val
    return fields, buckets, conns


def bucket_mid_us(i):
    """The midpoint of bucket i of the log-linear layout (harness/loadgen/hist.h)."""
    if i < 256:
        return i
    shift = (i - 256) // 128 + 1
    return (((i - 256) % 128 + 128) << shift) + (1 << shift) // 2


def percentile_us(buckets, lo, hi, p):
    """hist.h's rule: the midpoint of the bucket holding the ceil(p/100 n)-th value, in [min, max]."""
    n = sum(buckets.values())
    if p >= 100:
        return hi
    rank, seen = max(1, math.ceil(p / 100.0 * n)), 0   # the same doubles as hist.c
    for i in sorted(buckets):
        seen += buckets[i]
        if seen >= rank:
            return min(max(bucket_mid_us(i), lo), hi)
    return hi


LAT_COLUMNS = [("lat_p50_us", 50), ("lat_p90_us", 90), ("lat_p99_us", 99), ("lat_p999_us", 99.9)]


def expect_latency_from(row, buckets, lo, hi, what):
    want = {c: percentile_us(buckets, lo, hi, p) for c, p in LAT_COLUMNS}
    want["lat_max_us"] = hi
    bad = [c for c in want if row.get(c) != str(want[c])]
    if bad:
        raise Fail("expected %s from %s, got %s" % (" ".join("%s=%d" % (c, want[c]) for c in bad), what,
                                                  " ".join("%s=%s" % (c, row.get(c)) for c in bad)))


def case_merge_two_runs():
    """Two runs (4 and 3 connections, one slot of the second refused) each write --hist-out;
    their per-connection counts are the server's; --merge --csv gives the summed counts, the
    percentiles of the summed buckets (computed here), Jain's index over the union."""
    tmp = tempfile.mkdtemp(prefix="test_loadgen_")
    try:
        files, rows, union_x = [], [], []
        for conns, n, refuse in ((4, 300, None), (3, 200, 1)):
            path = os.path.join(tmp, "c%d.hist" % conns)
            srv = PickyServer(lambda c, slot, got, refuse=refuse: slot != refuse)
            try:
                _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, n, conns=conns,
                                    extra=["--src-addrs", str(conns), "--hist-out", path])
                xs = srv.slot_counts(conns)
            finally:
                srv.stop()
            fields, buckets, per_conn = hist_file(path)
            if per_conn != xs:
                raise Fail("expected %s's conn_requests to be the server's per-slot counts %s, got %s"
                           % (os.path.basename(path), xs, per_conn))
            expect_latency_from(row, buckets, int(fields["lat_min_us"]), int(fields["lat_max_us"]),
                                "the run's own --hist-out buckets")
            files.append((fields, buckets))
            rows.append(row)
            union_x += xs
        _, merged, _ = run_csv([LOADGEN, "--merge", "--csv"] + [os.path.join(tmp, "c%d.hist" % c) for c in (4, 3)])
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    want = {c: sum(int(r[c]) for r in rows) for c in ["requests", "bytes"] + ERRORS}
    expect_counts(merged, want)
    union = {}
    for _, b in files:
        for i, c in b.items():
            union[i] = union.get(i, 0) + c
    lo = min(int(f["lat_min_us"]) for f, _ in files)
    hi = max(int(f["lat_max_us"]) for f, _ in files)
    expect_latency_from(merged, union, lo, hi, "the two files' buckets summed")
    expect_fairness(merged, union_x, "over the union of both runs' connections")
    if merged.get("conns") != "7" or merged.get("client") != "loadgen*2":
        raise Fail("expected conns=7 client=loadgen*2, got conns=%s client=%s" % (merged.get("conns"), merged.get("client")))


def case_start_at():
    """Two loadgens given --start-at 1 s ahead both begin measuring at or after it, within
    0.25 s of each other; a moment 10 s past is refused (exit 2, one line)."""
    srv = MockServer("ok")
    tmp = tempfile.mkdtemp(prefix="test_loadgen_")
    try:
        at = time.time() + 1.0
        paths = [os.path.join(tmp, "%d.hist" % i) for i in range(2)]
        procs = [subprocess.Popen([LOADGEN, "-c", "2", "-t", "1", "-d", "0.3", "--start-at", "%.6f" % at,
                                   "--hist-out", p, "http://127.0.0.1:%d/" % srv.port],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for p in paths]
        errs = [pr.communicate(timeout=RUN_TIMEOUT_S)[1] for pr in procs]
        if any(pr.returncode != 0 for pr in procs):
            raise Fail("expected both loadgens to exit 0, got %s: %s" % ([pr.returncode for pr in procs], errs))
        starts = [float(hist_file(p)[0]["window_start_s"]) for p in paths]
        late = subprocess.run([LOADGEN, "--start-at", "%.3f" % (time.time() - 10), "http://127.0.0.1:%d/" % srv.port],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    finally:
        srv.stop()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    if min(starts) < at or max(starts) - min(starts) > 0.25:
        raise Fail("expected both windows to start at or after %.3f, within 0.25 s, got %s" % (at, starts))
    if late.returncode != 2 or late.stderr.count("\n") != 1 or "passed" not in late.stderr:
        raise Fail("expected a --start-at 10 s past to exit 2 with one line, got %d: %r" % (late.returncode, late.stderr))


BAD_USAGE = [
    # arguments, a word the one-line error must hold
    (["--think-ms", "5", "-R", "100", "http://127.0.0.1:1/"], "closed loop"),
    (["--think-ms", "soon", "http://127.0.0.1:1/"], "--think-ms"),
    (["--merge", "-c", "3", "x.hist"], "takes only"),
    (["--merge"], "files"),
    (["--merge", "/nonexistent/x.hist"], "cannot open"),
    (["--merge", "/proc/self/stat"], "not a loadgen --hist-out file"),
    (["--hist-out", "/nonexistent/dir/x.hist", "http://127.0.0.1:1/"], "--hist-out"),
    (["--start-at", "yesterday", "http://127.0.0.1:1/"], "--start-at"),
    (["--slow", "x:idle", "http://127.0.0.1:1/"], "--slow"),
    (["--io", "uring", "--slow", "2:idle", "http://127.0.0.1:1/"], "not with --io uring"),
    (["--io", "uring", "--pipeline", "4", "http://127.0.0.1:1/"], "not with --io uring"),
    (["--slow", "-1:idle", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:fast", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:head", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:head:0", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:idle:5", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:read:fast", "http://127.0.0.1:1/"], "--slow"),
    (["--slow", "4:idle", "daytime://127.0.0.1:1"], "--slow"),
    (["--pipeline", "0", "http://127.0.0.1:1/"], "--pipeline"),
    (["--pipeline", "4", "--close", "http://127.0.0.1:1/"], "--pipeline"),
    (["--pipeline", "4", "daytime://127.0.0.1:1"], "--pipeline"),
    (["--pipeline", "4", "-R", "100", "http://127.0.0.1:1/"], "--pipeline"),
    (["--pipeline", "4", "--requests", "10", "http://127.0.0.1:1/"], "--requests"),
]


def slow_summary(stderr):
    """The summary's 'Slow clients:' line as {served, responses, closed, open}, or a Fail."""
    import re
    m = re.search(r"Slow clients: .*: (\d+) served \((\d+) responses\), (\d+) closed by the server "
                  r"\((\d+) closes\), (\d+) still open", stderr)
    if not m:
        raise Fail("expected a 'Slow clients: ... served ... closed by the server ... still open' line, got %r"
                   % stderr[-400:])
    return dict(zip(("served", "responses", "closed", "closes", "open"), map(int, m.groups())))


def case_slow_head_counted_apart():
    srv = MockServer("ok")
    try:
        _, row, err = loadgen("http://127.0.0.1:%d/" % srv.port, None, conns=2, extra=["--slow", "2:head:5"],
                              duration="1")
        conns, requests = srv.counts()
    finally:
        srv.stop()
    slow = slow_summary(err)
    got = {c: row[c] for c in ("conns", "slow_conns", "conns_served")}
    if got != {"conns": "2", "slow_conns": "2", "conns_served": "2"}:
        raise Fail("expected conns=2 slow_conns=2 conns_served=2 (the row describes the -c ones), got %s" % got)
    if conns != 4:
        raise Fail("expected the server to accept 2 normal + 2 slow connections, got %d" % conns)
    if slow["served"] != 2 or slow["responses"] < 2:
        raise Fail("expected both slow clients served (a ~45-byte head at 5 ms a byte is ~0.25 s), got %s" % slow)
    if int(row["requests"]) < 100:
        raise Fail("expected the normal connections to go on at full speed, got %s requests" % row["requests"])
    extra = requests - int(row["requests"]) - slow["responses"]
    if not 0 <= extra <= 4:
        raise Fail("expected the server's %d requests = the row's %s + the slow ones' %d (+ at most 4 in flight at "
                   "the stop), got %d more" % (requests, row["requests"], slow["responses"], extra))


def case_slow_idle_holds_a_connection():
    srv = MockServer("ok")
    try:
        _, row, err = loadgen("http://127.0.0.1:%d/" % srv.port, 50, conns=1, extra=["--slow", "3:idle"])
        conns, requests = srv.counts()
    finally:
        srv.stop()
    slow = slow_summary(err)
    expect_counts(row, {"requests": 50, "conns_served": 1, "slow_conns": 3})
    if conns != 4 or requests != 50:
        raise Fail("expected the server to see 1 + 3 connections and 50 requests, got %d and %d" % (conns, requests))
    if slow != {"served": 0, "responses": 0, "closed": 0, "closes": 0, "open": 3}:
        raise Fail("expected the 3 idle clients unserved, never closed, still open at the end, got %s" % slow)


def case_pipeline_batches():
    srv = MockServer("batch")
    try:
        _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, 40, conns=2, extra=["--pipeline", "4"])
        _, requests = srv.counts()
    finally:
        srv.stop()
    expect_counts(row, {"requests": 40, "bytes": 40 * OKLEN, "pipeline": 4})
    if requests != 40 or sorted(set(srv.batches)) != [4]:
        raise Fail("expected 40 requests arriving 4 per round trip, got %d in batches %s" % (requests, srv.batches))


def case_pipeline_each_response_counted():
    srv = MockServer("batch500")
    try:
        _, row, _ = loadgen("http://127.0.0.1:%d/" % srv.port, 40, conns=2, extra=["--pipeline", "4"])
    finally:
        srv.stop()
    expect_counts(row, {"requests": 30, "err_status": 10})


def case_merge_slow_and_pipeline():
    srv = MockServer("ok")
    tmp = tempfile.mkdtemp(prefix="loadgen-slow-")
    files = [os.path.join(tmp, n) for n in ("a", "b", "c")]
    try:
        url = "http://127.0.0.1:%d/" % srv.port
        for f, extra in zip(files, (["--slow", "2:idle"], ["--slow", "3:idle"], ["--pipeline", "2"])):
            loadgen(url, 20, conns=1, extra=extra + ["--hist-out", f])
        _, row, err = run_csv([LOADGEN, "--merge", "--csv"] + files[:2])
        expect_counts(row, {"requests": 40, "slow_conns": 5, "pipeline": 1})
        slow = slow_summary(err)
        if slow["open"] != 5:
            raise Fail("expected the merged summary to count 2 + 3 slow clients still open, got %s" % slow)
        p = subprocess.run([LOADGEN, "--merge", files[0], files[2]], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
        if p.returncode != 2 or "--pipeline" not in p.stderr:
            raise Fail("expected runs with different --pipeline refused (exit 2, naming --pipeline), got exit %d: %r"
                       % (p.returncode, p.stderr[:200]))
    finally:
        srv.stop()
        for f in files:
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(tmp)


def bad_usage_case(argv, word):
    def fn():
        p = subprocess.run([LOADGEN] + argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
        if p.returncode != 2 or p.stderr.count("\n") != 1 or word not in p.stderr or p.stdout:
            raise Fail("expected exit 2 and one line on stderr holding %r, got exit %d: %r"
                       % (word, p.returncode, p.stderr[:300]))
    return fn


N = 200
OKLEN = len(OK)
CASES = [("csv header is the contract's column list", case_csv_header_is_the_contract)]
for _model in ("epoll", "thread"):
    CASES += [
        ("%s keep-alive: 997 sent, 997 counted" % _model, model_case(_model, "keep-alive", 997)),
        ("%s --close: 499 sent, 499 counted" % _model, model_case(_model, "close", 499)),
        ("%s daytime: 499 sent, 499 counted" % _model, model_case(_model, "daytime", 499)),
        ("%s open loop -R 4000: 300 sent, 300 counted" % _model,
         model_case(_model, "keep-alive", 300, conns=4, rate=4000)),
    ]
CASES += [
    ("fairness: slots 0, 2, 3 of 6 served -> conns_served, fairness_jain from the server's counts",
     fairness_case(lambda c, slot, got: slot in (0, 2, 3), 6, 300)),
    ("fairness: slot k served k requests, then refused -> conns_served=3, fairness_jain=0.642857",
     fairness_case(lambda c, slot, got: got < slot, 4, 200, want=[0, 1, 2, 3])),
    ("fairness --close: slots 1, 2 of 4 served -> from the server's counts",
     fairness_case(lambda c, slot, got: slot in (1, 2), 4, 200, close=True)),
    ("fairness -R 3000: slot 3 of 4 refused -> from the server's counts",
     fairness_case(lambda c, slot, got: slot != 3, 4, 150, rate=3000)),
    ("fairness: only the first 3 connections served -> conns_served=3, fairness from their counts",
     case_fairness_first_m_connections),
    ("--think-ms 100: requests near conns x d / think, server's count matches", case_think_time_rate),
    ("--think-ms 100 --requests 20: 20 counted and served, think time between, not in latency",
     case_think_time_exact),
    ("--hist-out of two runs, --merge: summed counts, percentiles of the summed buckets, Jain of the union",
     case_merge_two_runs),
    ("--start-at: two clients start their window together; a moment long past is refused", case_start_at),
    ("--slow 2:head:5: slow heads counted apart, the server sees them", case_slow_head_counted_apart),
    ("--slow 3:idle: each holds a connection the server accepted, unserved, open", case_slow_idle_holds_a_connection),
    ("--pipeline 4 --requests 40: 4 requests per round trip, 40 counted", case_pipeline_batches),
    ("--pipeline 4, 3rd of each batch 500: each response counted in order (30 ok, 10 status)",
     case_pipeline_each_response_counted),
    ("--hist-out with --slow, --merge: slow_conns and the slow clients' counts summed; --pipeline must match",
     case_merge_slow_and_pipeline),
] + [("bad usage: loadgen %s -> exit 2, one line" % " ".join(a), bad_usage_case(a, w)) for a, w in BAD_USAGE] + [
    ("-c 1 --requests 1 -> requests=1", mock_case("ok", 1, {"requests": 1, "bytes": OKLEN}, conns=1)),
    ("http, closed port -> err_connect=50", refused_case(False)),
    ("http --close, closed port -> err_connect=50", refused_case(True)),
]
_HTTP_EXPECT = [
    # mode, expected counts for N requests, exact bytes read (None: not checked)
    ("ok", {"requests": N}, N * OKLEN),
    ("split", {"requests": N}, N * OKLEN),
    ("every3rd_close", {"requests": N}, None),
    ("status500", {"requests": 0, "err_status": N}, None),
    ("status404", {"requests": 0, "err_status": N}, None),
    ("nolen", {"requests": 0, "err_invalid": N}, None),
    ("garbage", {"requests": 0, "err_invalid": N}, None),
    ("extra", {"requests": 0, "err_invalid": N}, None),
    ("short", {"requests": 0, "err_read": N}, None),
    ("close_early", {"requests": 0, "err_read": N}, 0),
    ("reset", {"requests": 0, "err_read": N}, 0),
]
for _mode, _want, _bytes in _HTTP_EXPECT:
    for _close in (False, True):
        CASES.append(("http%s, server: %s -> %s" % (" --close" if _close else "", HTTP_MODES[_mode],
                                                         " ".join("%s=%d" % kv for kv in _want.items())),
                      mock_case(_mode, N, _want, close=_close, resp_bytes=_bytes)))
for _close in (False, True):
    # 4 connections, 8 requests: two rounds of 300 ms timeouts.
    CASES.append(("http --timeout 300%s, server: %s -> err_timeout=8" % (" --close" if _close else "",
                                                                          HTTP_MODES["never"]),
                  mock_case("never", 8, {"requests": 0, "err_timeout": 8}, close=_close, conns=4, timeout_ms=300,
                            resp_bytes=0)))
CASES += [
    ("daytime, server: a valid line -> requests=%d" % N, mock_case("day", N, {"requests": N}, resp_bytes=N * len(DAY))),
    ("daytime, server: the line in 3-byte pieces -> requests=%d" % N,
     mock_case("day_split", N, {"requests": N}, resp_bytes=N * len(DAY))),
    ("daytime, server: a line with a control byte -> err_invalid=%d" % N,
     mock_case("day_bad", N, {"requests": 0, "err_invalid": N})),
    ("daytime, server: a line without CRLF -> err_invalid=%d" % N, mock_case("day_nocrlf", N, {"requests": 0, "err_invalid": N})),
    ("daytime, server: close without a line -> err_read=%d" % N, mock_case("day_empty", N, {"requests": 0, "err_read": N})),
]

# The same counts with --io uring: every case that runs loadgen through loadgen().
CASES += [("--io uring: " + name, with_uring(fn)) for name, fn in list(CASES)
          if name.split(" ")[0] in ("epoll",) or name.startswith(("fairness", "http", "daytime, server"))]
CASES += [("bad usage: loadgen --io kqueue -> exit 2, one line", bad_usage_case(["--io", "kqueue", "http://127.0.0.1:1/"], "--io"))]


def main(argv):
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    only = argv[0] if argv else None

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    failed = 0
    t_start = time.monotonic()
    try:
        if not os.access(LOADGEN, os.X_OK):
            print("not ok - loadgen binary: expected %s (built by make), got it missing" % LOADGEN, flush=True)
            return 1
        for name, fn in CASES:
            if only and only not in name:
                continue
            if time.monotonic() - t_start > BUDGET_S:
                failed += 1
                print("not ok - loadgen %s: expected to run within the file's %.0f s budget, got the budget spent"
                      % (name, BUDGET_S), flush=True)
                continue
            t0 = time.monotonic()
            try:
                fn()
                line = "ok - loadgen %s" % name
            except Skip as e:
                line = "skip - loadgen %s: %s" % (name, e)
            except Fail as e:
                failed += 1
                line = "not ok - loadgen %s: %s" % (name, e)
            except Exception as e:  # a bug in the test itself: say so
                failed += 1
                line = "not ok - loadgen %s: the test raised %s: %s" % (name, type(e).__name__, e)
            finally:
                kill_all()
            if verbose:
                line += " (%.0f ms)" % ((time.monotonic() - t0) * 1000)
            print(line, flush=True)
    except KeyboardInterrupt:
        kill_all()
        print("# interrupted: every server killed", flush=True)
        return 130
    finally:
        kill_all()
    if verbose:
        print("# %.1f s" % (time.monotonic() - t_start), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

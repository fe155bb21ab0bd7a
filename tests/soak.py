#!/usr/bin/env python3
"""soak.py - every model for a long while under a moderate load mixed with misbehaving
clients (`make soak`; not part of `make test`).

For each model (tests/run_tests.py's MODELS that run the robustness suite, or --models):
  1. the server starts pinned to CPU 0 (taskset), with --root (a small file and a 2 MiB
     one) and --idle-ms 1000; the clients run on CPU 1;
  2. warm-up: WARM_CONNS connections cycled through it (iocp-emul's 10,000 connection
     objects each allocate their 8 KiB buffer at first use: after the warm-up that memory
     is in the baseline, not in the growth), then the whole mix below for WARM_MIX_S;
  3. then for --seconds S more: two bin/loadgen at a fixed rate (RATE_CLOSE req/s, a new connection per
     request, and RATE_KEEP req/s on keep-alive connections) and misbehaving clients: resets
     mid-request and mid-response (SO_LINGER 0), half-closes after a request (whose response
     must still come whole), partial heads left to the idle timeout, and a slow reader of the
     2 MiB file (which must still get all of it); fds, RSS, threads and processes sampled
     every second.

A model fails when one well-formed request fails (a loadgen error of any kind, a half-closed
request or a slow reader not answered in full), or when a sampled figure grows steadily:
the least-squares slope over the second half above SLOPE[figure] per second AND the median
of the last quarter above the median of the first quarter by more than MARGIN[figure]
(both: a warm-up rise has a flat second half, a noisy but flat series has equal medians).
fds and RSS are the server's main process; threads and processes the whole session's.
The baseline is the first sample, taken once the warm-up is over and the mix is running.

Prints one line per model, "ok - MODEL: ..." or "not ok - MODEL: ...: expected X, got Y",
with baseline/max/final of each figure, and ends with "N passed, N failed"; writes the
samples to build/soak/MODEL.csv. Ctrl-C (or SIGTERM) stops every server and client.

    python3 tests/soak.py [--seconds 120] [--models epoll,thread] [--bin bin]
    make soak [SOAK_S=120] [MODELS=epoll,thread]
"""

import argparse
import csv
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib  # noqa: E402
import limits  # noqa: E402
from lib import CaseFail, request_bytes  # noqa: E402
from run_tests import MODELS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_CPU, CLIENT_CPU = 0, 1
RATE_CLOSE = 150                 # req/s, a new connection each
RATE_KEEP = 100                  # req/s over KEEP_CONNS keep-alive connections
KEEP_CONNS = 4
WARM_CONNS = 12000
WARM_BIG = 24                    # concurrent 2 MiB reads per warm-up round (4 rounds)
WARM_MIX_S = 10                  # the whole mix runs this long before the first sample (the baseline)
BIG_BYTES = 2 << 20
SLOW_BPS = 1 << 20               # the slow reader's pace, bytes/s
IDLE_MS = 1000
MISBEHAVE_GAP_S = 0.5            # between two misbehaving clients (iterative: 4x longer)

# Steady growth: slope over the second half (per second) and last-vs-first quarter medians.
SLOPE = {"fds": 0.05, "rss_kb": 4.0, "threads": 0.02, "procs": 0.02}
MARGIN = {"fds": 3, "rss_kb": 512, "threads": 2, "procs": 2}
FIGURES = ("fds", "rss_kb", "threads", "procs")


# ---------------------------------------------------------------- misbehaving clients

def _sock(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5.0)
    s.connect((lib.HOST, port))
    return s


def _reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def reset_mid_request(port):
    s = _sock(port)
    s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: loc")
    time.sleep(0.01)
    _reset(s)


def reset_mid_response(port):
    s = _sock(port, rcvbuf=4096)
    s.sendall(request_bytes("GET", "/big.bin"))
    s.recv(1000)
    _reset(s)


def partial_head(port):
    """A head never finished: the server closes it after --idle-ms (we stop waiting at 3 s)."""
    s = _sock(port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: lo")
    s.settimeout(3.0)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()


def half_close(port):
    """Well-formed: the whole response must come after we shut our write side."""
    c = lib.Conn(port, timeout=5.0)
    try:
        c.send(request_bytes("GET", "/a.txt", headers=["Connection: close"]))
        c.shutdown_write()
        r = c.read_response(what="the response to a half-closed request")
        if r.status != 200 or r.body != SMALL_BODY:
            raise CaseFail("expected 200 and the %d-byte /a.txt after a half-close, got %d and %d bytes"
                           % (len(SMALL_BODY), r.status, len(r.body)))
    finally:
        c.close()


def slow_reader(port):
    """Well-formed: the 2 MiB file read at ~1 MiB/s through a 4 KiB receive buffer, all of it."""
    s = _sock(port, rcvbuf=4096)
    try:
        s.sendall(request_bytes("GET", "/big.bin", headers=["Connection: close"]))
        got = 0
        head = b""
        while b"\r\n\r\n" not in head:
            data = s.recv(4096)
            if not data:
                raise CaseFail("expected a response head for the slow reader, got %s" % lib.short(head))
            head += data
        i = head.index(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise CaseFail("expected 200 for the slow reader, got %r" % head[:40])
        got = len(head) - i - 4
        while got < BIG_BYTES:
            data = s.recv(16384)
            if not data:
                raise CaseFail("expected the slow reader to get all %d bytes, got %d before the close"
                               % (BIG_BYTES, got))
            got += len(data)
            time.sleep(len(data) / SLOW_BPS)
    except socket.timeout:
        raise CaseFail("expected the slow reader's data to keep coming, got 5 s of silence")
    finally:
        s.close()


RUDE = (reset_mid_request, reset_mid_response, half_close, partial_head)
SMALL_BODY = b"soak\n" * 20


class Misbehavers:
    """Two threads: one runs the rude clients in turn, one slow reader after another.
    A failure of a well-formed one (half-close, slow reader) is recorded; the others'
    errors (the server resetting a rude client) are what they provoke and are ignored."""

    def __init__(self, port, gap_s):
        self.port = port
        self.gap_s = gap_s
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []
        self.threads = [threading.Thread(target=self._loop, args=(RUDE,), daemon=True),
                        threading.Thread(target=self._loop, args=((slow_reader,),), daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()

    def _loop(self, kinds):
        i = 0
        while not self.stop.is_set():
            fn = kinds[i % len(kinds)]
            i += 1
            err = None
            try:
                fn(self.port)
            except CaseFail as e:
                err = str(e)
            except OSError as e:
                if fn in (half_close, slow_reader):
                    err = "%s: %s" % (fn.__name__, e)
            with self.lock:
                self.counts[fn.__name__] = self.counts.get(fn.__name__, 0) + 1
                if err:
                    self.failures.append(err)
            self.stop.wait(self.gap_s)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)


# ---------------------------------------------------------------- load and samples

def loadgen(binary, port, rate, seconds, close):
    argv = [binary, "-R", str(rate), "-c", str(KEEP_CONNS if not close else 8), "-t", "1",
            "-d", "%ds" % seconds, "--timeout", "5000", "--csv"]
    if close:
        argv.append("--close")
    argv.append("http://%s:%d/a.txt" % (lib.HOST, port))
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def loadgen_result(p, timeout):
    """(requests, {error kind: count}) from loadgen's --csv row, or raise CaseFail."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise CaseFail("expected loadgen to finish within %.0f s, got it still running (killed)" % timeout)
    rows = list(csv.DictReader(out.splitlines()))
    if p.returncode != 0 or not rows:
        raise CaseFail("expected loadgen to exit 0 with a CSV row, got %s; stderr: %s"
                       % (lib.describe_status(p.returncode), " | ".join(err.strip().splitlines()[-3:])))
    row = rows[-1]
    errors = {k[4:]: int(v) for k, v in row.items() if k.startswith("err_") and v and int(v)}
    return int(row["requests"]), errors


def sample(pid, t0):
    f = limits.footprint(pid)
    return {"t_s": round(time.monotonic() - t0, 2), "fds": f.fds, "rss_kb": f.rss_kb,
            "threads": f.threads, "procs": f.procs}


def slope(ts, ys):
    """Least-squares slope of ys over ts (units per second)."""
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    den = sum((t - mt) ** 2 for t in ts)
    return 0.0 if den == 0 else sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / den


def growth(samples, key):
    """(grows, slope over the second half, first-quarter median, last-quarter median)."""
    n = len(samples)
    ys = [s[key] for s in samples]
    ts = [s["t_s"] for s in samples]
    half = n // 2
    b = slope(ts[half:], ys[half:])
    q = max(1, n // 4)
    q1, q4 = statistics.median(ys[:q]), statistics.median(ys[-q:])
    return b > SLOPE[key] and q4 - q1 > MARGIN[key], b, q1, q4


# ---------------------------------------------------------------- one model

def make_root():
    d = tempfile.mkdtemp(prefix="soak-root-")
    with open(os.path.join(d, "a.txt"), "wb") as f:
        f.write(SMALL_BODY)
    with open(os.path.join(d, "big.bin"), "wb") as f:
        f.write(os.urandom(BIG_BYTES))
    return d


def warm_up(port, n):
    """Cycle n connections through the server (200 at a time), each one GET; then rounds of
    WARM_BIG concurrent GETs of the 2 MiB file (the body is read into a malloc'd buffer: a
    thread model's malloc arenas, one per thread under contention, each grow by it once)."""
    def cycle(path, total, batch):
        get = request_bytes("GET", path, headers=["Connection: close"])
        done = 0
        while done < total:
            crowd = lib.Crowd(port, min(batch, total - done))
            crowd.connect()
            crowd.exchange(get, timeout=30, close_after=True)
            crowd.close()
            done += crowd.n
    cycle("/a.txt", n, 200)
    cycle("/big.bin", WARM_BIG * 4, WARM_BIG)


def pin_argv(cpu, argv):
    if os.cpu_count() and os.cpu_count() > cpu and os.path.exists("/usr/bin/taskset"):
        return ["taskset", "-c", str(cpu)] + argv
    return argv


class Result:
    def __init__(self, label):
        self.label = label
        self.problems = []
        self.samples = []
        self.requests = 0
        self.failures = 0
        self.counts = {}
        self.duration_s = 0.0


def soak_model(label, model, variant, args, root):
    res = Result(label)
    binary = os.path.join(args.bin, model)
    argv = pin_argv(SERVER_CPU, [binary, "-p", "0", "--quiet", "--root", root, "--idle-ms", str(IDLE_MS)]
                    + list(variant))
    s = lib.Server(argv, label=label)
    s.start()
    loads = []
    rude = None
    try:
        warm_up(s.port, WARM_CONNS if model != "iterative" else 2000)
        gap = MISBEHAVE_GAP_S * (4 if model == "iterative" else 1)
        run_s = WARM_MIX_S + args.seconds
        loads = [loadgen(args.loadgen, s.port, RATE_CLOSE, run_s, close=True),
                 loadgen(args.loadgen, s.port, RATE_KEEP, run_s, close=False)]
        rude = Misbehavers(s.port, gap)
        rude.start()
        time.sleep(WARM_MIX_S)
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            if not s.alive():
                res.problems.append("expected the server to run through the soak, got it %s after %.0f s; "
                                    "stderr: %s" % (s.status(), time.monotonic() - t0, s.stderr_tail()))
                break
            res.samples.append(sample(s.pid, t0))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0) % 1.0))
        res.duration_s = time.monotonic() - t0
        rude.finish()
        for p in loads:
            try:
                n, errors = loadgen_result(p, 15)
                res.requests += n
                res.failures += sum(errors.values())
                if errors:
                    res.problems.append("expected no failed well-formed request, got loadgen errors %s"
                                        % ", ".join("%s %d" % kv for kv in sorted(errors.items())))
            except CaseFail as e:
                res.problems.append(str(e))
        res.counts = dict(rude.counts)
        if rude.failures:
            res.failures += len(rude.failures)
            res.problems.append("expected every half-closed request and slow reader served in full, got %d "
                                "failures, the first: %s" % (len(rude.failures), rude.failures[0]))
        res.requests += rude.counts.get("half_close", 0) + rude.counts.get("slow_reader", 0)
    finally:
        if rude:
            rude.finish()
        for p in loads:
            if p.poll() is None:
                p.kill()
                p.wait()
        rc = s.stop()
        report = s.new_sanitizer_report()
        if report:
            res.problems.append("expected no sanitizer report, got:\n    %s" % report)
        elif rc not in (0, None) and not res.problems:
            res.problems.append("expected exit 0 on SIGTERM after the soak, got %s" % lib.describe_status(rc))
        s.cleanup_files()
    judge(res)
    return res


def judge(res):
    if len(res.samples) < 8:
        res.problems.append("expected at least 8 samples, got %d" % len(res.samples))
        return
    for key in FIGURES:
        grows, b, q1, q4 = growth(res.samples, key)
        if grows:
            res.problems.append("expected %s not to grow steadily, got a slope of %+.3f/s over the second half "
                                "(threshold %g) and a last-quarter median of %g against %g in the first "
                                "(margin %g)" % (key, b, SLOPE[key], q4, q1, MARGIN[key]))


def summary(res):
    parts = ["%.0f s" % res.duration_s]
    if res.samples:
        for key, name in (("fds", "fds"), ("rss_kb", "RSS KiB"), ("threads", "threads"), ("procs", "procs")):
            ys = [s[key] for s in res.samples]
            parts.append("%s %d/%d/%d" % (name, ys[0], max(ys), ys[-1]))
    parts.append("requests %d ok, %d failed" % (res.requests - res.failures, res.failures))
    parts.append("rude %s" % " ".join("%s=%d" % kv for kv in sorted(res.counts.items())))
    return "; ".join(parts) + " (baseline/max/final)"


def write_samples(res, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, res.label.replace("/", "_") + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=("t_s",) + FIGURES)
        w.writeheader()
        w.writerows(res.samples)
    return path


# ---------------------------------------------------------------- main

def select(spec):
    jobs = [m for m in MODELS if "robustness" in m[3]]
    if not spec:
        return jobs
    wanted = [w.strip() for w in spec.replace(" ", ",").split(",") if w.strip()]
    unknown = [w for w in wanted if not any(w in (m[0], m[1]) for m in jobs)]
    if unknown:
        sys.exit("soak.py: unknown model(s) %s; known: %s" % (", ".join(unknown), ", ".join(m[0] for m in jobs)))
    return [m for m in jobs if m[0] in wanted or m[1] in wanted]


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Soak every model: moderate load, misbehaving clients, "
                                             "fds/RSS/threads/processes sampled every second.")
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_S") or 120),
                    help="seconds per model (default $SOAK_S or 120)")
    ap.add_argument("--models", default=os.environ.get("SOAK_MODELS", ""),
                    help="comma-separated subset (default: every model)")
    ap.add_argument("--bin", default=os.environ.get("BIN", "bin"), help="binary directory (default $BIN or bin)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "soak"), help="where the samples go")
    args = ap.parse_args(argv)
    if args.seconds < 10:
        ap.error("--seconds must be at least 10 (the growth test needs samples)")
    args.bin = os.path.abspath(args.bin if os.path.isabs(args.bin) else os.path.join(ROOT, args.bin))
    args.loadgen = os.path.join(args.bin, "loadgen")
    return args


def main(argv):
    args = parse_args(argv)
    lib.configure(os.environ.get("SANITIZE", ""))
    jobs = select(args.models)
    missing = [p for p in [args.loadgen] + [os.path.join(args.bin, m[1]) for m in jobs] if not os.access(p, os.X_OK)]
    if missing:
        sys.exit("soak.py: %s missing: run make first" % ", ".join(missing))
    if os.cpu_count() and os.cpu_count() > CLIENT_CPU:
        os.sched_setaffinity(0, {CLIENT_CPU})      # this process, its threads, and the loadgens
    else:
        print("# one CPU only: server and clients not pinned apart")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)          # also when started with SIGINT ignored (&)
    root = make_root()
    passed = failed = 0
    try:
        for label, model, variant, _ in jobs:
            try:
                res = soak_model(label, model, variant, args, root)
            except CaseFail as e:
                res = Result(label)
                res.problems.append(str(e))
            path = write_samples(res, args.out) if res.samples else None
            if res.problems:
                failed += 1
                print("not ok - %s: %s: %s" % (label, summary(res), "; ".join(res.problems)))
            else:
                passed += 1
                print("ok - %s: %s" % (label, summary(res)))
            if path:
                print("#   samples: %s" % os.path.relpath(path))
            sys.stdout.flush()
    except KeyboardInterrupt:
        lib.kill_all_servers()
        print("# interrupted: every server and client stopped")
        print("%d passed, %d failed" % (passed, failed))
        return 130
    finally:
        lib.kill_all_servers()
        for name in os.listdir(root):
            os.unlink(os.path.join(root, name))
        os.rmdir(root)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""run_tests.py - the suite's test runner (`make test`).

Runs, in order:
  1. every unit test binary in $BIN/tests/ (TAP: "ok N - name" / "not ok N - name";
     exit 0 pass, 1 fail, 77 skip; each TAP line is a case, a crash is a failure);
  2. the harness tests, tests/test_harness.py and tests/test_loadgen.py, each as a
     subprocess with BIN and SANITIZE passed on (their "ok - ...", "not ok - ..." and
     "skip - ..." / "ok - ... # skip" lines are the cases; a non-zero exit with no
     failing case printed is one failure);
  3. the fuzz targets (tests/fuzz/, bin/fuzz/fuzz_*), each for FUZZ_CASE_S seconds (6):
     one case per target, ok when it did not crash; skipped when clang's libFuzzer is
     missing (the targets are always ASan + UBSan builds, whatever SANITIZE is);
  4. the conformance suite (tests/conformance.py) against every model;
  5. the robustness suite (tests/robustness.py) against every model;
  6. the labs' checkers checked (tests/test_labs.py: reference passes, starter and mutants fail).
Parts 1, 2, 3 and 6 run when no --models is given, or alone with --only unit / harness / fuzz / labs.

Prints one line per case, "ok - <model> <case>", "not ok - <model> <case>: expected X,
got Y" or "skip - <model> <case>: reason", and ends with the line
"N passed, N failed[, N skipped]". Exit status 1 if anything failed.

Environment: BIN (default bin; bin/address-undefined, bin/tsan for sanitizer builds),
SANITIZE (as given to make; scales timeouts and, for thread, the big connection counts).

Every server runs in its own session and is killed (with its children) when its case
ends, on an exception, and on Ctrl-C.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))
import fuzz  # noqa: E402
from lib import CaseFail, CaseSkip  # noqa: E402
import conformance  # noqa: E402
import robustness  # noqa: E402

# label, binary (model), extra arguments, suites
MODELS = [
    ("iterative", "iterative", [], ("conformance", "robustness")),
    ("fork", "fork", [], ("conformance", "robustness")),
    ("fork/w4", "fork", ["--workers", "4"], ("conformance",)),
    ("thread", "thread", [], ("conformance", "robustness")),
    ("thread/w8", "thread", ["--workers", "8"], ("conformance",)),
    ("select", "select", [], ("conformance", "robustness")),
    ("epoll", "epoll", [], ("conformance", "robustness")),
    ("epoll/w2", "epoll", ["--workers", "2"], ("conformance",)),
    ("libevent", "libevent", [], ("conformance", "robustness")),
    ("libevent/w2", "libevent", ["--workers", "2"], ("conformance",)),
    ("iocp-emul/io_uring", "iocp-emul", ["--backend", "io_uring"], ("conformance", "robustness")),
    ("iocp-emul/epoll", "iocp-emul", ["--backend", "epoll"], ("conformance", "robustness")),
    # issue 19: four receives posted per connection, more workers than CPUs; eight, with workers
    # that wait 0-200 us before taking a completion (--jitter-us: reordering happens); zero-byte
    # reads; a budget that refuses most receives (the server falls back to zero-byte reads)
    ("iocp-emul/r4w4", "iocp-emul", ["--pending-reads", "4", "--workers", "4"], ("conformance",)),
    ("iocp-emul/epoll-r4w4", "iocp-emul", ["--backend", "epoll", "--pending-reads", "4", "--workers", "4"],
     ("conformance",)),
    ("iocp-emul/r8w8", "iocp-emul", ["--pending-reads", "8", "--workers", "8", "--jitter-us", "200"],
     ("conformance",)),
    ("iocp-emul/epoll-r8w8", "iocp-emul",
     ["--backend", "epoll", "--pending-reads", "8", "--workers", "8", "--jitter-us", "200"], ("conformance",)),
    ("iocp-emul/zero", "iocp-emul", ["--zero-byte-read"], ("conformance",)),
    ("iocp-emul/budget", "iocp-emul", ["--pending-reads", "4", "--buffer-budget", "16384"], ("conformance",)),
    ("pth", "pth", [], ("conformance", "robustness")),
    ("st", "st", [], ("conformance", "robustness")),
    ("uthread", "uthread", [], ("conformance", "robustness")),
    ("uthread/w2", "uthread", ["--workers", "2"], ("conformance",)),
    ("uring", "uring", [], ("conformance", "robustness")),
    ("uring/w2", "uring", ["--workers", "2"], ("conformance",)),
]

SUITES = {"conformance": conformance.CASES, "robustness": robustness.CASES}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.passed = self.failed = self.skipped = 0

    def add(self, kind):
        with self.lock:
            if kind == "ok":
                self.passed += 1
            elif kind == "not ok":
                self.failed += 1
            else:
                self.skipped += 1

    def line(self):
        s = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            s += ", %d skipped" % self.skipped
        return s


TALLY = Tally()
PRINT_LOCK = threading.Lock()


def emit(lines):
    with PRINT_LOCK:
        for line in lines:
            print(line)
        sys.stdout.flush()


class Output:
    """Case lines of one job: printed at once (-j 1) or as one block when the job ends."""

    def __init__(self, live):
        self.live = live
        self.lines = []

    def result(self, kind, who, msg=None):
        TALLY.add(kind)
        line = "%s - %s" % (kind, who)
        if msg:
            line += ": " + msg
        self.write(line)

    def write(self, line):
        if self.live:
            emit([line])
        else:
            self.lines.append(line)

    def flush(self):
        if self.lines:
            emit(self.lines)
            self.lines = []


# ---------------------------------------------------------------- unit tests

TAP_RE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
PLAN_RE = re.compile(r"^1\.\.(\d+)")


def run_unit(path, args, out):
    name = "unit:" + os.path.basename(path)
    timeout = lib.scaled(120)
    try:
        p = subprocess.run([path], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           start_new_session=True)
    except subprocess.TimeoutExpired:
        out.result("not ok", name, "expected the test binary to finish within %.0f s, got it still running "
                   "(killed)" % timeout)
        return
    stdout = p.stdout.decode("utf-8", "replace")
    stderr = p.stderr.decode("utf-8", "replace")
    plan = None
    cases = 0
    failed = 0
    for line in stdout.splitlines():
        m = PLAN_RE.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = TAP_RE.match(line)
        if not m:
            if args.verbose and line.strip():
                out.write("# %s: %s" % (name, line))
            continue
        cases += 1
        text = m.group(3).strip() or "case %s" % (m.group(2) or cases)
        if not args.k or args.k in text or args.k in name:
            directive = re.search(r"#\s*(skip|todo)\b\s*(.*)$", text, re.I)
            if directive and directive.group(1).lower() == "skip":
                out.result("skip", "%s %s" % (name, text[:directive.start()].strip()),
                           directive.group(2) or "skipped")
            elif m.group(1) == "ok":
                out.result("ok", "%s %s" % (name, text))
            else:
                failed += 1
                out.result("not ok", "%s %s" % (name, text), "the test reported failure (see its output: %s)"
                           % path)
    rc = p.returncode
    report = lib.sanitizer_report(stderr)
    if report:
        out.result("not ok", "%s sanitizers" % name, "expected no sanitizer report, got:\n    %s" % report)
    if rc == 77:
        if cases == 0:
            last = (stdout.strip().splitlines() or stderr.strip().splitlines() or ["exit 77"])[-1]
            out.result("skip", name, last[:200])
        return
    if rc == 0 and failed == 0 and plan is not None and cases != plan:
        out.result("not ok", "%s plan" % name, "expected %d cases (plan 1..%d), got %d" % (plan, plan, cases))
    elif rc == 1 and failed == 0:
        out.result("not ok", name, "expected exit 0, got exit 1 with no failing case printed; stderr: %s"
                   % tail(stderr))
    elif rc not in (0, 1):
        out.result("not ok", name, "expected exit 0, 1 or 77, got %s after %d cases; stderr: %s"
                   % (lib.describe_status(rc), cases, tail(stderr)))
    elif rc == 0 and cases == 0:
        out.result("not ok", name, "expected TAP lines 'ok N - name' on stdout, got none")


def tail(text, n=4):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:]) if lines else "(empty)"


def run_units(bindir, args):
    out = Output(live=True)
    tdir = os.path.join(bindir, "tests")
    paths = []
    if os.path.isdir(tdir):
        paths = sorted(os.path.join(tdir, f) for f in os.listdir(tdir)
                       if os.path.isfile(os.path.join(tdir, f)) and os.access(os.path.join(tdir, f), os.X_OK))
    if not paths:
        out.result("not ok", "unit", "expected unit test binaries in %s/ (built by make from tests/unit/*.c), "
                   "got none" % tdir)
        return
    for p in paths:
        run_unit(p, args, out)


# ---------------------------------------------------------------- harness tests

HARNESS_TESTS = ["test_harness.py", "test_loadgen.py", "test_hosts.py"]
HARNESS_LINE_RE = re.compile(r"^(not ok|ok|skip) - (.*)$")
HARNESS_SKIP_RE = re.compile(r"\s+#\s*skip\b\s*(.*)$", re.I)


def run_harness_test(script, args, out):
    """One harness test script as a subprocess in its own session: each of its case lines
    is counted as it comes. On a timeout or Ctrl-C it gets SIGTERM (it kills what it started),
    then its session gets SIGKILL."""
    name = "harness:" + script
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), script)
    argv = [sys.executable, path]
    if script == "test_loadgen.py" and args.verbose:
        argv.append("-v")
    if args.k and args.k not in script:
        argv.append(args.k)            # both scripts take a case-name substring
    env = dict(os.environ, BIN=args.bin, SANITIZE=lib.SANITIZE)
    timeout = lib.scaled(300)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, start_new_session=True, text=True, errors="replace")
    timed_out = threading.Event()

    def stop():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(3.0)
            except subprocess.TimeoutExpired:
                pass
        kill_session(p.pid)

    def on_timeout():
        timed_out.set()
        stop()
    timer = threading.Timer(timeout, on_timeout)
    timer.daemon = True
    timer.start()
    stderr_chunks = []
    err_reader = threading.Thread(target=lambda: stderr_chunks.append(p.stderr.read()), daemon=True)
    err_reader.start()
    cases = failed = 0
    try:
        for line in p.stdout:
            line = line.rstrip("\n")
            m = HARNESS_LINE_RE.match(line)
            if not m:
                if line.strip() and (args.verbose or line[:1].isspace()):
                    out.write(line if line[:1].isspace() else "# %s: %s" % (name, line))
                continue
            cases += 1
            kind, rest = m.group(1), m.group(2)
            skip = HARNESS_SKIP_RE.search(rest) if kind == "ok" else None
            if skip:
                out.result("skip", rest[:skip.start()], skip.group(1) or "skipped")
            elif kind == "skip":
                who, _, why = rest.partition(": ")
                out.result("skip", who, why or "skipped")
            else:
                failed += kind == "not ok"
                who, sep, msg = rest.partition(": ") if kind == "not ok" else (rest, "", "")
                out.result(kind, who, msg or None)
        rc = p.wait()
    except BaseException:
        stop()
        raise
    finally:
        timer.cancel()
        kill_session(p.pid)          # whatever it left in its session
    err_reader.join(2.0)
    stderr = "".join(stderr_chunks)
    report = lib.sanitizer_report(stderr)
    if report:
        out.result("not ok", "%s sanitizers" % name, "expected no sanitizer report, got:\n    %s" % report)
    if timed_out.is_set():
        out.result("not ok", name, "expected it to finish within %.0f s, got it still running after %d cases "
                   "(killed)" % (timeout, cases))
    elif rc != 0 and failed == 0:
        out.result("not ok", name, "expected exit 0 (or a failing case printed), got %s after %d cases; stderr: %s"
                   % (lib.describe_status(rc), cases, tail(stderr)))
    elif rc == 0 and cases == 0 and not args.k:
        out.result("not ok", name, "expected case lines 'ok - ...' on stdout, got none; stderr: %s" % tail(stderr))


def run_labs(args):
    run_harness_test("test_labs.py", args, Output(live=True))


def kill_session(sid):
    try:
        os.killpg(sid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_harness(args):
    out = Output(live=True)
    for script in HARNESS_TESTS:
        run_harness_test(script, args, out)


# ---------------------------------------------------------------- fuzz targets

FUZZ_CASE_S = 6   # per target: about 20 s for the three


def run_fuzz(args, tmp):
    """Each fuzz target for FUZZ_CASE_S seconds on a scratch corpus (the committed seeds are
    only read): ok when it did not crash, else the crash file and how to reproduce it."""
    out = Output(live=True)
    for t in fuzz.TARGETS:
        name = "fuzz:%s" % t
        if args.k and args.k not in name:
            continue
        why = fuzz.missing_reason(t)
        if why:
            out.result("skip", name, why)
            continue
        scratch = tempfile.mkdtemp(prefix="fuzz-%s-" % t, dir=tmp)
        res = fuzz.run(t, FUZZ_CASE_S, corpus=os.path.join(scratch, "corpus"), work=scratch,
                       timeout=lib.scaled(120))
        if res.ok():
            out.result("ok", "%s no crash in %s s (%s executions)" % (name, res.seconds, res.execs))
        else:
            out.result("not ok", "%s no crash in %d s" % (name, FUZZ_CASE_S),
                       "expected no crash, got %s" % res.line().split(": ", 1)[1])


# ---------------------------------------------------------------- models

class Context:
    """What a case sees: the model, its binary, shared servers, and helpers whose
    sockets and servers are closed and killed when the case ends."""

    SHARED_CFG = {"plain": [], "root": None, "daytime": ["--proto", "daytime"]}

    def __init__(self, label, model, binary, variant, fixture, args, out):
        self.model = label            # as printed: "fork/w4"
        self.base = model             # the binary's model: "fork"
        self.server_name = model      # expected Server: header
        self.binary = binary
        self.variant = list(variant)
        self.fixture = fixture
        self.args = args
        self.out = out
        self.tsan = "thread" in (lib.SANITIZE or "")
        self.sanitized = bool(lib.SANITIZE)
        self.shared = {}              # cfg -> Server
        self.start_failed = {}        # cfg -> why the shared server did not start
        self.srv = None               # the shared server of the running case
        self.port = None
        self._conns = []
        self._crowds = []
        self._servers = []

    # -- servers
    def shared_args(self, cfg):
        if cfg == "root":
            return ["--root", self.fixture.root]
        return self.SHARED_CFG[cfg]

    def server(self, cfg):
        """The shared server for cfg, (re)started when needed. If it once failed to start,
        the later cases fail at once instead of waiting for it again."""
        if cfg in self.start_failed:
            raise CaseFail("expected the %s server to start, got the start failure reported above (%s)"
                           % (cfg, self.start_failed[cfg][:100]))
        s = self.shared.get(cfg)
        if s is None or not s.alive():
            if s is not None:
                s.kill()
                s.cleanup_files()
            argv = [self.binary, "-p", "0", "--quiet"] + self.variant + self.shared_args(cfg)
            s = lib.Server(argv, label=self.model)
            try:
                s.start()
            except CaseFail as e:
                self.start_failed[cfg] = str(e)
                raise
            self.shared[cfg] = s
            self.log("started %s (pid %d, port %d)" % (s.cmdline(), s.pid, s.port))
        return s

    def start(self, extra=(), nofile=None, variant=True, ready=True, env=None):
        """A server of this case only (stopped, and checked for sanitizer reports, when the case ends)."""
        argv = [self.binary] + list(extra) + (self.variant if variant else [])
        s = lib.Server(argv, env=env, nofile=nofile, label=self.model)
        self._servers.append(s)
        if ready:
            s.start()
            self.log("started %s (pid %d, port %d)" % (s.cmdline(), s.pid, s.port))
        else:
            s.launch()
        return s

    def start_default(self, *extra, nofile=None, env=None):
        return self.start(["-p", "0", "--quiet"] + list(extra), nofile=nofile, env=env)

    # -- clients
    def conn(self, port=None, **kw):
        c = lib.Conn(port or self.port, **kw)
        self._conns.append(c)
        return c

    def crowd(self, n, port=None):
        c = lib.Crowd(port or self.port, n)
        self._crowds.append(c)
        return c

    def get(self, path="/", port=None, headers=None, version="HTTP/1.1", method="GET"):
        """One request on a new connection (Connection: close); the response."""
        c = self.conn(port)
        hdrs = list(headers or [])
        if not any(h.lower().startswith("connection:") for h in hdrs):
            hdrs.append("Connection: close")
        c.send(lib.request_bytes(method, path, version, hdrs))
        r = c.read_response(method)
        c.close()
        return r

    def count(self, normal, tsan):
        return tsan if self.tsan else normal

    def note(self, msg):
        """A figure the case reports (not asserted): a '#' line in the model's output, always."""
        self.out.write("#   %s: %s" % (self.model, msg))

    def log(self, msg):
        if self.args.verbose:
            emit(["#   %s: %s" % (self.model, msg)])

    def end_case(self):
        """Close the case's sockets; stop its own servers. A sanitizer report or a
        crash of one of them is returned as a failure message."""
        for c in self._conns:
            c.close()
        for c in self._crowds:
            c.close()
        self._conns = []
        self._crowds = []
        problem = None
        for s in self._servers:
            if s.proc is None:
                continue
            crashed = s.proc.poll()
            s.stop()
            report = s.new_sanitizer_report()
            if report and not problem:
                problem = "expected no sanitizer report, got:\n    %s" % report
            elif crashed is not None and crashed < 0 and not problem and not getattr(s, "expect_exit", False):
                problem = "expected the server to keep running, got it %s; stderr: %s" % (
                    lib.describe_status(crashed), s.stderr_tail())
            s.cleanup_files()
        self._servers = []
        return problem

    def alive_check(self, cfg, failed=False):
        """After a case on a shared server: still running, sanitizer-clean, and serving.
        After a case that failed already, only a crash or a sanitizer report is added."""
        s = self.shared.get(cfg)
        if s is None:
            return None
        if not s.alive():
            rc = s.proc.poll()
            report = s.new_sanitizer_report()
            msg = "expected the server to survive this case, got it %s" % lib.describe_status(rc)
            if report:
                msg += "; sanitizer:\n    %s" % report
            else:
                msg += "; stderr: %s" % s.stderr_tail()
            return msg
        report = s.new_sanitizer_report()
        if report:
            return "expected no sanitizer report, got:\n    %s" % report
        if failed:
            return None
        try:
            if cfg == "daytime":
                c = lib.Conn(s.port)
                try:
                    line = c.read_until_eof()
                finally:
                    c.close()
                if not line.endswith(b"\r\n"):
                    return "expected the daytime server to answer a new connection after this case, got %s" % (
                        lib.short(line))
            else:
                r = self.get("/a.txt" if cfg == "root" else "/", port=s.port)
                if r.status != 200:
                    return "expected a normal GET on a new connection to answer 200 after this case, got %d" % (
                        r.status)
        except CaseFail as e:
            return "expected the server to answer a normal request after this case: %s" % e
        finally:
            for c in self._conns:
                c.close()
            self._conns = []
        report = s.new_sanitizer_report()
        if report:
            return "expected no sanitizer report, got:\n    %s" % report
        return None


def run_case(ctx, case):
    name = case.name
    who = "%s %s" % (ctx.model, name)
    t0 = time.monotonic()
    kind, msg = "ok", None
    if ctx.args.verbose and not ctx.out.live:
        emit(["#   %s: running %s" % (ctx.model, name)])
    try:
        ctx.srv = None
        if case.server:
            ctx.srv = ctx.server(case.server)
            ctx.port = ctx.srv.port
            ctx.srv.new_sanitizer_report()
        case.fn(ctx)
    except CaseSkip as e:
        kind, msg = "skip", str(e)
    except CaseFail as e:
        kind, msg = "not ok", str(e)
    except Exception as e:  # a bug in the test itself: say so, with where
        tb = traceback.extract_tb(e.__traceback__)[-1]
        kind, msg = "not ok", "the test itself raised %s: %s (%s:%d)" % (
            type(e).__name__, e, os.path.basename(tb.filename), tb.lineno)
    problem = ctx.end_case()
    if problem is None and case.server and kind != "skip":
        problem = ctx.alive_check(case.server, failed=(kind == "not ok"))
    if problem:
        if kind == "not ok":
            msg += "; and " + problem
        else:
            kind, msg = "not ok", problem
    if kind == "not ok" and ctx.args.verbose:
        for s in list(ctx.shared.values()):
            msg += "\n    server %s stderr: %s" % (s.cmdline(), s.stderr_tail(8))
    if ctx.args.verbose:
        who += " (%.0f ms)" % ((time.monotonic() - t0) * 1000)
    ctx.out.result(kind, who, msg)


def shutdown_shared(ctx):
    """The suite's own servers get SIGTERM at the end: exit 0, only the ready line on stdout,
    no sanitizer report (leaks are reported at exit)."""
    for cfg, s in sorted(ctx.shared.items()):
        who = "%s clean exit of the suite's %s server on SIGTERM" % (ctx.model, cfg)
        if not s.alive():
            s.kill()
            s.cleanup_files()
            continue      # its death was reported by the case that ran last
        rc = s.stop(timeout=2.0)
        msgs = []
        report = s.new_sanitizer_report()
        if rc is None:
            msgs.append("expected exit 0 within %.0f s of SIGTERM, got still running (killed)" % lib.scaled(2))
        elif rc != 0:
            msgs.append("expected exit 0 after SIGTERM, got %s%s" % (
                lib.describe_status(rc), "" if report else "; stderr: %s" % s.stderr_tail()))
        out = s.stdout()
        if out.count("\n") != 1:
            msgs.append("expected only the ready line on stdout, got %s" % lib.short(out, 200))
        if report:
            msgs.append("expected no sanitizer report, got:\n    %s" % report)
        ctx.out.result("not ok" if msgs else "ok", who, "; ".join(msgs) if msgs else None)
        s.cleanup_files()
    ctx.shared = {}


def run_model(label, model, variant, suites, fixture, args, live):
    out = Output(live)
    binary = dict(args.binary).get(model) or os.path.join(args.bin, model)
    try:
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            out.result("not ok", "%s (binary)" % label,
                       "expected the model's binary %s (built by make), got it missing" % binary)
            return
        ctx = Context(label, model, binary, variant, fixture, args, out)
        try:
            for suite in suites:
                if args.only and args.only != suite:
                    continue
                for case in SUITES[suite]:
                    if not case.applies(model):
                        continue
                    if args.k and args.k not in case.name and args.k not in "%s %s" % (label, case.name):
                        continue
                    run_case(ctx, case)
            shutdown_shared(ctx)
        finally:
            for s in ctx.shared.values():
                s.kill()
    finally:
        out.flush()


def select_models(spec):
    if not spec:
        return MODELS
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    chosen = [m for m in MODELS if m[0] in wanted or m[1] in wanted]
    unknown = [w for w in wanted if not any(w in (m[0], m[1]) for m in MODELS)]
    if unknown:
        sys.exit("run_tests.py: unknown model(s) %s; known: %s" % (
            ", ".join(unknown), ", ".join(m[0] for m in MODELS)))
    return chosen


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Unit, harness, conformance and robustness tests of the server models.",
        epilog="Environment: BIN=bin|bin/address-undefined|bin/tsan, SANITIZE=address,undefined|thread. "
               "Models: " + ", ".join(m[0] for m in MODELS))
    ap.add_argument("--models", help="comma-separated subset (a model name selects its variants too)")
    ap.add_argument("--only", choices=("unit", "harness", "fuzz", "conformance", "robustness", "labs"),
                    help="run one part only")
    ap.add_argument("-k", metavar="SUBSTRING", help="run only the cases whose name contains SUBSTRING")
    ap.add_argument("-v", "--verbose", action="store_true", help="timings, progress and server stderr")
    ap.add_argument("-j", type=int, default=2, metavar="N", help="models run in parallel (default 2)")
    ap.add_argument("--bin", default=os.environ.get("BIN", "bin"), help="binary directory (default $BIN or bin)")
    ap.add_argument("--binary", action="append", default=[], type=lambda s: tuple(s.split("=", 1)),
                    metavar="MODEL=PATH", help="run MODEL's cases on PATH (e.g. a lab's build) instead of $BIN/MODEL")
    args = ap.parse_args(argv)
    if any(len(b) != 2 for b in args.binary):
        ap.error("--binary takes MODEL=PATH")
    if args.j < 1:
        ap.error("-j must be at least 1")
    return args


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass


def main(argv):
    args = parse_args(argv)
    lib.configure(os.environ.get("SANITIZE", ""))
    root_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isabs(args.bin):
        args.bin = os.path.join(root_dir, args.bin) if not os.path.isdir(args.bin) else os.path.abspath(args.bin)
    raise_nofile()
    models = select_models(args.models)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    tmp = tempfile.mkdtemp(prefix="srvtests-")
    try:
        if args.only == "unit" or (args.only is None and not args.models):
            run_units(args.bin, args)
        elif args.only is None:
            emit(["# unit tests not run (--models given; --only unit runs them)"])
        if args.only == "harness" or (args.only is None and not args.models):
            run_harness(args)
        elif args.only is None:
            emit(["# harness tests not run (--models given; --only harness runs them)"])
        if args.only == "fuzz" or (args.only is None and not args.models):
            run_fuzz(args, tmp)
        elif args.only is None:
            emit(["# fuzz targets not run (--models given; --only fuzz runs them)"])
        if args.only not in ("unit", "harness", "fuzz", "labs"):
            fixture = conformance.make_fixture(tmp)
            jobs = [m for m in models if not args.only or args.only in m[3]]
            live = args.j == 1
            # Not a with-block: on Ctrl-C we must not wait for the running cases.
            pool = ThreadPoolExecutor(max_workers=args.j)
            futures = [pool.submit(run_model, label, model, variant, suites, fixture, args, live)
                       for label, model, variant, suites in jobs]
            for f in futures:
                while True:
                    try:
                        f.result(timeout=0.5)
                        break
                    except TimeoutError:
                        continue
                    except Exception as e:
                        TALLY.add("not ok")
                        emit(["not ok - runner: the test runner raised %s: %s" % (type(e).__name__, e)])
                        break
            pool.shutdown(wait=True)
        if args.only == "labs" or (args.only is None and not args.models):
            run_labs(args)
        elif args.only is None:
            emit(["# labs' checker tests not run (--models given; --only labs runs them)"])
    except KeyboardInterrupt:
        lib.kill_all_servers()
        emit(["# interrupted: every server killed", TALLY.line()])
        shutil.rmtree(tmp, ignore_errors=True)
        os._exit(130)
    finally:
        lib.kill_all_servers()
    shutil.rmtree(tmp, ignore_errors=True)
    emit([TALLY.line()])
    return 1 if TALLY.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""lib.py - helpers for the conformance and robustness suites.

What is here:
  CaseFail / CaseSkip / expect()   how a case says what it expected and what came
  Server                           one server process: started with -p 0 --quiet, ready
                                   line read from stdout (harness/proc.py), stderr kept in a file for the
                                   sanitizer check, always killed in the end (its whole
                                   session, so fork's children go too)
  Conn                             one blocking client connection with a read buffer and
                                   a small HTTP/1.x response reader (every socket op has
                                   a timeout)
  Crowd                            many non-blocking connections driven by selectors (the
                                   200 / 1030 / 5000-connection cases)
  proc_*                           what /proc says about a server: threads, CPU ticks,
                                   children, zombies, the processes of its session

Only the standard library is used.
"""

import errno
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
import proc  # noqa: E402  (harness/proc.py: start, ready line, stop)

HOST = "127.0.0.1"

# Sanitizer builds are slower: timeouts (never the behaviour checked) grow by this.
TIME_SCALE = 1.0
SANITIZE = ""

# The contract's runs.csv columns, copied verbatim from ../shared/contract.md ("Results").
CONTRACT_COLUMNS = """
experiment,model,variant,proto,workload,conns,rate_rps,keepalive,server_cpus,client_cpus,rep,
duration_s,requests,bytes,rps,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,
err_connect,err_read,err_write,err_timeout,err_status,err_invalid,
srv_user_s,srv_sys_s,srv_cpu_pct,srv_ctxsw_vol,srv_ctxsw_invol,srv_rss_kb,srv_threads,srv_procs,
cli_cpu_pct,client_bound,client,started_utc,conns_served,fairness_jain,srv_cpu_us_per_req,
slow_conns,pipeline
""".replace("\n", "").split(",")


def configure(sanitize):
    global TIME_SCALE, SANITIZE
    SANITIZE = sanitize or ""
    if "thread" in SANITIZE:
        TIME_SCALE = 4.0
    elif SANITIZE:
        TIME_SCALE = 2.0
    else:
        TIME_SCALE = 1.0


def scaled(seconds):
    return seconds * TIME_SCALE


SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "ThreadSanitizer",
)


class CaseFail(Exception):
    """The case failed; the message says what was expected and what came."""


class CaseSkip(Exception):
    """The case cannot run here; the message says why."""


def expect(cond, expected, got):
    if not cond:
        raise CaseFail("expected %s, got %s" % (expected, got))


def short(data, limit=80):
    """A short printable form of some bytes, for messages."""
    if data is None:
        return "nothing"
    if isinstance(data, bytes):
        s = repr(data[:limit])
    else:
        s = repr(data[:limit])
    if len(data) > limit:
        s += "... (%d bytes)" % len(data)
    return s


def sanitizer_report(text):
    """The first sanitizer report in text (a few lines), or None."""
    for marker in SANITIZER_MARKERS:
        i = text.find(marker)
        if i >= 0:
            start = text.rfind("\n", 0, i) + 1
            lines = text[start:].splitlines()
            return "\n    ".join(lines[:12])
    return None


# ---------------------------------------------------------------- /proc

def _proc_stat(pid):
    """(state, ppid, session, utime+stime ticks) of pid, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = data[data.rfind(")") + 2:].split()
    # rest[0] = state (field 3), rest[1] = ppid (4), rest[3] = session (6),
    # rest[11] = utime (14), rest[12] = stime (15)
    return rest[0], int(rest[1]), int(rest[3]), int(rest[11]) + int(rest[12])


def _all_pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def proc_children(pid):
    """[(child pid, state letter)] of the direct children of pid."""
    out = []
    for p in _all_pids():
        st = _proc_stat(p)
        if st and st[1] == pid:
            out.append((p, st[0]))
    return out


def proc_zombies(pid):
    return [c for c, state in proc_children(pid) if state == "Z"]


def proc_session(sid):
    """Every process of session sid (our servers run in their own session)."""
    out = []
    for p in _all_pids():
        st = _proc_stat(p)
        if st and st[2] == sid:
            out.append(p)
    return out


def proc_threads(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    st = _proc_stat(pid)
    return None if st is None else st[3] / CLK_TCK


# ---------------------------------------------------------------- servers

_live_lock = threading.Lock()
_live = set()
_stopping = False


def kill_all_servers():
    """SIGKILL every server still running (Ctrl-C, exceptions, exit); no new one starts after."""
    global _stopping
    with _live_lock:
        _stopping = True
        servers = list(_live)
    for s in servers:
        s.kill()




class ServerStartError(CaseFail):
    pass


class Server:
    """A server process in its own session, stdout and stderr in files.

    start() waits for the ready line "listening on ADDR:PORT" (5 s); on any
    failure the process is killed and ServerStartError says what came.
    """

    def __init__(self, argv, env=None, nofile=None, label=""):
        self.argv = list(argv)
        self.env = env
        self.nofile = nofile
        self.label = label
        self.proc = None
        self.port = None
        self.pid = None
        self._dir = tempfile.mkdtemp(prefix="srv-")
        self.stdout_path = os.path.join(self._dir, "stdout")
        self.stderr_path = os.path.join(self._dir, "stderr")
        self.err_offset = 0      # stderr already checked for sanitizer reports
        self.returncode = None

    def cmdline(self):
        return " ".join(self.argv)

    def launch(self):
        """Start the process without waiting for the ready line."""
        argv = self.argv
        if self.nofile is not None:
            # A low fd limit for this process only; exec keeps the pid.
            argv = ["/bin/sh", "-c", 'ulimit -n %d && exec "$0" "$@"' % self.nofile] + argv
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            with _live_lock:      # started and registered at once: kill_all_servers sees every one
                if _stopping:
                    raise ServerStartError("expected to start %s, got the test run being stopped" % self.argv[0])
                self.proc = proc.spawn(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                       env=self.env, close_fds=True)
                _live.add(self)
        except OSError as e:
            raise ServerStartError("expected %s to start, got %s" % (self.argv[0], e))
        finally:
            out.close()
            err.close()
        self.pid = self.proc.pid
        return self

    def start(self, ready_timeout=5.0):
        """Start and wait for the ready line; the port is then in self.port."""
        self.launch()
        ready, text, why = proc.wait_ready(self.proc, scaled(ready_timeout), path=self.stdout_path)
        if ready is not None:
            self.port = ready.port
            return self
        if why == "not a ready line":
            self.kill()
            raise ServerStartError("expected the ready line 'listening on ADDR:PORT' on stdout, "
                                   "got %r (%s)" % (text[:120], self.cmdline()))
        if why == "exited":
            rc = self.proc.poll()
            self.kill()
            if rc == 1 and "io_uring unavailable" in self.stderr_tail():  # uring has no fallback
                raise CaseSkip(self.stderr().strip().splitlines()[-1])
            raise ServerStartError("expected the server to start and print its ready line, got exit "
                                   "status %s before it, stderr: %s (%s)"
                                   % (describe_status(rc), self.stderr_tail(), self.cmdline()))
        self.kill()
        raise ServerStartError("expected the ready line within %.0f s, got %s on stdout (%s)"
                               % (scaled(ready_timeout), short(text) if text else "nothing",
                                  self.cmdline()))

    def stdout(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, n=5):
        lines = self.stderr().strip().splitlines()
        if not lines:
            return "(empty)"
        return " | ".join(lines[-n:])

    def new_sanitizer_report(self):
        """A sanitizer report written to stderr since the last call, or None."""
        text = self.stderr()
        new = text[self.err_offset:]
        self.err_offset = len(text)
        return sanitizer_report(new)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self):
        rc = self.proc.poll() if self.proc else None
        return describe_status(rc)

    def session_pids(self):
        """Processes left in the server's session (its children), itself excluded."""
        return [p for p in proc_session(self.pid) if p != self.pid]

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """Wait for exit; the return code, or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
            return self.returncode
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=2.0):
        """SIGTERM (so sanitizers can report at exit), SIGKILL after timeout.
        Returns the exit status (None if it had to be killed)."""
        rc = None
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait(scaled(timeout))
        else:
            rc = self.proc.poll() if self.proc else None
        self.kill()
        return rc

    def kill(self):
        """SIGKILL the server and every process left in its session; reap."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)   # pid is still ours: not reaped yet
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for p in self.session_pids():
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with _live_lock:
            _live.discard(self)

    def cleanup_files(self):
        for p in (self.stdout_path, self.stderr_path):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        try:
            os.rmdir(self._dir)
        except OSError:
            pass


def describe_status(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit %d" % rc


# ---------------------------------------------------------------- one connection

class Response:
    def __init__(self, version, status, reason, headers, body, head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers          # [(lowercase name, value)]
        self.body = body
        self.head = head

    def get(self, name, default=None):
        name = name.lower()
        for k, v in reversed(self.headers):
            if k == name:
                return v
        return default

    def has(self, name):
        return self.get(name) is not None

    def connection_close(self):
        return (self.get("connection") or "").strip().lower() == "close"

    def __repr__(self):
        return "%d %s" % (self.status, self.reason)


def parse_head(head):
    """Status line and headers of a response head (bytes without the final CRLFCRLF)."""
    try:
        text = head.decode("latin-1")
    except Exception:
        raise CaseFail("expected a readable response head, got %s" % short(head))
    lines = text.split("\r\n")
    m = re.match(r"^(HTTP/1\.[01]) (\d{3})(?: (.*))?$", lines[0])
    if not m:
        raise CaseFail("expected a status line 'HTTP/1.x NNN reason', got %r" % lines[0][:100])
    headers = []
    for line in lines[1:]:
        if ":" not in line:
            raise CaseFail("expected 'Name: value' header lines, got %r" % line[:100])
        k, v = line.split(":", 1)
        headers.append((k.strip().lower(), v.strip()))
    return m.group(1), int(m.group(2)), m.group(3) or "", headers


class Conn:
    """A blocking client connection with a read buffer. Every operation has a timeout."""

    def __init__(self, port, timeout=5.0, rcvbuf=None, nodelay=True, host=HOST):
        self.timeout = scaled(timeout)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self.timeout)
        self.buf = b""
        self.eof = False
        self.reset = False
        try:
            self.sock.connect((host, port))
        except OSError as e:
            self.sock.close()
            raise CaseFail("expected to connect to %s:%d, got %s" % (host, port, e))

    def close(self, linger0=False):
        if self.sock is None:
            return
        if linger0:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.sock = None

    def send(self, data):
        """Send all of data. Returns None, or the OSError if the peer had closed
        (a server may answer and close before reading everything)."""
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise CaseFail("expected the server to read our %d-byte request, got a send blocked for %.0f s"
                           % (len(data), self.timeout))
        except OSError as e:
            if e.errno in (errno.EPIPE, errno.ECONNRESET):
                return e
            raise
        return None

    def send_slowly(self, data, chunk=1, delay=0.005):
        for i in range(0, len(data), chunk):
            err = self.send(data[i:i + chunk])
            if err:
                return err
            time.sleep(delay)
        return None

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def _fill(self, timeout=None, what="a response"):
        """Read more into buf. False on EOF (or reset)."""
        if self.eof:
            return False
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise CaseFail("expected %s, got %s and then silence for %.1f s"
                           % (what, "nothing" if not self.buf else short(self.buf),
                              self.timeout if timeout is None else timeout))
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_response(self, method="GET", what=None):
        """Read one response. Requires Content-Length (the contract: every response has it)."""
        what = what or "a response"
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            if len(self.buf) > 65536:
                raise CaseFail("expected a response head, got %d bytes with no blank line" % len(self.buf))
            if not self._fill(what=what):
                raise CaseFail("expected %s, got %s before the connection was %s"
                               % (what, short(self.buf) if self.buf else "nothing",
                                  "reset" if self.reset else "closed"))
        head = self.buf[:i]
        self.buf = self.buf[i + 4:]
        version, status, reason, headers = parse_head(head)
        r = Response(version, status, reason, headers, b"", head)
        cl = r.get("content-length")
        if cl is None:
            raise CaseFail("expected a Content-Length header (every response has one), got none in "
                           "'%s' response: %s" % (status, short(head, 200)))
        if not cl.isdigit():
            raise CaseFail("expected a numeric Content-Length, got %r" % cl)
        n = int(cl)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            n = 0
        while len(self.buf) < n:
            if not self._fill(what="the %d-byte body of a %d response" % (n, status)):
                raise CaseFail("expected a %d-byte body (Content-Length), got %d bytes before the "
                               "connection was %s" % (n, len(self.buf), "reset" if self.reset else "closed"))
        r.body = self.buf[:n]
        self.buf = self.buf[n:]
        return r

    def read_until_eof(self, limit=4 << 20):
        while self._fill(what="the connection to close"):
            if len(self.buf) > limit:
                raise CaseFail("expected the connection to close, got more than %d bytes" % limit)
        data, self.buf = self.buf, b""
        return data

    def expect_eof(self, within=2.0, after="the response"):
        """The server closes the connection (no further bytes) within `within` s."""
        deadline = time.monotonic() + scaled(within)
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                if not self._fill(timeout=left, what="the connection to close"):
                    break
            except CaseFail:
                break
        if self.buf:
            raise CaseFail("expected the connection to close after %s, got extra bytes %s"
                           % (after, short(self.buf)))
        if not self.eof:
            raise CaseFail("expected the server to close the connection after %s, got it still open after "
                           "%.1f s" % (after, scaled(within)))

    def expect_open(self, wait=0.05):
        """The connection is still open: no EOF and nothing unexpected within `wait` s."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1, socket.MSG_PEEK)
        except socket.timeout:
            return
        except ConnectionResetError:
            raise CaseFail("expected the connection to stay open (keep-alive), got it reset")
        if not data:
            raise CaseFail("expected the connection to stay open (keep-alive), got it closed")
        raise CaseFail("expected nothing more on the connection, got unexpected bytes %s"
                       % short(self.sock.recv(200)))


def request_bytes(method="GET", path="/", version="HTTP/1.1", headers=None, host=True, body=b""):
    lines = ["%s %s %s" % (method, path, version)]
    if host:
        lines.append("Host: localhost")
    for h in headers or ():
        lines.append(h)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------- many connections

class Crowd:
    """N non-blocking connections driven by one selector.

    connect() opens them (in batches, so the accept queue does not overflow),
    pending() collects whatever the server sent unasked (a 503 at accept time),
    exchange() sends one request on each connection that has not been answered
    yet and reads one response on each. results[i] is then
    ("ok", status, body, connection_closed_header) or ("error", reason).
    """

    def __init__(self, port, n, host=HOST):
        self.port = port
        self.n = n
        self.host = host
        self.socks = []
        self.bufs = []
        self.eof = []
        self.results = []

    def connect(self, batch=256, timeout=10.0):
        deadline = time.monotonic() + scaled(timeout)
        sel = selectors.DefaultSelector()
        try:
            for start in range(0, self.n, batch):
                waiting = {}
                for i in range(start, min(self.n, start + batch)):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.socks.append(s)
                    self.bufs.append(b"")
                    self.eof.append(False)
                    self.results.append(None)
                    rc = s.connect_ex((self.host, self.port))
                    if rc == 0:
                        continue
                    if rc != errno.EINPROGRESS:
                        self.results[i] = ("error", "connect: %s" % os.strerror(rc))
                        continue
                    sel.register(s, selectors.EVENT_WRITE, i)
                    waiting[i] = s
                while waiting:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        for i, s in waiting.items():
                            self.results[i] = ("error", "connect: timeout")
                            sel.unregister(s)
                        waiting.clear()
                        break
                    for key, _ in sel.select(min(left, 0.5)):
                        i = key.data
                        s = key.fileobj
                        sel.unregister(s)
                        del waiting[i]
                        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if e:
                            self.results[i] = ("error", "connect: %s" % os.strerror(e))
        finally:
            sel.close()
        return sum(1 for r in self.results if r is None)

    def _recv(self, i):
        s = self.socks[i]
        try:
            data = s.recv(65536)
        except BlockingIOError:
            return True
        except ConnectionResetError:
            self.eof[i] = True
            return False
        if not data:
            self.eof[i] = True
            return False
        self.bufs[i] += data
        return True

    def _complete(self, i):
        """Parse bufs[i]: a result tuple if a whole response (or EOF) is there, else None."""
        buf = self.bufs[i]
        j = buf.find(b"\r\n\r\n")
        if j >= 0:
            try:
                version, status, reason, headers = parse_head(buf[:j])
            except CaseFail as e:
                return ("error", str(e))
            h = dict(headers)
            cl = h.get("content-length")
            if cl is None or not cl.isdigit():
                return ("error", "no Content-Length in %d response" % status)
            n = int(cl)
            if len(buf) >= j + 4 + n:
                self.bufs[i] = buf[j + 4 + n:]
                return ("ok", status, buf[j + 4:j + 4 + n], h.get("connection", "").lower() == "close")
        if self.eof[i]:
            if not buf:
                return ("error", "closed without a response")
            return ("error", "closed after a partial response %s" % short(buf, 40))
        return None

    def pending(self, wait=0.3):
        """Collect responses (or EOF) that arrive without a request within `wait` s."""
        sel = selectors.DefaultSelector()
        try:
            for i, s in enumerate(self.socks):
                if self.results[i] is None:
                    sel.register(s, selectors.EVENT_READ, i)
            deadline = time.monotonic() + wait
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for key, _ in sel.select(left):
                    i = key.data
                    self._recv(i)
                    r = self._complete(i)
                    if r is not None:
                        self.results[i] = r
                        sel.unregister(key.fileobj)
        finally:
            sel.close()

    def exchange(self, request, timeout=10.0, close_after=False):
        """Send `request` on every connection without a result; read one response each.
        close_after: close each connection as soon as its response is read (what a
        client does after a Connection: close response)."""
        sel = selectors.DefaultSelector()
        out = {}
        try:
            for i, s in enumerate(self.socks):
                if self.results[i] is None:
                    out[i] = request
                    sel.register(s, selectors.EVENT_WRITE, i)
            deadline = time.monotonic() + scaled(timeout)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    for key in list(sel.get_map().values()):
                        i = key.data
                        self.results[i] = ("error", "timeout (%s)" % (
                            "request not sent" if out.get(i) else
                            "no response" if not self.bufs[i] else "partial response %s" % short(self.bufs[i], 40)))
                    break
                for key, ev in sel.select(min(left, 0.5)):
                    i = key.data
                    s = key.fileobj
                    if ev & selectors.EVENT_WRITE:
                        try:
                            k = s.send(out[i])
                            out[i] = out[i][k:]
                        except BlockingIOError:
                            continue
                        except (BrokenPipeError, ConnectionResetError):
                            out[i] = b""          # the server closed first; read what it said
                        if not out[i]:
                            sel.modify(s, selectors.EVENT_READ, i)
                        continue
                    self._recv(i)
                    r = self._complete(i)
                    if r is not None:
                        self.results[i] = r
                        sel.unregister(s)
                        if close_after:
                            s.close()
                            self.eof[i] = True
        finally:
            sel.close()

    def exchange_pipelined(self, request, count, timeout=10.0):
        """Send `request` (`count` pipelined requests) on every open connection and read `count`
        responses on each; a list per connection of result tuples (as results[i]), shorter
        than `count` only when it ends with an error."""
        got = [[] for _ in self.socks]
        sel = selectors.DefaultSelector()
        out = {}
        try:
            for i, s in enumerate(self.socks):
                if self.eof[i]:
                    got[i].append(("error", "closed before the requests"))
                    continue
                out[i] = request
                sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ, i)
            deadline = time.monotonic() + scaled(timeout)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    for key in list(sel.get_map().values()):
                        got[key.data].append(("error", "timeout after %d responses" % len(got[key.data])))
                    break
                for key, ev in sel.select(min(left, 0.5)):
                    i, s = key.data, key.fileobj
                    if ev & selectors.EVENT_WRITE and out[i]:
                        try:
                            out[i] = out[i][s.send(out[i]):]
                        except BlockingIOError:
                            pass
                        except (BrokenPipeError, ConnectionResetError):
                            out[i] = b""
                        if not out[i]:
                            sel.modify(s, selectors.EVENT_READ, i)
                    if ev & selectors.EVENT_READ:
                        self._recv(i)
                    while len(got[i]) < count:
                        r = self._complete(i)
                        if r is None:
                            break
                        got[i].append(r)
                        if r[0] == "error":
                            break
                    if len(got[i]) == count or (got[i] and got[i][-1][0] == "error"):
                        sel.unregister(s)
        finally:
            sel.close()
        return got

    def open_count(self):
        """How many connections the server has not closed (peek without blocking)."""
        n = 0
        for i, s in enumerate(self.socks):
            if self.eof[i]:
                continue
            try:
                data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                if data:
                    n += 1
                else:
                    self.eof[i] = True
            except BlockingIOError:
                n += 1
            except OSError:
                self.eof[i] = True
        return n

    def tally(self):
        """{"200": k, "503": m, "error: reason": e, ...}"""
        t = {}
        for r in self.results:
            if r is None:
                key = "no result"
            elif r[0] == "ok":
                key = str(r[1])
            else:
                key = "error: " + re.sub(r"\d+ bytes", "N bytes", r[1])[:60]
            t[key] = t.get(key, 0) + 1
        return t

    def close(self, linger0=False):
        for s in self.socks:
            try:
                if linger0:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
            except OSError:
                pass
        self.socks = []


def tally_text(t):
    return ", ".join("%s x%d" % (k, v) for k, v in sorted(t.items(), key=lambda kv: -kv[1]))


# ---------------------------------------------------------------- the case tables

class Case:
    """One named case. models: the models it applies to (None = all); exclude: models it
    does not; server: the shared server it runs against ("plain", "root", "daytime"),
    or None when the case starts its own."""

    def __init__(self, name, fn, models=None, exclude=(), server=None):
        self.name = name
        self.fn = fn
        self.models = models
        self.exclude = exclude
        self.server = server

    def applies(self, model):
        if model in self.exclude:
            return False
        return self.models is None or model in self.models

"""conformance.py - the contract's HTTP and daytime behaviour, checked over real sockets.

Each case is one line of the contract ("HTTP behaviour" in ../shared/contract.md).
Cases run against a server shared by the model's cases: "plain" (no --root: every
GET answers Hello, World!), "root" (--root on the fixture below) or "daytime". After
every case the runner checks that the server still runs and still answers a normal
request on a new connection: the server survives every bad request.

The iterative model always answers with Connection: close and closes (contract), so
the keep-alive and pipelining cases check that instead for it.
"""

import os
import time

from lib import Case, CaseFail, CaseSkip, expect, request_bytes, short

HELLO = b"Hello, World!"


# ---------------------------------------------------------------- fixture

class Fixture:
    pass


def make_fixture(tmp):
    """root/ with index.html, a.txt, 8k.bin, 1m.bin, sub/x.css, link-in.txt -> a.txt,
    link-out -> ../secret; and secret beside root/, which must never be served."""
    f = Fixture()
    f.dir = tmp
    f.root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(f.root, "sub"))
    f.secret = b"SECRET-" + os.urandom(12).hex().encode() + b"\n"
    f.files = {
        "/index.html": b"<!doctype html>\n<title>test</title>\n<p>index</p>\n",
        "/a.txt": b"plain text file a.txt\n",
        "/8k.bin": os.urandom(8192),
        "/1m.bin": os.urandom(1 << 20),
        "/8m.bin": os.urandom(8 << 20),   # more than loopback's initial send buffer (~2.6 MB)
        "/sub/x.css": b"body { color: black; }\n",
    }
    for path, data in f.files.items():
        with open(os.path.join(f.root, path.lstrip("/")), "wb") as fh:
            fh.write(data)
    with open(os.path.join(tmp, "secret"), "wb") as fh:
        fh.write(f.secret)
    os.symlink("a.txt", os.path.join(f.root, "link-in.txt"))
    os.symlink(os.path.join(tmp, "secret"), os.path.join(f.root, "link-out"))
    return f


# ---------------------------------------------------------------- helpers

def is_iterative(ctx):
    return ctx.base == "iterative"


def status_in(r, allowed, what):
    expect(r.status in allowed, "%s (%s)" % (" or ".join(map(str, allowed)), what),
           "%d %s" % (r.status, r.reason))


def exchange(ctx, raw, method="GET"):
    """Send raw bytes on a new connection (the server may close before reading them
    all); read one response."""
    c = ctx.conn()
    c.send(raw)
    return c, c.read_response(method)


def check_hello(r, what="GET /"):
    expect(r.status == 200, "200 for %s" % what, "%d %s" % (r.status, r.reason))
    expect(r.body == HELLO, "body %r" % HELLO, short(r.body))


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def check_bytes(body, want, what):
    if body != want:
        raise CaseFail("expected the %d bytes of %s, got %d bytes differing from offset %d"
                       % (len(want), what, len(body), first_diff(body, want)))


# ---------------------------------------------------------------- plain server

def get_status_body(ctx):
    r = ctx.get("/")
    check_hello(r)


def get_content_length(ctx):
    r = ctx.get("/")
    expect(r.get("content-length") == "13", "Content-Length: 13", r.get("content-length"))


def get_content_type(ctx):
    r = ctx.get("/")
    ct = (r.get("content-type") or "").lower()
    expect(ct.split(";")[0].strip() == "text/plain", "Content-Type: text/plain", r.get("content-type"))


def get_server_header(ctx):
    r = ctx.get("/")
    expect(r.get("server") == ctx.server_name, "Server: %s" % ctx.server_name, r.get("server"))


def get_any_path(ctx):
    r = ctx.get("/some/where/else.html?q=1")
    check_hello(r, "any path without --root")


def head_no_body(ctx):
    c = ctx.conn()
    c.send(request_bytes("HEAD", "/", headers=["Connection: close"]))
    r = c.read_response("HEAD")
    expect(r.status == 200, "200 for HEAD /", r.status)
    expect(r.get("content-length") == "13", "Content-Length: 13 on HEAD", r.get("content-length"))
    rest = c.read_until_eof()
    expect(rest == b"", "no body after the HEAD response's head", short(rest))


def head_then_get(ctx):
    """On a kept-alive connection, HEAD then GET: the GET's response follows the HEAD's head
    directly (a HEAD body would be read as the next status line)."""
    if is_iterative(ctx):
        return head_no_body(ctx)
    c = ctx.conn()
    c.send(request_bytes("HEAD", "/") + request_bytes("GET", "/", headers=["Connection: close"]))
    r = c.read_response("HEAD")
    expect(r.status == 200, "200 for HEAD", r.status)
    r = c.read_response("GET", what="the GET's response right after the HEAD's head")
    check_hello(r, "GET after HEAD")


def keepalive_three(ctx):
    c = ctx.conn()
    if is_iterative(ctx):
        c.send(request_bytes("GET", "/"))
        r = c.read_response()
        check_hello(r)
        expect(r.connection_close(), "Connection: close from the iterative server", r.get("connection"))
        c.expect_eof(after="its one response")
        return
    for i in range(3):
        c.send(request_bytes("GET", "/"))
        r = c.read_response(what="response %d of 3 on one connection" % (i + 1))
        check_hello(r, "request %d of 3" % (i + 1))
        expect(not r.connection_close(), "no Connection: close on HTTP/1.1 keep-alive (request %d)" % (i + 1),
               "Connection: %s" % r.get("connection"))
        c.expect_open()


def http10_closes(ctx):
    c = ctx.conn()
    c.send(request_bytes("GET", "/", "HTTP/1.0", host=False))
    r = c.read_response()
    check_hello(r, "an HTTP/1.0 GET")
    c.expect_eof(after="the HTTP/1.0 response")


def http10_keepalive(ctx):
    c = ctx.conn()
    c.send(request_bytes("GET", "/", "HTTP/1.0", ["Connection: keep-alive"], host=False))
    r = c.read_response()
    check_hello(r, "an HTTP/1.0 keep-alive GET")
    if is_iterative(ctx):
        expect(r.connection_close(), "Connection: close from the iterative server", r.get("connection"))
        c.expect_eof(after="its one response")
        return
    expect(not r.connection_close(), "the connection kept (Connection: keep-alive asked)",
           "Connection: close")
    c.expect_open()
    c.send(request_bytes("GET", "/", "HTTP/1.0", ["Connection: keep-alive"], host=False))
    r = c.read_response(what="a second response on the HTTP/1.0 keep-alive connection")
    check_hello(r, "the second HTTP/1.0 keep-alive GET")


def connection_close(ctx):
    c = ctx.conn()
    c.send(request_bytes("GET", "/", headers=["Connection: close"]))
    r = c.read_response()
    check_hello(r)
    expect(r.connection_close(), "Connection: close in the response", r.get("connection"))
    c.expect_eof(after="a Connection: close response")


def half_close(ctx):
    c = ctx.conn()
    c.send(request_bytes("GET", "/"))
    c.shutdown_write()
    r = c.read_response(what="the full response after our shutdown(SHUT_WR)")
    check_hello(r, "a GET followed by a half-close")
    c.expect_eof(after="the response to a half-closed connection")


def byte_by_byte(ctx):
    c = ctx.conn()
    c.send_slowly(request_bytes("GET", "/", headers=["Connection: close"]), chunk=1, delay=0.005)
    r = c.read_response(what="a response to a request sent byte by byte")
    check_hello(r, "a request sent byte by byte")


def bad_request(raw, allowed=(400,), closes=True, what="a malformed request"):
    def fn(ctx):
        c, r = exchange(ctx, raw)
        status_in(r, allowed, what)
        if closes:
            c.expect_eof(after="the %d response" % r.status)
    return fn


def served(headers, what):
    """A GET / with exactly these header lines (and Connection: close) is answered 200."""
    def fn(ctx):
        c, r = exchange(ctx, request_bytes("GET", "/", host=False, headers=headers + ["Connection: close"]))
        check_hello(r, "a GET with %s" % what)
    return fn


def method_refused(method, target="/"):
    def fn(ctx):
        c, r = exchange(ctx, request_bytes(method, target, headers=["Content-Length: 0", "Connection: close"]))
        status_in(r, (405, 501), "%s %s: %s is not GET or HEAD" % (method, target, method))
        if r.status == 405:
            allow = r.get("allow")
            expect(allow is not None and "GET" in allow, "an Allow header naming GET with 405", allow)
    return fn


def long_request_line(octets):
    """A request line of exactly `octets` octets (without its CRLF)."""
    return request_bytes("GET", "/" + "a" * (octets - len("GET / HTTP/1.1")), headers=["Connection: close"])


def request_line_8000(ctx):
    # RFC 9112 3: "It is RECOMMENDED that all HTTP senders and recipients support, at a
    # minimum, request-line lengths of 8000 octets."
    c, r = exchange(ctx, long_request_line(8000))
    check_hello(r, "a request line of 8000 octets")


def uri_too_long(ctx):
    # RFC 9112 3: "A server that receives a request-target longer than any URI it wishes
    # to parse MUST respond with a 414 (URI Too Long) status code"; the contract: beyond
    # the 8 KiB head limit.
    c, r = exchange(ctx, long_request_line(9000))
    status_in(r, (414,), "a 9000-octet request line")
    c.expect_eof(after="the 414 response")


def absolute_form_wins(path, want):
    """RFC 9112 3.2.2: "the origin server MUST ignore the received Host header field (if
    any) and instead use the host information of the request-target"."""
    def fn(ctx):
        c = ctx.conn()
        c.send(("GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: elsewhere.example\r\n"
                "Connection: close\r\n\r\n" % (ctx.port, path)).encode())
        r = c.read_response(what="the response to an absolute-form request")
        expect(r.status == 200, "200 for absolute-form %s" % path, "%d %s" % (r.status, r.reason))
        check_bytes(r.body, want(ctx), "%s through the absolute form" % path)
    return fn


def head_too_large(ctx):
    pad = ["X-Fill-%02d: %s" % (i, "a" * 1000) for i in range(9)]
    c, r = exchange(ctx, request_bytes("GET", "/", headers=pad))
    status_in(r, (431,), "a request head over 8 KiB")
    c.expect_eof(after="the 431 response")


def request_body(ctx):
    raw = request_bytes("GET", "/", headers=["Content-Length: 11"], body=b"hello world")
    c, r = exchange(ctx, raw)
    status_in(r, (413, 200), "413, or 200 with the body drained")
    if r.status == 200:
        check_hello(r, "a GET with a body")
        if not r.connection_close() and not is_iterative(ctx):
            c.send(request_bytes("GET", "/", headers=["Connection: close"]))
            r = c.read_response(what="the next request's response, the body drained")
            check_hello(r, "the request after one with a drained body")


# ---------------------------------------------------------------- --root server

def pipelined(ctx):
    order = ["/a.txt", "/sub/x.css", "/8k.bin", "/index.html"]
    paths = [order[i % len(order)] for i in range(16)]
    c = ctx.conn()
    c.send(b"".join(request_bytes("GET", p) for p in paths))
    if is_iterative(ctx):
        r = c.read_response()
        expect(r.status == 200, "200 for the first of 16 pipelined requests", r.status)
        check_bytes(r.body, ctx.fixture.files[paths[0]], paths[0])
        expect(r.connection_close(), "Connection: close from the iterative server", r.get("connection"))
        c.expect_eof(after="its one response (the iterative server answers the first request only)")
        return
    for i, p in enumerate(paths):
        r = c.read_response(what="response %d of 16 pipelined requests" % (i + 1))
        expect(r.status == 200, "200 for pipelined request %d (%s)" % (i + 1, p), r.status)
        check_bytes(r.body, ctx.fixture.files[p], "%s as response %d of 16 (in order)" % (p, i + 1))
    c.expect_open()


def pipelined_split(ctx):
    """Three pipelined requests split in two at every byte boundary, then sent a
    byte at a time: several receives (iocp-emul --pending-reads) may each hold a
    piece, handled by different workers; the answers must come whole, in order."""
    if is_iterative(ctx):
        raise CaseSkip("the iterative server answers one request per connection")
    paths = ["/a.txt", "/sub/x.css", "/index.html"]
    stream = b"".join(request_bytes("GET", p) for p in paths)
    c = ctx.conn()

    def answers(how):
        for i, p in enumerate(paths):
            r = c.read_response(what="response %d of 3 pipelined requests (%s)" % (i + 1, how))
            expect(r.status == 200, "200 for pipelined request %d (%s)" % (i + 1, how), r.status)
            check_bytes(r.body, ctx.fixture.files[p], "%s as response %d of 3 (%s)" % (p, i + 1, how))

    for cut in range(1, len(stream)):
        c.send(stream[:cut])
        time.sleep(0.0005)  # two segments, likely two receives
        c.send(stream[cut:])
        answers("split at byte %d" % cut)
    for rnd in range(30):  # many receives in flight at once: the likeliest to be handled out of order
        c.send_slowly(stream, chunk=1, delay=0)
        answers("a byte at a time, round %d" % (rnd + 1))
    c.expect_open()


def not_found(ctx):
    r = ctx.get("/no-such-file.txt")
    status_in(r, (404,), "a missing file")


def content_type(path, ctype):
    def fn(ctx):
        r = ctx.get(path)
        expect(r.status == 200, "200 for %s" % path, r.status)
        got = (r.get("content-type") or "").split(";")[0].strip().lower()
        expect(got == ctype, "Content-Type: %s for %s" % (ctype, path), r.get("content-type"))
        check_bytes(r.body, ctx.fixture.files[path], path)
    return fn


def file_exact(path):
    def fn(ctx):
        r = ctx.get(path)
        expect(r.status == 200, "200 for %s" % path, r.status)
        check_bytes(r.body, ctx.fixture.files[path], path)
    return fn


def head_file(ctx):
    c = ctx.conn()
    c.send(request_bytes("HEAD", "/8k.bin", headers=["Connection: close"]))
    r = c.read_response("HEAD")
    expect(r.status == 200, "200 for HEAD /8k.bin", r.status)
    expect(r.get("content-length") == "8192", "Content-Length: 8192", r.get("content-length"))
    rest = c.read_until_eof()
    expect(rest == b"", "no body after HEAD", "%d bytes" % len(rest))


def slow_reader(path, slow_reads):
    """A client with a 4 KB receive buffer that waits, then reads 4 KB at a time with
    small sleeps (the first slow_reads reads; then faster): the server's socket buffer
    fills and its writes must be resumed. Loopback's initial send buffer is ~2.6 MB,
    so only a file larger than that forces a partial write (the 8 MiB case)."""
    def fn(ctx):
        want = ctx.fixture.files[path]
        c = ctx.conn(rcvbuf=4096)
        c.send(request_bytes("GET", path, headers=["Connection: close"]))
        time.sleep(0.3)                      # let the server fill the window and block
        parts = []
        got = 0
        reads = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            c.sock.settimeout(5)
            try:
                chunk = c.sock.recv(4096 if reads < slow_reads else 65536)
            except OSError as e:
                raise CaseFail("expected the whole %s response, got %s after %d bytes" % (path, e, got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            reads += 1
            if reads < slow_reads:
                time.sleep(0.001)
        data = b"".join(parts)
        i = data.find(b"\r\n\r\n")
        expect(i >= 0, "a response head", short(data))
        expect(data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200"), "200", short(data, 20))
        check_bytes(data[i + 4:], want, "%s read slowly" % path)
    return fn


def traversal(path):
    def fn(ctx):
        c = ctx.conn()
        c.send(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode("latin-1"))
        r = c.read_response(what="a refusal of %r" % path)
        expect(ctx.fixture.secret not in r.body and ctx.fixture.secret.strip() not in r.body,
               "never the secret's bytes", "the secret file's content in a %d response" % r.status)
        status_in(r, (400, 403, 404), "refused path %s" % path)
    return fn


def symlink_inside(ctx):
    r = ctx.get("/link-in.txt")
    expect(r.status == 200, "200 for a symlink inside the root", r.status)
    check_bytes(r.body, ctx.fixture.files["/a.txt"], "a.txt through link-in.txt")


# ---------------------------------------------------------------- daytime

def daytime_line(ctx):
    c = ctx.conn()
    data = c.read_until_eof()
    expect(data.endswith(b"\r\n"), "one line ending in CRLF, then close", short(data))
    line = data[:-2]
    expect(line and b"\r" not in line and b"\n" not in line, "exactly one non-empty line", short(data))
    expect(all(32 <= b < 127 for b in line), "a printable ASCII line", short(data))


# ---------------------------------------------------------------- the table

CASES = [
    # plain server: every GET answers Hello, World!
    Case("GET / -> 200 with body Hello, World!", get_status_body, server="plain"),
    Case("GET / has Content-Length: 13", get_content_length, server="plain"),
    Case("GET / has Content-Type: text/plain", get_content_type, server="plain"),
    Case("GET / has Server: <model>", get_server_header, server="plain"),
    Case("GET of any path without --root -> Hello, World!", get_any_path, server="plain"),
    Case("HEAD -> Content-Length 13, no body", head_no_body, server="plain"),
    Case("HEAD then GET on one connection: no body after HEAD", head_then_get, server="plain"),
    Case("HTTP/1.1 keep-alive: 3 requests on one connection", keepalive_three, server="plain"),
    Case("HTTP/1.0 closes by default", http10_closes, server="plain"),
    Case("HTTP/1.0 with Connection: keep-alive", http10_keepalive, server="plain"),
    Case("Connection: close honored", connection_close, server="plain"),
    Case("half-close after the request still gets the full response", half_close, server="plain"),
    Case("request sent byte by byte", byte_by_byte, server="plain"),
    Case("400 for request line 'GET' (no target, no version)",
         bad_request(b"GET\r\nHost: x\r\n\r\n"), server="plain"),
    Case("400 for request line with nothing but garbage",
         bad_request(b"\x01\x02\x03garbage\r\n\r\n"), server="plain"),
    Case("400 for a header line without a colon",
         bad_request(b"GET / HTTP/1.1\r\nHost localhost\r\n\r\n"), server="plain"),
    Case("400 for a NUL byte in a header",
         bad_request(b"GET / HTTP/1.1\r\nHost: local\x00host\r\n\r\n"), server="plain"),
    Case("400 for a NUL byte in the request line",
         bad_request(b"GET /a\x00b HTTP/1.1\r\nHost: localhost\r\n\r\n"), server="plain"),
    Case("400 for a bare CR in the head",
         bad_request(b"GET / HTTP/1.1\r\nHost: local\rhost\r\n\r\n"), server="plain"),
    Case("405 (with Allow) or 501 for POST", method_refused("POST"), server="plain"),
    Case("405 (with Allow) or 501 for DELETE", method_refused("DELETE"), server="plain"),
    Case("405 (with Allow) or 501 for BREW", method_refused("BREW"), server="plain"),
    Case("RFC 9112 3: a request line of 8000 octets is accepted", request_line_8000, server="plain"),
    Case("414 for a request line over the 8 KiB head limit (9000 octets)", uri_too_long, server="plain"),
    Case("431 for a request head over 8 KiB", head_too_large, server="plain"),
    Case("413, or drained and answered, for a request with a body", request_body, server="plain"),
    Case("505 or 400 for HTTP/2.0",
         bad_request(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", (505, 400), closes=False, what="HTTP/2.0"),
         server="plain"),
    Case("505 or 400 for version HTTP/x.y",
         bad_request(b"GET / HTTP/x.y\r\nHost: x\r\n\r\n", (505, 400), closes=False, what="HTTP/x.y"),
         server="plain"),
    Case("505 or 400 for version FOO/1.1",
         bad_request(b"GET / FOO/1.1\r\nHost: x\r\n\r\n", (505, 400), closes=False, what="FOO/1.1"),
         server="plain"),


    # RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    # HTTP/1.1 request message that lacks a Host header field and to any request message
    # that contains more than one Host header field line or a Host header field with an
    # invalid field value."  RFC 9110 7.2: Host = uri-host [ ":" port ].
    Case("RFC 9112 3.2: 400 for an HTTP/1.1 request that lacks a Host header field",
         bad_request(request_bytes("GET", "/", host=False, headers=["Accept: */*"])), server="plain"),
    Case("RFC 9112 3.2: 400 for more than one Host header field line",
         bad_request(request_bytes("GET", "/", headers=["Host: localhost"])), server="plain"),
    Case("RFC 9112 3.2: 400 for two Host lines in an HTTP/1.0 request",
         bad_request(request_bytes("GET", "/", "HTTP/1.0", ["Host: a", "Host: b"], host=False)),
         server="plain"),
    Case("RFC 9110 4.2.4/7.2: 400 for a Host with userinfo (a@b)",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: user@localhost"])),
         server="plain"),
    Case("RFC 9110 7.2: 400 for a Host with a path (localhost/x)",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: localhost/x"])), server="plain"),
    Case("RFC 9110 7.2: 400 for a Host that is a list (a, b)",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: a, b"])), server="plain"),
    Case("RFC 9110 7.2: 400 for a Host with characters outside the grammar (a<b>)",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: a<b>"])), server="plain"),
    Case("RFC 9110 7.2: 400 for a Host with a bad port (localhost:http)",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: localhost:http"])),
         server="plain"),
    Case("RFC 9110 7.2: 200 for Host: [::1]:8080 (IP-literal and port)",
         served(["Host: [::1]:8080"], "Host: [::1]:8080"), server="plain"),
    Case("RFC 9110 7.2: 200 for an empty Host (a target URI without authority)",
         served(["Host:"], "an empty Host"), server="plain"),
    Case("RFC 9112 3.2: HTTP/1.0 without Host is still served", http10_closes, server="plain"),
    Case("RFC 9112 3.2.2: absolute-form target answered (Host ignored)",
         absolute_form_wins("/", lambda ctx: HELLO), server="plain"),

    # RFC 9112 3.2.4: "The asterisk-form of request-target is only used for a server-wide
    # OPTIONS request"; 3.2.3: "The authority-form of request-target is only used for
    # CONNECT requests".
    Case("RFC 9112 3.2.4: 400 for GET * (asterisk-form only with OPTIONS)",
         bad_request(request_bytes("GET", "*")), server="plain"),
    Case("RFC 9112 3.2.4: 400 for HEAD * (asterisk-form only with OPTIONS)",
         bad_request(request_bytes("HEAD", "*")), server="plain"),
    Case("RFC 9112 3.2.4: OPTIONS * answered as an unsupported method (405 or 501)",
         method_refused("OPTIONS", "*"), server="plain"),
    Case("RFC 9112 3.2.3: 400 for GET localhost:80 (authority-form only with CONNECT)",
         bad_request(request_bytes("GET", "localhost:80")), server="plain"),
    Case("RFC 9112 3.2.3: CONNECT localhost:443 answered as an unsupported method (405 or 501)",
         method_refused("CONNECT", "localhost:443"), server="plain"),

    # RFC 9110 5.5: "Field values containing other CTL characters are also invalid";
    # the contract: control characters other than HTAB in the head are 400.
    Case("RFC 9110 5.5: 400 for a control character (0x01) in a field value",
         bad_request(request_bytes("GET", "/", headers=["X-A: a\x01b"])), server="plain"),
    Case("RFC 9110 5.5: 400 for DEL (0x7f) in a field value",
         bad_request(request_bytes("GET", "/", headers=["X-A: a\x7fb"])), server="plain"),
    Case("RFC 9110 5.5: 400 for ESC (0x1b) in the Host value",
         bad_request(request_bytes("GET", "/", host=False, headers=["Host: local\x1bhost"])), server="plain"),
    Case("RFC 9110 5.5: HTAB in a field value is accepted",
         served(["Host: localhost", "X-A: a\tb"], "HTAB in a field value"), server="plain"),

    # --root server
    Case("16 pipelined requests in one write answered in order", pipelined, server="root"),
    Case("3 pipelined requests split at every byte boundary answered whole and in order",
         pipelined_split, server="root"),
    Case("404 for a missing file", not_found, server="root"),
    Case("Content-Type text/html for .html", content_type("/index.html", "text/html"), server="root"),
    Case("Content-Type text/plain for .txt", content_type("/a.txt", "text/plain"), server="root"),
    Case("Content-Type text/css for .css", content_type("/sub/x.css", "text/css"), server="root"),
    Case("Content-Type application/octet-stream for .bin",
         content_type("/8k.bin", "application/octet-stream"), server="root"),
    Case("8 KB file byte-exact", file_exact("/8k.bin"), server="root"),
    Case("1 MiB file byte-exact", file_exact("/1m.bin"), server="root"),
    Case("HEAD of a file: its Content-Length, no body", head_file, server="root"),
    Case("1 MiB to a slow reader arrives whole", slow_reader("/1m.bin", 1 << 20), server="root"),
    Case("8 MiB to a slow reader arrives whole (partial writes resumed)", slow_reader("/8m.bin", 256),
         server="root"),
    Case("traversal refused: /../secret", traversal("/../secret"), server="root"),
    Case("traversal refused: /%2e%2e/secret", traversal("/%2e%2e/secret"), server="root"),
    Case("traversal refused: /sub/..%2f..%2fsecret", traversal("/sub/..%2f..%2fsecret"), server="root"),
    Case("traversal refused: /%2e%2e%5csecret", traversal("/%2e%2e%5csecret"), server="root"),
    Case("traversal refused: /sub/%2e%2e/%2e%2e/secret", traversal("/sub/%2e%2e/%2e%2e/secret"), server="root"),
    Case("traversal refused: /a.txt%00.html (NUL)", traversal("/a.txt%00.html"), server="root"),
    Case("traversal refused: /sub\\..\\..\\secret (backslash)", traversal("/sub\\..\\..\\secret"), server="root"),
    Case("traversal refused: /sub/../a.txt (any .. segment)", traversal("/sub/../a.txt"), server="root"),
    Case("traversal refused: /link-out (symlink out of the root)", traversal("/link-out"), server="root"),
    Case("symlink inside the root -> 200", symlink_inside, server="root"),
    Case("RFC 9112 3.2.2: absolute-form GET of a file serves the target's path",
         absolute_form_wins("/a.txt", lambda ctx: ctx.fixture.files["/a.txt"]), server="root"),

    # daytime
    Case("daytime: one line ending in CRLF, then close", daytime_line, server="daytime"),
]

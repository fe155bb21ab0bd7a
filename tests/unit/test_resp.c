/* Unit test of the load generator's HTTP response checker (harness/loadgen/resp.c).
 *
 * A table of named responses, each with what the checker must conclude:
 * done (with the status, whether the server said close, and how many bytes
 * the response took), bad, or more (incomplete).  Every case is fed whole,
 * split in two at every position, and one byte at a time: the answer must be
 * the same every way (the parser keeps its state across pieces, and matches a
 * header name that arrives whole at once, one split across reads byte by
 * byte).  TAP output; exit 0 when all pass, 1 otherwise. */
#include "../../harness/loadgen/resp.c"

#include <stdio.h>
#include <string.h>

#include "tap.h"

struct resp_case {
	const char *name;
	const char *bytes;
	int rc;          /* RESP_DONE, RESP_BAD or RESP_MORE after all bytes */
	unsigned status; /* RESP_DONE: the status */
	int close;       /* RESP_DONE: Connection: close seen */
	size_t used;     /* RESP_DONE: bytes of the response; 0 = all */
};

#define HELLO "Content-Length: 13\r\n\r\nHello, World!"

static const struct resp_case cases[] = {
    {"the suite's 200",
     "HTTP/1.1 200 OK\r\nServer: epoll\r\nDate: Wed, 02 Dec 2026 06:14:11 GMT\r\n"
     "Content-Type: text/plain\r\n" HELLO,
     RESP_DONE, 200, 0, 0},
    {"header names in any case",
     "HTTP/1.1 200 OK\r\ncONTENT-lENGTH: 3\r\nCONNECTION: Close\r\n\r\nabc", RESP_DONE, 200, 1, 0},
    {"Connection: keep-alive, close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n" HELLO,
     RESP_DONE, 200, 1, 0},
    {"Connection: keep-alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n" HELLO, RESP_DONE,
     200, 0, 0},
    {"a response followed by the next one", "HTTP/1.1 200 OK\r\n" HELLO "HTTP/1.1 200", RESP_DONE,
     200, 0, 52},
    {"HTTP/1.0 404 with a body", "HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nNot found",
     RESP_DONE, 404, 0, 0},
    {"no reason phrase", "HTTP/1.1 204\r\nContent-Length: 0\r\n\r\n", RESP_DONE, 204, 0, 0},
    {"Content-Length twice, equal",
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", RESP_DONE, 200, 0, 0},
    {"Content-Length with trailing space", "HTTP/1.1 200 OK\r\nContent-Length: 2 \r\n\r\nab",
     RESP_DONE, 200, 0, 0},
    {"names that are prefixes or extensions of known ones",
     "HTTP/1.1 200 OK\r\nContent-Lengthy: 7\r\nConnectio: close\r\nContent-: x\r\nC: d\r\n" HELLO,
     RESP_DONE, 200, 0, 0},
    {"Content-Length twice, different",
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", RESP_BAD, 0, 0, 0},
    {"Transfer-Encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", RESP_BAD, 0, 0,
     0},
    {"no Content-Length", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nabc", RESP_BAD, 0, 0, 0},
    {"a space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc", RESP_BAD, 0, 0,
     0},
    {"an empty header name", "HTTP/1.1 200 OK\r\n: 3\r\n\r\nabc", RESP_BAD, 0, 0, 0},
    {"Content-Length not a number", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabc", RESP_BAD, 0,
     0, 0},
    {"a control byte in a value", "HTTP/1.1 200 OK\r\nServer: a\001b\r\n" HELLO, RESP_BAD, 0, 0, 0},
    {"a 1xx status", "HTTP/1.1 100 Continue\r\n\r\n", RESP_BAD, 0, 0, 0},
    {"not HTTP/1.x", "HTTP/2.0 200 OK\r\n" HELLO, RESP_BAD, 0, 0, 0},
    {"garbage", "garbage\r\n\r\n", RESP_BAD, 0, 0, 0},
    {"bare LF after a header", "HTTP/1.1 200 OK\r\nServer: x\n" HELLO, RESP_BAD, 0, 0, 0},
    {"head only, body due", "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello", RESP_MORE, 0, 0,
     0},
    {"head cut in a header name", "HTTP/1.1 200 OK\r\nContent-Len", RESP_MORE, 0, 0, 0},
};

/* Feeds the case in pieces of `step` bytes (the first piece `first` bytes);
 * writes the outcome as text. */
static void feed(const struct resp_case *c, size_t first, size_t step, char *out, size_t cap)
{
	struct resp_http r;
	size_t len = strlen(c->bytes), off = 0, used = 0;
	int rc = RESP_MORE;
	resp_http_init(&r);
	while (off < len && rc == RESP_MORE) {
		size_t n = off == 0 ? first : step;
		if (n > len - off)
			n = len - off;
		rc = resp_http_feed(&r, c->bytes + off, n, &used);
		off += rc == RESP_DONE ? used : n;
	}
	if (rc == RESP_DONE)
		snprintf(out, cap, "done status %u close %d after %zu bytes", r.status,
			 !!(r.flags & RESP_F_CLOSE), off);
	else
		snprintf(out, cap, "%s", rc == RESP_BAD ? "bad" : "more");
}

static void check_case(const struct resp_case *c)
{
	char want[96], got[96], how[64];
	size_t len = strlen(c->bytes);
	if (c->rc == RESP_DONE)
		snprintf(want, sizeof(want), "done status %u close %d after %zu bytes", c->status,
			 c->close, c->used ? c->used : len);
	else
		snprintf(want, sizeof(want), "%s", c->rc == RESP_BAD ? "bad" : "more");
	int ok = 1;
	/* way 0: whole; 1: a byte at a time; k >= 2: split after byte k - 1 */
	for (size_t way = 0; ok && way <= len; way++) {
		size_t first = way == 0 ? len : way == 1 ? 1 : way - 1;
		feed(c, first, way == 1 ? 1 : len, got, sizeof(got));
		if (way < 2)
			snprintf(how, sizeof(how), "%s", way == 0 ? "whole" : "a byte at a time");
		else
			snprintf(how, sizeof(how), "split after byte %zu", way - 1);
		ok = strcmp(want, got) == 0;
	}
	tap_check(ok, c->name, "expected %s, got %s (fed %s)", want, got, how);
}

int main(void)
{
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		check_case(&cases[k]);
	return tap_done();
}

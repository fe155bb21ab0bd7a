/* test_conn.c - the connection core without I/O (servers/common/conn.c), as a
 * table of named cases: bytes in, what the connection wants out.
 *
 * Daytime, pipelining, half-close, the lingering close after an error or with
 * input left unanswered, --max-conns admission, a --root file read by the
 * driver (CONN_FILE), and the deadlines: the head deadline is total from the
 * first byte of a head (later bytes do not move it), and pending output that
 * makes no progress does not move it either. The deadlines are checked by
 * their value, not by waiting for them. TAP; exit 0 when all pass, 1 otherwise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "tap.h"

static struct server_opts opts = {.addr = "127.0.0.1", .root_fd = -1, .workers = 1,
				  .max_conns = 100, .idle_ms = 10000};
static struct conn_loop loop;

static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static const char *want_name(enum conn_want w)
{
	static const char *names[] = {"READ", "WRITE", "CLOSE", "FILE", "LINGER"};
	return (unsigned)w < 5 ? names[w] : "?";
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Feed text (NULL: EOF) through the read span, as a readiness or blocking driver does. */
static void feed(struct conn *c, const char *text)
{
	size_t room, n = text ? strlen(text) : 0;
	char *p = conn_read_span(c, &room);
	if (n > room)
		n = room;
	memcpy(p, text ? text : "", n);
	conn_received(c, n);
}

/* Send everything queued; returns the bytes and copies the first of them into first[]. */
static size_t send_all(struct conn *c, char *first, size_t cap)
{
	struct iovec iov[2];
	size_t total = 0;
	first[0] = '\0';
	while (conn_advance(c) == CONN_WRITE) {
		int cnt = conn_out_iov(c, iov);
		if (total == 0) {
			size_t k = iov[0].iov_len < cap - 1 ? iov[0].iov_len : cap - 1;
			memcpy(first, iov[0].iov_base, k);
			first[k] = '\0';
		}
		for (int i = 0; i < cnt; i++)
			total += iov[i].iov_len;
		conn_sent(c, iov[0].iov_len + (cnt > 1 ? iov[1].iov_len : 0));
	}
	return total;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct step_case {
	const char *name;
	const char *input; /* fed at once */
	int eof;           /* then EOF */
	const char *first; /* the output begins with this */
	enum conn_want after; /* once the output is sent */
};

static const struct step_case steps[] = {
    {"one request: 200, then wait for the next", GET, 0, "HTTP/1.1 200 OK", CONN_READ},
    {"half a head: wait for the rest", "GET / HTTP/1.1\r\nHo", 0, "", CONN_READ},
    {"half-close after a request: answered, then close", GET, 1, "HTTP/1.1 200 OK", CONN_CLOSE},
    {"Connection: close: answered, then close",
     "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, "HTTP/1.1 200 OK", CONN_CLOSE},
    {"HTTP/1.0: answered, then close", "GET / HTTP/1.0\r\n\r\n", 0, "HTTP/1.1 200 OK", CONN_CLOSE},
    {"a malformed request: 400, then linger (drain until EOF)", "BAD\r\n\r\n", 0, "HTTP/1.1 400",
     CONN_LINGER},
    {"HTTP/1.1 without Host: 400, then linger", "GET / HTTP/1.1\r\n\r\n", 0, "HTTP/1.1 400",
     CONN_LINGER},
    {"an error from a peer that half-closed: close, no linger", "BAD\r\n\r\n", 1, "HTTP/1.1 400",
     CONN_CLOSE},
    {"Connection: close with a request behind it: linger (unread input)",
     "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 0,
     "HTTP/1.1 200 OK", CONN_LINGER},
};

static void run_steps(void)
{
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const struct step_case *s = &steps[i];
		char first[64];
		struct conn *c = conn_new(&loop, -1);
		feed(c, s->input);
		if (s->eof)
			feed(c, NULL);
		send_all(c, first, sizeof first);
		enum conn_want w = conn_advance(c);
		int ok = strncmp(first, s->first, strlen(s->first)) == 0 && w == s->after;
		tap_check(ok, s->name, "expected output '%s...' then %s, got '%.20s' then %s", s->first,
			  want_name(s->after), first, want_name(w));
		conn_free(c);
	}
}

static void run_pipelined(void)
{
	char many[16 * sizeof GET], first[64];
	many[0] = '\0';
	for (int i = 0; i < 16; i++)
		strcat(many, GET);
	struct conn *c = conn_new(&loop, -1);
	feed(c, many);
	struct iovec iov[2];
	enum conn_want w = conn_advance(c);
	int cnt = conn_out_iov(c, iov);
	char out[8192] = "";
	if (cnt >= 1 && iov[0].iov_len < sizeof out)
		memcpy(out, iov[0].iov_base, iov[0].iov_len);
	tap_check(w == CONN_WRITE && count(out, "HTTP/1.1 200") == 16,
		  "16 pipelined requests in one read: 16 responses queued together",
		  "expected WRITE and 16 responses, got %s and %d", want_name(w), count(out, "HTTP/1.1 200"));
	send_all(c, first, sizeof first);
	tap_check(conn_advance(c) == CONN_READ, "then wait for more", "expected READ, got %s",
		  want_name(c->want));
	conn_free(c);
}

static void run_daytime(void)
{
	struct server_opts o = opts;
	struct conn_loop l;
	char first[128];
	o.proto = PROTO_DAYTIME;
	conn_loop_init(&l, &o, "test");
	struct conn *c = conn_new(&l, -1);
	enum conn_want w0 = c->want;
	size_t n = send_all(c, first, sizeof first);
	enum conn_want w = conn_advance(c);
	tap_check(w0 == CONN_WRITE && n > 2 && strcmp(first + n - 2, "\r\n") == 0 && w == CONN_CLOSE,
		  "daytime: one line ending CRLF, then close",
		  "expected WRITE, a CRLF line, CLOSE; got %s, '%s', %s", want_name(w0), first, want_name(w));
	conn_free(c);
}

static void run_admission(void)
{
	struct server_opts o = opts;
	struct conn_loop l;
	o.max_conns = conn_count() + 2;
	conn_loop_init(&l, &o, "test");
	struct conn *a = conn_admit(&l) ? conn_new(&l, -1) : NULL;
	struct conn *b = conn_admit(&l) ? conn_new(&l, -1) : NULL;
	int third = conn_admit(&l);
	tap_check(a && b && !third, "--max-conns 2: two admitted, the third refused",
		  "expected 1, 1, 0; got %d, %d, %d", !!a, !!b, third);
	conn_free(a);
	tap_check(conn_admit(&l), "--max-conns 2: one closed, one more admitted", "expected 1, got 0");
	conn_free(b);
}

static void run_deadlines(void)
{
	struct conn *c = conn_new(&loop, -1);
	feed(c, "G");
	long long due = c->timer.due_ms;
	sleep_ms(15);
	feed(c, "ET / HT");
	sleep_ms(15);
	feed(c, "TP/1.1\r\n");
	tap_check(c->timer.due_ms == due && conn_advance(c) == CONN_READ,
		  "the head deadline is total: later bytes of the head do not move it",
		  "expected due %lld, got %lld", due, c->timer.due_ms);
	conn_free(c);

	/* A response larger than one send, to a peer that stops reading. */
	char dir[] = "/tmp/test_conn.XXXXXX", path[64];
	struct server_opts o = opts;
	struct conn_loop l;
	char first[64];
	if (!mkdtemp(dir)) {
		tap_check(0, "a --root directory", "expected mkdtemp to work");
		return;
	}
	snprintf(path, sizeof path, "%s/big.txt", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < 100000; i++)
		fputs("0123456789", f);
	if (f)
		fclose(f);
	o.root_fd = open(dir, O_RDONLY | O_DIRECTORY);
	conn_loop_init(&l, &o, "test");
	c = conn_new(&l, -1);
	feed(c, "GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	enum conn_want w = conn_advance(c);
	int reads = 0;
	while (w == CONN_FILE && reads++ < 100) {
		conn_file_pread(c);
		w = conn_advance(c);
	}
	tap_check(w == CONN_WRITE && reads >= 1, "--root: the file is the driver's to read (CONN_FILE), then WRITE",
		  "expected FILE then WRITE, got %s after %d reads", want_name(w), reads);
	due = c->timer.due_ms;
	sleep_ms(15);
	w = conn_advance(c);
	tap_check(w == CONN_WRITE && c->timer.due_ms == due,
		  "a peer that stops reading: pending output without progress does not move the deadline",
		  "expected WRITE and due %lld, got %s and %lld", due, want_name(w), c->timer.due_ms);
	conn_sent(c, 1000);
	tap_check(c->timer.due_ms > due, "progress of the output moves the deadline",
		  "expected due past %lld, got %lld", due, c->timer.due_ms);
	size_t total = send_all(c, first, sizeof first) + 1000;
	tap_check(total > 1000000 && strncmp(first, "HTTP/1.1 200", 12) != 0 && conn_advance(c) == CONN_READ,
		  "then the whole body goes out and the connection waits for more",
		  "expected over 1000000 bytes then READ, got %zu then %s", total, want_name(c->want));
	conn_free(c);
	close(o.root_fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	conn_loop_init(&loop, &opts, "test");
	run_steps();
	run_pipelined();
	run_daytime();
	run_admission();
	run_deadlines();
	return tap_done();
}

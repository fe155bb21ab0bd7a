/* conn.c - the connection core without I/O (see conn.h): bytes in, what to do next out. */
#include "conn.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daytime.h"
#include "work.h"

#define OUT_COPY_MAX (32 * 1024) /* bodies up to this are copied behind their head */
#define OUT_HIGH     (64 * 1024) /* stop answering pipelined requests beyond this */

static int live_conns; /* whole process, __atomic */

/* Activity (a head begins, a response is queued, output goes out): the
 * deadline moves to --idle-ms from now. */
static void touch(struct conn *c)
{
	deadline_set(&c->loop->timers, &c->timer, now_ms() + c->loop->o->idle_ms);
}

static struct conn *timer_conn(struct deadline *d)
{
	return d ? list_entry(d, struct conn, timer) : NULL;
}

struct conn *conn_expired(struct conn_loop *l, long long now)
{
	return timer_conn(deadline_expired(&l->timers, now));
}

int conn_timeout_ms(struct conn_loop *l, long long now)
{
	return deadline_wait_ms(&l->timers, now);
}

struct conn *conn_oldest(struct conn_loop *l)
{
	return timer_conn(deadline_first(&l->timers));
}

void conn_untime(struct conn *c)
{
	deadline_cancel(&c->timer);
}

int conn_next_wait_ms(struct conn_loop *l, long long now, long long paused_until_ms)
{
	int t = conn_timeout_ms(l, now);
	if (paused_until_ms) {
		int p = paused_until_ms > now ? (int)(paused_until_ms - now) : 0;
		t = t < 0 || p < t ? p : t;
	}
	return t;
}

void conn_loop_init(struct conn_loop *l, const struct server_opts *o, const char *server)
{
	memset(l, 0, sizeof *l);
	l->o = o;
	l->server = server;
	deadline_list_init(&l->timers);
}

/* ---- output ---- */

static int out_append(struct conn *c, const void *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 1024;
		while (cap < c->out_len + n)
			cap *= 2;
		char *b = realloc(c->out, cap);
		if (!b)
			return -1;
		c->out = b;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

/* Queue a response behind those already queued. A large body is kept by
 * reference (and no further request is answered until it is sent). */
static void queue(struct conn *c, struct http_response *r)
{
	struct iovec iov[2];
	int n = http_response_iov(r, iov);
	int ok = r->head_len > 0 && out_append(c, iov[0].iov_base, iov[0].iov_len) == 0;

	if (ok && n == 2 && iov[1].iov_len > OUT_COPY_MAX) {
		c->big = *r;
		c->big_pending = 1;
		c->big_off = 0;
	} else {
		if (ok && n == 2)
			ok = out_append(c, iov[1].iov_base, iov[1].iov_len) == 0;
		http_response_free(r);
	}
	if (!ok) { /* out of memory: give up on this connection */
		c->closing = 1;
		c->linger = 0;
		c->out_len = c->out_off = 0;
	} else if (r->close) {
		c->closing = 1;
		c->linger = r->status >= 400; /* unread input may follow the error */
	}
	touch(c); /* a request done: the next head's clock starts now */
}

static void queue_error(struct conn *c, int status)
{
	struct http_response r;
	http_error(&r, status, c->loop->server);
	queue(c, &r);
}

static int out_pending(const struct conn *c)
{
	return c->out_off < c->out_len || c->big_pending;
}

int conn_out_iov(struct conn *c, struct iovec iov[2])
{
	struct iovec body[2];
	int cnt = 0;
	if (c->out_off < c->out_len) {
		iov[cnt].iov_base = c->out + c->out_off;
		iov[cnt++].iov_len = c->out_len - c->out_off;
	}
	if (c->big_pending) {
		http_response_iov(&c->big, body);
		iov[cnt].iov_base = (char *)body[1].iov_base + c->big_off;
		iov[cnt++].iov_len = body[1].iov_len - c->big_off;
	}
	return cnt;
}

void conn_sent(struct conn *c, size_t n)
{
	struct iovec body[2];
	touch(c); /* progress: a reader that stops reading runs out of time */
	size_t k = n < c->out_len - c->out_off ? n : c->out_len - c->out_off;
	c->out_off += k;
	c->big_off += n - k;
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > OUT_HIGH) { /* a burst is over: give the memory back */
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	if (c->big_pending && (http_response_iov(&c->big, body), c->big_off == body[1].iov_len)) {
		http_response_free(&c->big);
		c->big_pending = 0;
	}
}

/* ---- input ---- */

/* Respond to req; a --root file's body is left in c->big for the driver to
 * read (CONN_FILE; returns 1). */
static int respond(struct conn *c, const struct http_request *req)
{
	const struct server_opts *o = c->loop->o;
	struct http_response r;
	http_count_response();
	http_prepare(req, o, &r);
	work_do(o->spin_us, o->block_us);
	if (r.file_fd >= 0 && r.body_len > 0 && (r.body_buf = malloc(r.body_len))) {
		c->big = r;
		c->big_off = 0;
		c->file_wait = 1;
		return 1;
	}
	http_read_file(&r); /* an empty file (nothing to read), or no memory: 500 */
	http_finish(&r, c->loop->server);
	queue(c, &r);
	return 0;
}

int conn_file_read(struct conn *c, int res)
{
	struct http_response r = c->big;
	if (res > 0 && (c->big_off += (size_t)res) < r.body_len)
		return 1;
	c->file_wait = 0;
	if (res <= 0) { /* the file shrank or could not be read: 500, and close */
		http_response_free(&r);
		http_error(&r, 500, c->loop->server);
	} else {
		http_file_loaded(&r);
		http_finish(&r, c->loop->server);
	}
	queue(c, &r);
	return 0;
}

/* Answer the complete requests in the buffer, in order. Returns 1 when it
 * stopped because enough output is queued, or a file is to be read (requests
 * may remain), else 0. With --root, a request is answered only once the
 * output before it has gone: answering opens its file, and a completion
 * driver's send may be in flight for long, so a pipelining connection would
 * hold a file open beside its socket (240 connections under a 300-fd limit
 * answered 560,000-840,000 500s on uring and iocp-emul, none on epoll). For
 * GETs of files nothing else changes: a file response was never sent with
 * the next one. Pipelined HEADs and errors under --root now go out one write
 * (or one send) each instead of one per batch. */
static int answer_buffered(struct conn *c)
{
	size_t off = 0;
	int limited = 0;

	while (!c->closing && off < c->in_len) {
		if (c->big_pending || c->file_wait || c->out_len - c->out_off >= OUT_HIGH ||
		    (c->loop->o->root_fd >= 0 && out_pending(c))) {
			limited = 1;
			break;
		}
		struct http_request req;
		int n = http_parse_request(c->in + off, c->in_len - off, &req);
		if (n == HTTP_PARTIAL) {
			if (c->in_len - off >= sizeof c->in)
				queue_error(c, 431);
			break;
		}
		if (n == HTTP_ERROR) {
			queue_error(c, req.status);
			break;
		}
		off += (size_t)n;
		if (respond(c, &req))
			limited = 1;
	}
	if (c->closing) {
		if (c->in_len > off)
			c->linger = 1; /* pipelined input past the last answer: read it away */
		c->in_len = 0;
	} else if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return limited;
}

/* Move input held beyond the head buffer into its room. */
static int refill(struct conn *c)
{
	size_t room = sizeof c->in - c->in_len, k = c->more_len < room ? c->more_len : room;
	if (!k)
		return 0;
	memcpy(c->in + c->in_len, c->more, k);
	c->in_len += k;
	memmove(c->more, c->more + k, c->more_len - k);
	c->more_len -= k;
	return 1;
}

enum conn_want conn_advance(struct conn *c)
{
	int limited;
	while (!(limited = answer_buffered(c)) && !c->closing && refill(c))
		;
	if (c->closing)
		c->more_len = 0;
	if (out_pending(c))
		return c->want = CONN_WRITE;
	if (c->file_wait)
		return c->want = CONN_FILE;
	if (c->closing)
		return c->want = c->linger && !c->eof ? CONN_LINGER : CONN_CLOSE;
	return c->want = c->eof ? CONN_CLOSE : CONN_READ;
}

char *conn_read_span(struct conn *c, size_t *room)
{
	*room = c->closing || c->more_len ? 0 : sizeof c->in - c->in_len;
	return c->in + c->in_len;
}

void conn_received(struct conn *c, size_t n)
{
	if (n == 0) {
		c->eof = 1; /* half-close: still answer what came, then close */
		return;
	}
	if (c->in_len == 0)
		touch(c); /* a new request head begins: its deadline is total from here */
	c->in_len += n;
}

int conn_take(struct conn *c, const char *p, size_t n)
{
	if (n == 0)
		c->eof = 1; /* acted on once what is held has been answered */
	if (c->closing || n == 0)
		return 0; /* lingering after an error, or about to close: dropped */
	size_t room, k;
	char *at = conn_read_span(c, &room);
	k = n < room ? n : room;
	if (k) {
		memcpy(at, p, k);
		conn_received(c, k);
	}
	if (k == n)
		return 0;
	if (c->more_len + n - k > c->more_cap) { /* the rest waits, in order */
		size_t cap = 2 * (c->more_len + n - k);
		char *b = realloc(c->more, cap);
		if (!b)
			return -1;
		c->more = b;
		c->more_cap = cap;
	}
	memcpy(c->more + c->more_len, p + k, n - k);
	c->more_len += n - k;
	return 0;
}

/* ---- admission, start and end ---- */

int conn_admit(const struct conn_loop *l)
{
	return conn_count() < l->o->max_conns;
}

int conn_count(void)
{
	return __atomic_load_n(&live_conns, __ATOMIC_RELAXED);
}

struct conn *conn_new(struct conn_loop *l, int fd)
{
	struct conn *c = malloc(sizeof *c);
	if (!c)
		return NULL;
	memset(c, 0, offsetof(struct conn, in));
	c->fd = fd;
	c->loop = l;
	c->big.file_fd = -1;
	touch(c); /* the first head must begin and end within --idle-ms */
	l->nconns++;
	__atomic_add_fetch(&live_conns, 1, __ATOMIC_RELAXED);

	c->want = CONN_READ;
	if (l->o->proto == PROTO_DAYTIME) {
		char line[128];
		size_t n = daytime_format(line, sizeof line);
		c->closing = 1;
		c->want = n > 0 && out_append(c, line, n) == 0 ? CONN_WRITE : CONN_CLOSE;
	}
	return c;
}

void conn_free(struct conn *c)
{
	deadline_cancel(&c->timer);
	c->loop->nconns--;
	__atomic_sub_fetch(&live_conns, 1, __ATOMIC_RELAXED);
	if (c->big_pending || c->file_wait)
		http_response_free(&c->big);
	free(c->out);
	free(c->more);
	free(c);
}

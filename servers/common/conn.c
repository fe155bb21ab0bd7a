/* conn.c - the per-connection state machine of select, epoll and libevent (see conn.h). */
#include "conn.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daytime.h"
#include "net.h"
#include "serve.h"
#include "server.h"
#include "work.h"

#define OUT_COPY_MAX (32 * 1024) /* bodies up to this are copied behind their head */
#define OUT_HIGH     (64 * 1024) /* stop answering pipelined requests beyond this */

static int live_conns;      /* whole process, __atomic */
static long rejected_conns; /* __atomic */

/* ---- the timer list: oldest activity first ---- */

static void timer_unlink(struct conn *c)
{
	struct conn_loop *l = c->loop;
	if (!c->prev && l->head != c)
		return; /* not in the list (conn_untime) */
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void timer_append(struct conn *c)
{
	struct conn_loop *l = c->loop;
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* Activity: a request began or completed, or output went out. */
static void touch(struct conn *c)
{
	c->active_ms = now_ms();
	if (c->loop->tail != c) {
		timer_unlink(c);
		timer_append(c);
	}
}

struct conn *conn_expired(struct conn_loop *l, long long now)
{
	struct conn *c = l->head;
	return c && now - c->active_ms >= l->o->idle_ms ? c : NULL;
}

int conn_timeout_ms(struct conn_loop *l, long long now)
{
	if (!l->head)
		return -1;
	long long left = l->head->active_ms + l->o->idle_ms - now;
	return left < 0 ? 0 : (int)left;
}

void conn_loop_init(struct conn_loop *l, const struct server_opts *o, const char *server)
{
	memset(l, 0, sizeof *l);
	l->o = o;
	l->server = server;
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
	touch(c);
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

/* Write what is queued: 1 all sent, 0 the socket is full, -1 error. */
static int flush(struct conn *c)
{
	while (out_pending(c)) {
		struct iovec iov[2];
		int cnt = conn_out_iov(c, iov);
		size_t want = 0;
		for (int i = 0; i < cnt; i++)
			want += iov[i].iov_len;
		ssize_t n = cnt == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len)
				     : writev(c->fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		conn_sent(c, (size_t)n);
		if ((size_t)n < want)
			return 0; /* the socket buffer is full: wait for writable */
	}
	return 1;
}

/* ---- input ---- */

/* Respond to req: at once (sync), or, on the completion side, leave a --root
 * file's response in c->big for the loop to read (returns 1). */
static int respond(struct conn *c, const struct http_request *req, int sync)
{
	const struct server_opts *o = c->loop->o;
	struct http_response r;
	if (sync) {
		http_respond(req, o, c->loop->server, &r);
	} else {
		http_prepare(req, o, &r);
		work_do(o->spin_us, o->block_us);
		if (r.file_fd >= 0 && r.body_len > 0 && (r.body_buf = malloc(r.body_len))) {
			c->big = r;
			c->big_off = 0;
			c->file_wait = 1;
			return 1;
		}
		http_read_file(&r); /* an empty file, or no memory: 500 */
		http_finish(&r, c->loop->server);
	}
	queue(c, &r);
	touch(c); /* a request done: the next head's clock starts now */
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
		close(r.file_fd);
		r.file_fd = -1;
		r.body = r.body_buf;
		http_finish(&r, c->loop->server);
	}
	queue(c, &r);
	touch(c);
	return 0;
}

/* Answer the complete requests in the buffer, in order. Returns 1 when it
 * stopped because enough output is queued, or a file is to be read (requests
 * may remain), else 0. */
static int answer_buffered(struct conn *c, int sync)
{
	size_t off = 0;
	int limited = 0;

	while (!c->closing && off < c->in_len) {
		if (c->big_pending || c->file_wait || c->out_len - c->out_off >= OUT_HIGH) {
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
		if (respond(c, &req, sync))
			limited = 1;
	}
	if (c->closing)
		c->in_len = 0;
	else if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return limited;
}

/* Completion side: move input held beyond the head buffer into its room. */
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

static int answer(struct conn *c, int sync)
{
	int limited;
	while (!(limited = answer_buffered(c, sync)) && !c->closing && refill(c))
		;
	if (c->closing)
		c->more_len = 0;
	return limited;
}

/* After an error response: stop sending, read and drop the rest until the
 * peer closes (or the idle timeout), so that closing with unread input does
 * not reset the connection before the peer has read the error. */
static enum conn_want linger_read(struct conn *c)
{
	char sink[4096];
	ssize_t n = read(c->fd, sink, sizeof sink);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return c->want = CONN_READ;
	return c->want = CONN_CLOSE;
}

/* Answer what can be answered, flush (sync) or leave the output to the
 * loop, and say what comes next. */
static enum conn_want step(struct conn *c, int sync)
{
	for (;;) {
		int limited = answer(c, sync);
		int f = sync ? flush(c) : !out_pending(c);
		if (f < 0)
			return c->want = CONN_CLOSE;
		if (f == 0)
			return c->want = CONN_WRITE;
		if (c->file_wait)
			return c->want = CONN_FILE;
		if (c->closing) {
			if (!c->linger || c->eof)
				return c->want = CONN_CLOSE;
			shutdown(c->fd, SHUT_WR); /* readable now means linger_read */
			return c->want = CONN_READ;
		}
		if (!limited)
			return c->want = c->eof ? CONN_CLOSE : CONN_READ;
	}
}

enum conn_want conn_on_readable(struct conn *c)
{
	if (c->closing)
		return linger_read(c);
	size_t was = c->in_len;
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
	if (n < 0)
		return c->want = errno == EAGAIN || errno == EINTR ? CONN_READ : CONN_CLOSE;
	if (n == 0)
		c->eof = 1; /* half-close: still answer what came, then close */
	else if (was == 0)
		touch(c); /* a new request head begins: the head timeout runs from here */
	c->in_len += (size_t)n;
	return step(c, 1);
}

enum conn_want conn_on_writable(struct conn *c)
{
	return step(c, 1);
}

int conn_take(struct conn *c, const char *p, size_t n)
{
	if (n == 0)
		c->eof = 1; /* acted on once what is held has been answered */
	if (c->closing || n == 0)
		return 0; /* lingering after an error, or about to close: dropped */
	size_t room = c->more_len ? 0 : sizeof c->in - c->in_len, k = n < room ? n : room;
	if (c->in_len == 0 && k)
		touch(c); /* a new request head begins */
	if (k)
		memcpy(c->in + c->in_len, p, k);
	c->in_len += k;
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

enum conn_want conn_advance(struct conn *c)
{
	return step(c, 0);
}

void conn_untime(struct conn *c)
{
	timer_unlink(c);
}

struct conn *conn_open(struct conn_loop *l, int fd)
{
	struct conn *c = malloc(sizeof *c);
	if (!c) {
		close(fd);
		return NULL;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->fd = fd;
	c->loop = l;
	c->big.file_fd = -1;
	c->active_ms = now_ms();
	timer_append(c);
	l->nconns++;
	__atomic_add_fetch(&live_conns, 1, __ATOMIC_RELAXED);

	c->want = CONN_READ;
	if (l->o->proto == PROTO_DAYTIME) {
		char line[128];
		size_t n = daytime_format(line, sizeof line);
		c->closing = 1;
		if (n > 0 && out_append(c, line, n) == 0)
			step(c, 1);
		else
			c->want = CONN_CLOSE;
	}
	return c;
}

void conn_close(struct conn *c)
{
	timer_unlink(c);
	c->loop->nconns--;
	__atomic_sub_fetch(&live_conns, 1, __ATOMIC_RELAXED);
	close(c->fd);
	if (c->big_pending || c->file_wait)
		http_response_free(&c->big);
	free(c->out);
	free(c->more);
	free(c);
}

/* ---- what the loops share around the connections ---- */

int conn_count(void)
{
	return __atomic_load_n(&live_conns, __ATOMIC_RELAXED);
}

long conn_rejected(void)
{
	return __atomic_load_n(&rejected_conns, __ATOMIC_RELAXED);
}

void conn_reject(struct conn_loop *l, int fd)
{
	if (l->o->proto == PROTO_HTTP)
		serve_reject(fd, l->server); /* 503, and drained so close sends no RST */
	else
		close(fd);
	__atomic_add_fetch(&rejected_conns, 1, __ATOMIC_RELAXED);
}

int conn_accept_batch(struct conn_loop *l, int lfd, int fd_limit,
		      void (*admit)(struct conn_loop *l, struct conn *c))
{
	for (int i = 0; i < CONN_ACCEPT_BATCH; i++) {
		int fd = net_accept(lfd, 1);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno != EMFILE && errno != ENFILE)
				log_warn("accept: %s", strerror(errno));
			return 1;
		}
		if ((fd_limit > 0 && fd >= fd_limit) || conn_count() >= l->o->max_conns) {
			conn_reject(l, fd);
			continue;
		}
		struct conn *c = conn_open(l, fd);
		if (c)
			admit(l, c);
	}
	return 0;
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

int conn_default_max(int cap)
{
	struct rlimit rl;
	long n = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = (long)rl.rlim_cur;
	n = n > 64 ? n - 32 : n / 2; /* keep descriptors for listeners, files, the 503 */
	if (n > 1000000)
		n = 1000000;
	if (cap > 0 && n > cap)
		n = cap;
	return n > 0 ? (int)n : 1;
}

void conn_run_reactors(int n, void *(*fn)(void *), void *args, size_t stride)
{
	pthread_t *tids = calloc((size_t)n, sizeof *tids);
	sigset_t all, old;
	if (!tids)
		log_fatal("out of memory");
	sigemptyset(&all);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the threads */
	for (int i = 1; i < n; i++) {
		int e = pthread_create(&tids[i], NULL, fn, (char *)args + (size_t)i * stride);
		if (e)
			log_fatal("pthread_create: %s", strerror(e));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fn(args);
	for (int i = 1; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
}

/* The load generator's event loop: one per thread, over non-blocking sockets.
 *
 * Each connection is registered once, edge-triggered for input and output, so
 * a keep-alive request costs one send() and one recv() and no epoll_ctl; the
 * response is parsed incrementally from a per-thread buffer (resp.c), so a
 * connection holds no buffer of its own.
 * The schedule (closed loop and its ramp, open loop, --think-ms, timeouts,
 * back-off, tickets) is schedule.c's, shared with the io_uring loop.
 * Each connection counts the requests it completed in the window
 * (conns_served, Jain's fairness index: stats.h).
 * --pipeline N: the request buffer holds N copies, sent together; the N
 * responses are parsed in order from the same bytes, each counted with its
 * latency from the moment the batch began (wrk's pipeline); a failure ends
 * the responses still due as errors of its kind, one each.
 * Latency runs from the intended send time (open loop) or the moment the
 * request began, connect included (closed loop).  A request ends in exactly
 * one of: a counted response, or one error kind.  Its timeout runs from the
 * handshake (a connect gets the longer connect timeout).  After a connect
 * error a connection backs off for SCHED_BACKOFF_NS, after any other error it
 * reconnects at once.  Requests in flight when the run stops are not counted,
 * as in wrk.  The clock is read once per event: the one reading ends the
 * response and starts the next request. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "worker.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "resp.h"
#include "schedule.h"

#define RBUF_BYTES     (64 * 1024)
#define MAX_EVENTS     1024
#define WAKE_TAG       UINT64_MAX

struct worker {
	struct sched s; /* the schedule, the counters and the shared settings (s.sh) */
	int epfd;
	pthread_t thread;
	struct epoll_event events[MAX_EVENTS];
	char rbuf[RBUF_BYTES];
};

/* recv() and send() as plain system calls: glibc's wrappers are thread
 * cancellation points and pay for enabling and disabling asynchronous
 * cancellation around every call (1-2% of the client's CPU in perf), which a
 * program that never cancels a thread does not need. */
static ssize_t sock_recv(int fd, void *buf, size_t len)
{
	return syscall(SYS_recvfrom, fd, buf, len, 0, NULL, NULL);
}

static ssize_t sock_send(int fd, const void *buf, size_t len)
{
	return syscall(SYS_sendto, fd, buf, len, MSG_NOSIGNAL, NULL, 0);
}

static int conn_index(const struct worker *w, const struct lg_conn *c)
{
	return sched_index(&w->s, c);
}

/* ---- sockets ---- */

static void conn_close(struct worker *w, struct lg_conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->gen++;
	c->connected = 0;
	c->state = CS_CLOSED;
	(void)w;
}

/* Starts a non-blocking connect; 0, or -1 with errno set. */
static int conn_open(struct worker *w, struct lg_conn *c)
{
	int fd = sched_socket_connect(w->s.sh, w->s.first_conn + conn_index(w, c), 0);
	if (fd < 0)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.u64 = (uint64_t)conn_index(w, c)};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	c->fd = fd;
	c->connected = 0;
	return 0;
}

/* ---- reading and writing ---- */

/* Feeds n bytes of the batch's responses, in order; nonzero while more of
 * them is expected. */
static int conn_read_http(struct worker *w, struct lg_conn *c, ssize_t n, uint64_t now)
{
	size_t off = 0, used;
	for (;;) {
		int rc = resp_http_feed(&c->rsp.http, w->rbuf + off, (size_t)n - off, &used);
		off += used;
		if (rc == RESP_BAD || (rc == RESP_DONE && c->pending == 1 && off != (size_t)n)) {
			sched_fail(&w->s, c, ERR_INVALID, now); /* malformed, or bytes nobody asked for */
			return 0;
		}
		if (rc == RESP_MORE)
			return 1;
		if (c->pending == 1) {
			sched_done(&w->s, c, c->rsp.http.status, c->rsp.http.flags & RESP_F_CLOSE, now);
			return 0;
		}
		sched_count(&w->s, c, c->rsp.http.status, now);
		if (c->rsp.http.flags & RESP_F_CLOSE) {
			sched_fail(&w->s, c, ERR_READ, now); /* the rest of the batch will not come */
			return 0;
		}
		resp_http_init(&c->rsp.http);
	}
}

static int conn_read_day(struct worker *w, struct lg_conn *c, ssize_t n, uint64_t now)
{
	if (resp_day_feed(&c->rsp.day, w->rbuf, (size_t)n) == RESP_MORE)
		return 1; /* the line is good so far: read on to end of file */
	sched_fail(&w->s, c, ERR_INVALID, now);
	return 0;
}

static void conn_eof(struct worker *w, struct lg_conn *c, uint64_t now)
{
	if (w->s.sh->proto == PROTO_DAYTIME && resp_day_eof(&c->rsp.day) == RESP_DONE)
		sched_done(&w->s, c, 200, 1, now);
	else if (w->s.sh->proto == PROTO_DAYTIME && c->rsp.day.len > 0)
		sched_fail(&w->s, c, ERR_INVALID, now); /* a line without its CRLF */
	else
		sched_fail(&w->s, c, c->connected ? ERR_READ : ERR_CONNECT, now);
}

/* Reads until the response is complete, the socket is drained, or it fails.
 * Stops right after a response: the next request may already be in flight. */
static void conn_read(struct worker *w, struct lg_conn *c, uint64_t now)
{
	for (;;) {
		ssize_t n = sock_recv(c->fd, w->rbuf, sizeof(w->rbuf));
		if (n > 0) {
			w->s.st.bytes += (uint64_t)n;
			if (!c->connected)
				sched_connected(&w->s, c, now);
			int more = w->s.sh->proto == PROTO_HTTP ? conn_read_http(w, c, n, now)
								: conn_read_day(w, c, n, now);
			if (!more)
				return;
		} else if (n == 0) {
			conn_eof(w, c, now);
			return;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return;
		} else if (errno != EINTR) {
			sched_fail(&w->s, c, c->connected ? ERR_READ : ERR_CONNECT, now);
			return;
		}
	}
}

static void conn_write(struct worker *w, struct lg_conn *c, uint64_t now)
{
	const struct shared *sh = w->s.sh;
	while (c->wr_off < sh->req_len) {
		ssize_t n = sock_send(c->fd, sh->req + c->wr_off, sh->req_len - c->wr_off);
		if (n > 0) {
			if (!c->connected)
				sched_connected(&w->s, c, now);
			c->wr_off += (uint32_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return; /* not connected yet, or the send buffer is full: wait for EPOLLOUT
				 */
		} else if (n < 0 && errno != EINTR) {
			sched_fail(&w->s, c, c->connected ? ERR_WRITE : ERR_CONNECT, now);
			return;
		}
	}
	c->state = CS_READING;
}

/* An idle keep-alive connection became readable: the server closed it (not an
 * error: it may close idle connections) or sent bytes nobody asked for. */
static void conn_idle_input(struct worker *w, struct lg_conn *c)
{
	ssize_t n = sock_recv(c->fd, w->rbuf, sizeof(w->rbuf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0) {
		w->s.st.bytes += (uint64_t)n;
		w->s.st.err[ERR_INVALID]++;
	}
	conn_close(w, c); /* stays in the idle ring; reconnects when next used */
}

/* ---- the schedule's calls (schedule.h) ---- */

static int op_open(void *loop, struct lg_conn *c)
{
	return conn_open(loop, c);
}

static void op_close(void *loop, struct lg_conn *c)
{
	conn_close(loop, c);
}

static void op_send(void *loop, struct lg_conn *c, uint64_t now)
{
	conn_write(loop, c, now);
}

/* ---- the loop ---- */

static void conn_on_event(struct worker *w, struct lg_conn *c, uint32_t ev, uint64_t now)
{
	uint32_t gen = c->gen;
	if (c->state == CS_WRITING && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		conn_write(w, c, now); /* surfaces a failed connect as its errno */
	if (c->gen != gen)
		return;
	if (c->state == CS_READING) {
		if (!c->connected && (ev & EPOLLOUT) && !(ev & EPOLLERR))
			sched_connected(&w->s, c, now);
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			conn_read(w, c, now);
	} else if (c->state == CS_READY && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		conn_idle_input(w, c);
	}
}

static void worker_loop(struct worker *w)
{
	uint64_t now = now_ns();
	sched_begin(&w->s, now);
	while (!sched_check_phase(&w->s)) {
		uint64_t ns = sched_wait_ns(&w->s, now);
		struct timespec wait = {.tv_sec = (time_t)(ns / 1000000000ull),
					.tv_nsec = (long)(ns % 1000000000ull)};
		int n = epoll_pwait2(w->epfd, w->events, MAX_EVENTS, &wait, NULL);
		for (int i = 0; i < n; i++) {
			uint64_t tag = w->events[i].data.u64;
			if (tag == WAKE_TAG)
				continue;
			now = now_ns();
			conn_on_event(w, &w->s.conns[tag], w->events[i].events, now);
		}
		now = sched_turn(&w->s);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	worker_loop(w);
	sched_end(&w->s);
	for (int i = 0; i < w->s.n_conns; i++)
		conn_close(w, &w->s.conns[i]);
	sched_leave(&w->s);
	return NULL;
}

/* ---- lifecycle ---- */

struct worker *worker_create(struct shared *sh, int id, int first_conn, int n_conns)
{
	struct worker *w = aligned_alloc(64, (sizeof(struct worker) + 63) / 64 * 64);
	if (!w)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->s.open = op_open;
	w->s.close = op_close;
	w->s.send = op_send;
	w->s.loop = w;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG};
	if (sched_init(&w->s, sh, id, first_conn, n_conns) < 0 || w->epfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, sh->wake_fd, &ev) < 0) {
		worker_destroy(w);
		return NULL;
	}
	return w;
}

int worker_start(struct worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w);
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

const struct stats *worker_stats(const struct worker *w)
{
	return &w->s.st;
}

void worker_conn_requests(const struct worker *w, uint64_t *out)
{
	memcpy(out, w->s.served, (size_t)w->s.n_conns * sizeof(*out));
}

int worker_opened(const struct worker *w, uint64_t *all_open_ns)
{
	*all_open_ns = w->s.all_open_ns;
	return w->s.n_opened;
}

void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	sched_free(&w->s);
	free(w);
}

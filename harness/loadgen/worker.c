/* The load generator's event loop: one per thread, over non-blocking sockets.
 *
 * Each connection is registered once, edge-triggered for input and output, so
 * a keep-alive request costs one send() and one recv() and no epoll_ctl; the
 * response is parsed incrementally from a per-thread buffer (resp.c), so a
 * connection holds no buffer of its own.
 * Closed loop (no -R): every connection sends its next request as soon as the
 * previous response is complete; the connections are opened a batch per loop
 * turn (at most RAMP_PER_LOOP or RAMP_BUDGET_NS), serving the open ones in
 * between.  Open loop (-R): the thread owns rate/threads requests per second
 * at fixed intended times; a request goes out on the longest-idle connection,
 * and when none is idle it waits (its latency grows) rather than being dropped.
 * --think-ms (closed loop): a connection whose request ended waits in a FIFO
 * (all wait the same time, so it is the timer queue) before its next request;
 * the first requests are spread over one think time, which is also the ramp.
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
 * error a connection backs off for BACKOFF_NS, after any other error it
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

#define RBUF_BYTES     (64 * 1024)
#define MAX_EVENTS     1024
#define WAKE_TAG       UINT64_MAX
#define BACKOFF_NS     (10 * 1000000ull) /* after a connect error */
#define SCAN_MAX_NS    (10 * 1000000ull) /* timeout scan period, at most */
#define SCAN_MIN_NS    (1000000ull)
#define RAMP_PER_LOOP  256        /* closed loop: connections started per loop turn at the start, */
#define RAMP_BUDGET_NS 5000000ull /* or fewer if their connects take longer than this */

enum conn_state {
	CS_CLOSED,  /* no socket */
	CS_WRITING, /* request being sent (or connect still in progress) */
	CS_READING, /* waiting for the response */
	CS_READY,   /* connected, idle (keep-alive, open loop) */
	CS_BACKOFF, /* waiting to retry after a connect error */
};

struct conn {
	int fd;
	uint8_t state;
	uint8_t connected; /* the TCP handshake is known to be done */
	uint8_t busy;      /* a request is in flight */
	uint8_t opened;    /* has been connected at least once */
	uint16_t pending;  /* responses still due for the batch in flight (--pipeline) */
	uint32_t gen;      /* bumped on every close */
	uint32_t wr_off;
	uint64_t start_ns; /* latency origin of the request in flight */
	uint64_t served;   /* requests counted in the window (conns_served, fairness) */
	union {
		struct resp_http http;
		struct resp_day day;
	} rsp;
};

struct think {
	int conn;
	uint64_t wake_ns;
};

struct worker {
	struct shared *sh;
	int id;
	int first_conn;
	int n_conns;
	int epfd;
	pthread_t thread;
	struct conn *conns;
	uint64_t *deadline_ns; /* per connection: request timeout or retry time; 0 = none */
	int *ring;             /* open loop: idle connections, oldest first */
	int ring_head, ring_count;
	struct think *think; /* --think-ms: thinking connections, earliest wake first */
	int think_head, think_count;
	int in_flight;
	int n_started;        /* closed loop: connections started so far (ramp) */
	int n_opened;         /* connections that have connected at least once */
	uint64_t all_open_ns; /* when the last of them first connected; 0 = not yet */
	int out_of_tickets;
	int phase_seen;
	uint64_t interval_ns; /* open loop: between this thread's intended sends */
	uint64_t next_send_ns;
	uint64_t scan_ns; /* timeout scan period */
	uint64_t next_scan_ns;
	struct stats st;
	struct epoll_event events[MAX_EVENTS];
	char rbuf[RBUF_BYTES];
};

static void conn_next(struct worker *w, struct conn *c, uint64_t now);

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

static uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int conn_index(const struct worker *w, const struct conn *c)
{
	return (int)(c - w->conns);
}

static int open_loop(const struct worker *w)
{
	return w->sh->rate_rps > 0;
}

/* ---- idle ring (open loop) ---- */

static void ring_push(struct worker *w, struct conn *c)
{
	w->ring[(w->ring_head + w->ring_count) % w->n_conns] = conn_index(w, c);
	w->ring_count++;
}

static struct conn *ring_pop(struct worker *w)
{
	struct conn *c = &w->conns[w->ring[w->ring_head]];
	w->ring_head = (w->ring_head + 1) % w->n_conns;
	w->ring_count--;
	return c;
}

static void ring_unpop(struct worker *w)
{
	w->ring_head = (w->ring_head + w->n_conns - 1) % w->n_conns;
	w->ring_count++;
}

/* ---- think queue (closed loop, --think-ms) ----
 * Every connection waits the same think time, so wake times leave in the order
 * they arrive: a FIFO is the timer queue (O(1) a push or pop, no syscall). */

static void think_push(struct worker *w, struct conn *c, uint64_t wake_ns)
{
	int tail = (w->think_head + w->think_count) % w->n_conns;
	w->think[tail] = (struct think){.conn = conn_index(w, c), .wake_ns = wake_ns};
	w->think_count++;
}

static struct conn *think_pop(struct worker *w)
{
	struct conn *c = &w->conns[w->think[w->think_head].conn];
	w->think_head = (w->think_head + 1) % w->n_conns;
	w->think_count--;
	return c;
}

/* ---- sockets ---- */

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->gen++;
	c->connected = 0;
	c->state = CS_CLOSED;
	(void)w;
}

static int conn_bind_source(struct worker *w, struct conn *c, int fd)
{
	const struct shared *sh = w->sh;
	if (sh->n_src <= 1)
		return 0;
	int one = 1;
	int slot = (w->first_conn + conn_index(w, c)) % sh->n_src;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)&sh->src[slot], sizeof(sh->src[slot]));
}

/* Starts a non-blocking connect; 0, or -1 with errno set. */
static int conn_open(struct worker *w, struct conn *c)
{
	const struct shared *sh = w->sh;
	int one = 1;
	int fd = socket(sh->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (conn_bind_source(w, c, fd) < 0 ||
	    (connect(fd, (const struct sockaddr *)&sh->target, sh->target_len) < 0 &&
	     errno != EINPROGRESS)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
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

/* ---- request outcomes ---- */

static void request_end(struct worker *w, struct conn *c)
{
	c->busy = 0;
	w->in_flight--;
	w->deadline_ns[conn_index(w, c)] = 0;
}

/* The handshake is done: the request's own timeout starts now (wrk's rule;
 * a connect has the longer connect timeout, so a burst of connects that
 * overflows the server's listen queue is waited out, not torn down). */
static void conn_connected(struct worker *w, struct conn *c, uint64_t now)
{
	c->connected = 1;
	if (!c->opened) {
		c->opened = 1;
		if (++w->n_opened == w->n_conns)
			w->all_open_ns = now;
	}
	if (c->busy)
		w->deadline_ns[conn_index(w, c)] = now + w->sh->timeout_ns;
}

/* The request in flight on c failed with `kind`; the connection is dropped. */
static void conn_fail(struct worker *w, struct conn *c, enum err_kind kind, uint64_t now)
{
	if (c->busy) {
		w->st.err[kind] += c->pending;
		request_end(w, c);
	}
	conn_close(w, c);
	if (kind == ERR_CONNECT) {
		c->state = CS_BACKOFF;
		w->deadline_ns[conn_index(w, c)] = now + BACKOFF_NS;
		return;
	}
	conn_next(w, c, now);
}

/* One response of the batch in flight ended with `status`. */
static void conn_count(struct worker *w, struct conn *c, unsigned status, uint64_t now)
{
	c->pending--;
	if (status >= 200 && status < 300) {
		w->st.requests++;
		c->served++;
		hist_record(&w->st.hist, (now - c->start_ns + 500) / 1000);
	} else {
		w->st.err[ERR_STATUS]++;
	}
}

/* The batch's last response ended with `status`. */
static void conn_done(struct worker *w, struct conn *c, unsigned status, int server_close,
		      uint64_t now)
{
	conn_count(w, c, status, now);
	request_end(w, c);
	if (!w->sh->keepalive || server_close)
		conn_close(w, c);
	else
		c->state = CS_READY;
	conn_next(w, c, now);
}

/* ---- reading and writing ---- */

/* Feeds n bytes of the batch's responses, in order; nonzero while more of
 * them is expected. */
static int conn_read_http(struct worker *w, struct conn *c, ssize_t n, uint64_t now)
{
	size_t off = 0, used;
	for (;;) {
		int rc = resp_http_feed(&c->rsp.http, w->rbuf + off, (size_t)n - off, &used);
		off += used;
		if (rc == RESP_BAD || (rc == RESP_DONE && c->pending == 1 && off != (size_t)n)) {
			conn_fail(w, c, ERR_INVALID, now); /* malformed, or bytes nobody asked for */
			return 0;
		}
		if (rc == RESP_MORE)
			return 1;
		if (c->pending == 1) {
			conn_done(w, c, c->rsp.http.status, c->rsp.http.flags & RESP_F_CLOSE, now);
			return 0;
		}
		conn_count(w, c, c->rsp.http.status, now);
		if (c->rsp.http.flags & RESP_F_CLOSE) {
			conn_fail(w, c, ERR_READ, now); /* the rest of the batch will not come */
			return 0;
		}
		resp_http_init(&c->rsp.http);
	}
}

static int conn_read_day(struct worker *w, struct conn *c, ssize_t n, uint64_t now)
{
	if (resp_day_feed(&c->rsp.day, w->rbuf, (size_t)n) == RESP_MORE)
		return 1; /* the line is good so far: read on to end of file */
	conn_fail(w, c, ERR_INVALID, now);
	return 0;
}

static void conn_eof(struct worker *w, struct conn *c, uint64_t now)
{
	if (w->sh->proto == PROTO_DAYTIME && resp_day_eof(&c->rsp.day) == RESP_DONE)
		conn_done(w, c, 200, 1, now);
	else if (w->sh->proto == PROTO_DAYTIME && c->rsp.day.len > 0)
		conn_fail(w, c, ERR_INVALID, now); /* a line without its CRLF */
	else
		conn_fail(w, c, c->connected ? ERR_READ : ERR_CONNECT, now);
}

/* Reads until the response is complete, the socket is drained, or it fails.
 * Stops right after a response: the next request may already be in flight. */
static void conn_read(struct worker *w, struct conn *c, uint64_t now)
{
	for (;;) {
		ssize_t n = sock_recv(c->fd, w->rbuf, sizeof(w->rbuf));
		if (n > 0) {
			w->st.bytes += (uint64_t)n;
			if (!c->connected)
				conn_connected(w, c, now);
			int more = w->sh->proto == PROTO_HTTP ? conn_read_http(w, c, n, now)
							      : conn_read_day(w, c, n, now);
			if (!more)
				return;
		} else if (n == 0) {
			conn_eof(w, c, now);
			return;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return;
		} else if (errno != EINTR) {
			conn_fail(w, c, c->connected ? ERR_READ : ERR_CONNECT, now);
			return;
		}
	}
}

static void conn_write(struct worker *w, struct conn *c, uint64_t now)
{
	const struct shared *sh = w->sh;
	while (c->wr_off < sh->req_len) {
		ssize_t n = sock_send(c->fd, sh->req + c->wr_off, sh->req_len - c->wr_off);
		if (n > 0) {
			if (!c->connected)
				conn_connected(w, c, now);
			c->wr_off += (uint32_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return; /* not connected yet, or the send buffer is full: wait for EPOLLOUT
				 */
		} else if (n < 0 && errno != EINTR) {
			conn_fail(w, c, c->connected ? ERR_WRITE : ERR_CONNECT, now);
			return;
		}
	}
	c->state = CS_READING;
}

/* An idle keep-alive connection became readable: the server closed it (not an
 * error: it may close idle connections) or sent bytes nobody asked for. */
static void conn_idle_input(struct worker *w, struct conn *c)
{
	ssize_t n = sock_recv(c->fd, w->rbuf, sizeof(w->rbuf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0) {
		w->st.bytes += (uint64_t)n;
		w->st.err[ERR_INVALID]++;
	}
	conn_close(w, c); /* stays in the idle ring; reconnects when next used */
}

/* ---- starting requests ---- */

static int ticket_take(struct worker *w)
{
	struct shared *sh = w->sh;
	if (!sh->max_requests)
		return 1;
	if (w->out_of_tickets ||
	    atomic_fetch_add(&sh->tickets, (uint64_t)sh->pipeline) >= sh->max_requests) {
		w->out_of_tickets = 1;
		return 0;
	}
	return 1;
}

/* Begins a request whose latency counts from start_ns; 0 if none may start. */
static int conn_start(struct worker *w, struct conn *c, uint64_t start_ns, uint64_t now)
{
	const struct shared *sh = w->sh;
	if (!ticket_take(w))
		return 0;
	c->busy = 1;
	c->pending = sh->proto == PROTO_HTTP ? (uint16_t)sh->pipeline : 1;
	w->in_flight++;
	c->start_ns = start_ns;
	w->deadline_ns[conn_index(w, c)] =
	    now + (c->fd < 0 ? sh->connect_timeout_ns : sh->timeout_ns);
	if (c->fd < 0 && conn_open(w, c) < 0) {
		conn_fail(w, c, ERR_CONNECT, now);
		return 1;
	}
	if (sh->proto == PROTO_DAYTIME) {
		resp_day_init(&c->rsp.day);
		c->state = CS_READING;
		return 1;
	}
	resp_http_init(&c->rsp.http);
	c->wr_off = 0;
	c->state = CS_WRITING;
	conn_write(w, c, now);
	return 1;
}

/* c is free again: closed loop sends its next request (after the think time,
 * if any), open loop parks it. */
static void conn_next(struct worker *w, struct conn *c, uint64_t now)
{
	if (atomic_load_explicit(&w->sh->phase, memory_order_relaxed) == PHASE_STOP)
		return;
	if (open_loop(w))
		ring_push(w, c);
	else if (w->sh->think_ns)
		think_push(w, c, now + w->sh->think_ns);
	else
		conn_start(w, c, now, now);
}

/* Think times that are over: start those connections' next requests (their
 * latency counts from now, the think time excluded).  Connects are bounded
 * per turn as in the ramp; the rest wait for the next turn. */
static void worker_wake_thinkers(struct worker *w, uint64_t now)
{
	uint64_t begin = now;
	while (w->think_count > 0 && w->think[w->think_head].wake_ns <= now && !w->out_of_tickets) {
		struct conn *c = think_pop(w);
		int connects = c->fd < 0;
		conn_start(w, c, now, now);
		if (connects) {
			now = clock_ns();
			if (now - begin >= RAMP_BUDGET_NS)
				return;
		}
	}
}

/* Open loop: send every request whose intended time has come, while a
 * connection is free; the rest wait with their intended times kept. */
static void worker_dispatch(struct worker *w, uint64_t now)
{
	while (w->next_send_ns <= now && w->ring_count > 0) {
		struct conn *c = ring_pop(w);
		if (!conn_start(w, c, w->next_send_ns, now)) {
			ring_unpop(w);
			return;
		}
		w->next_send_ns += w->interval_ns;
		now = clock_ns(); /* a connect may have taken a while */
	}
}

/* ---- the loop ---- */

static void conn_on_event(struct worker *w, struct conn *c, uint32_t ev, uint64_t now)
{
	uint32_t gen = c->gen;
	if (c->state == CS_WRITING && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		conn_write(w, c, now); /* surfaces a failed connect as its errno */
	if (c->gen != gen)
		return;
	if (c->state == CS_READING) {
		if (!c->connected && (ev & EPOLLOUT) && !(ev & EPOLLERR))
			conn_connected(w, c, now);
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			conn_read(w, c, now);
	} else if (c->state == CS_READY && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		conn_idle_input(w, c);
	}
}

static void conn_expire(struct worker *w, struct conn *c, uint64_t now)
{
	w->deadline_ns[conn_index(w, c)] = 0;
	if (c->state == CS_BACKOFF) {
		c->state = CS_CLOSED;
		conn_next(w, c, now);
	} else if (c->busy) {
		conn_fail(w, c, c->connected ? ERR_TIMEOUT : ERR_CONNECT, now);
	}
}

static void worker_scan(struct worker *w, uint64_t now)
{
	for (int i = 0; i < w->n_conns; i++) {
		uint64_t d = w->deadline_ns[i];
		if (d && d <= now)
			conn_expire(w, &w->conns[i],
				    clock_ns()); /* it may reconnect: a fresh clock */
	}
	w->next_scan_ns = now + w->scan_ns;
}

static struct timespec worker_wait_time(const struct worker *w, uint64_t now)
{
	uint64_t until = w->next_scan_ns;
	if (open_loop(w) && w->ring_count > 0 && !w->out_of_tickets && w->next_send_ns < until)
		until = w->next_send_ns;
	if (w->think_count > 0 && !w->out_of_tickets && w->think[w->think_head].wake_ns < until)
		until = w->think[w->think_head].wake_ns;
	if (w->n_started < w->n_conns)
		until = now; /* still ramping up: just collect what is ready */
	uint64_t ns = until > now ? until - now : 0;
	return (struct timespec){.tv_sec = (time_t)(ns / 1000000000ull),
				 .tv_nsec = (long)(ns % 1000000000ull)};
}

/* Applies a phase change; nonzero when the loop must end. */
static int worker_check_phase(struct worker *w)
{
	int phase = atomic_load_explicit(&w->sh->phase, memory_order_acquire);
	if (phase != w->phase_seen) {
		if (phase == PHASE_MEASURE) {
			stats_reset(&w->st);
			for (int i = 0; i < w->n_conns; i++)
				w->conns[i].served = 0;
		}
		w->phase_seen = phase;
	}
	return phase == PHASE_STOP || (w->out_of_tickets && w->in_flight == 0);
}

static void worker_begin(struct worker *w, uint64_t now)
{
	w->next_scan_ns = now + w->scan_ns;
	if (open_loop(w)) {
		/* stagger the threads' schedules so their sends interleave */
		w->next_send_ns = now + w->interval_ns * (uint64_t)w->id / (uint64_t)w->sh->threads;
		for (int i = 0; i < w->n_conns; i++)
			ring_push(w, &w->conns[i]);
		w->n_started = w->n_conns;
	} else if (w->sh->think_ns) {
		/* first requests spread over one think time, so the connections
		 * do not move in lockstep; this is also the ramp */
		for (int i = 0; i < w->n_conns; i++)
			think_push(w, &w->conns[i],
				   now + w->sh->think_ns * (uint64_t)i / (uint64_t)w->n_conns);
		w->n_started = w->n_conns;
	}
}

/* Closed loop: start the connections a batch per loop turn, serving the ones
 * already open in between, so thousands of connects neither starve the first
 * connections nor age their clocks. */
static void worker_ramp(struct worker *w)
{
	int end =
	    w->n_started + RAMP_PER_LOOP < w->n_conns ? w->n_started + RAMP_PER_LOOP : w->n_conns;
	uint64_t begin = clock_ns(), now = begin;
	while (w->n_started < end && !w->out_of_tickets && now - begin < RAMP_BUDGET_NS) {
		conn_start(w, &w->conns[w->n_started++], now, now);
		now = clock_ns();
	}
	if (w->out_of_tickets)
		w->n_started = w->n_conns;
}

static void worker_loop(struct worker *w)
{
	uint64_t now = clock_ns();
	worker_begin(w, now);
	while (!worker_check_phase(w)) {
		struct timespec wait = worker_wait_time(w, now);
		int n = epoll_pwait2(w->epfd, w->events, MAX_EVENTS, &wait, NULL);
		for (int i = 0; i < n; i++) {
			uint64_t tag = w->events[i].data.u64;
			if (tag == WAKE_TAG)
				continue;
			now = clock_ns();
			conn_on_event(w, &w->conns[tag], w->events[i].events, now);
		}
		if (w->n_started < w->n_conns)
			worker_ramp(w);
		now = clock_ns();
		if (now >= w->next_scan_ns)
			worker_scan(w, now);
		if (open_loop(w))
			worker_dispatch(w, now);
		else if (w->think_count > 0)
			worker_wake_thinkers(w, now);
	}
}

/* Open loop, at the end: requests whose intended send time passed more than
 * --timeout ago, and that never found a free connection, are timeouts; left
 * uncounted they would vanish from the report (and take the worst corrected
 * latencies with them). */
static void worker_count_overdue(struct worker *w)
{
	uint64_t now = clock_ns();
	if (!open_loop(w) || w->out_of_tickets || w->interval_ns == 0 || now < w->sh->timeout_ns ||
	    w->next_send_ns > now - w->sh->timeout_ns)
		return;
	w->st.err[ERR_TIMEOUT] += (now - w->sh->timeout_ns - w->next_send_ns) / w->interval_ns + 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	worker_loop(w);
	worker_count_overdue(w);
	for (int i = 0; i < w->n_conns; i++)
		stats_add_conn(&w->st, w->conns[i].served);
	for (int i = 0; i < w->n_conns; i++)
		conn_close(w, &w->conns[i]);
	if (atomic_fetch_sub(&w->sh->running, 1) == 1)
		pthread_kill(w->sh->main_thread, SIGUSR1); /* the last one out tells main */
	return NULL;
}

/* ---- lifecycle ---- */

static uint64_t scan_period_ns(uint64_t timeout_ns)
{
	uint64_t ns = timeout_ns / 8;
	return ns < SCAN_MIN_NS ? SCAN_MIN_NS : ns > SCAN_MAX_NS ? SCAN_MAX_NS : ns;
}

struct worker *worker_create(struct shared *sh, int id, int first_conn, int n_conns)
{
	struct worker *w = aligned_alloc(64, (sizeof(struct worker) + 63) / 64 * 64);
	if (!w)
		return NULL;
	memset(w, 0, sizeof(*w));
	w->sh = sh;
	w->id = id;
	w->first_conn = first_conn;
	w->n_conns = n_conns;
	w->conns = calloc((size_t)n_conns, sizeof(*w->conns));
	w->deadline_ns = calloc((size_t)n_conns, sizeof(*w->deadline_ns));
	w->ring = calloc((size_t)n_conns, sizeof(*w->ring));
	w->think = calloc((size_t)n_conns, sizeof(*w->think));
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG};
	if (!w->conns || !w->deadline_ns || !w->ring || !w->think || w->epfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, sh->wake_fd, &ev) < 0) {
		worker_destroy(w);
		return NULL;
	}
	for (int i = 0; i < n_conns; i++)
		w->conns[i].fd = -1;
	if (sh->rate_rps > 0)
		w->interval_ns = (uint64_t)(1e9 * sh->threads / sh->rate_rps + 0.5);
	w->scan_ns = scan_period_ns(sh->timeout_ns);
	w->phase_seen = atomic_load(&sh->phase);
	stats_reset(&w->st);
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
	return &w->st;
}

void worker_conn_requests(const struct worker *w, uint64_t *out)
{
	for (int i = 0; i < w->n_conns; i++)
		out[i] = w->conns[i].served;
}

int worker_opened(const struct worker *w, uint64_t *all_open_ns)
{
	*all_open_ns = w->all_open_ns;
	return w->n_opened;
}

void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->conns);
	free(w->deadline_ns);
	free(w->ring);
	free(w->think);
	free(w);
}

/* The load generator's io_uring loop (--io uring): the client of worker.c,
 * with its I/O on a completion ring instead of readiness and system calls.
 *
 * The same schedule as worker.c (closed loop with its ramp, --think-ms's FIFO,
 * open loop's idle ring and intended send times, timeouts, back-off, tickets)
 * and the same outcomes (resp.c validates, one error kind a failed request);
 * only the I/O differs:
 *   - each connection has one multishot receive armed from its connect on,
 *     filling buffers of a provided-buffer ring (no buffer per connection);
 *   - a request is a send SQE; every SQE of a loop turn goes to the kernel in
 *     the turn's one io_uring_enter, which also waits for the next completions
 *     (batched submission: under load far fewer than one system call a request);
 *   - a close is a cancel of the socket's operations hard-linked to a close,
 *     both SQEs (the socket number stays taken until the close has run);
 *   - the ring is SINGLE_ISSUER | DEFER_TASKRUN where the kernel takes it
 *     (servers/common/uring_setup.h).
 * The connect itself stays a non-blocking connect(): the send queued behind it
 * waits in the kernel for the handshake, and a refused one fails the send or
 * the receive (ECONNREFUSED), counted as a connect error.
 * Not here (yet): --slow and --pipeline (main refuses them with --io uring). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resp.h"
#include "uring_setup.h"
#include "worker.h"

#define SQ_ENTRIES     4096
#define CQ_ENTRIES     65536
#define BUF_SIZE       2048
#define NBUFS_MAX      16384 /* provided buffers per thread (a power of 2): 32 MiB at most */
#define NBUFS_MIN      64
#define BGID           1
#define BACKOFF_NS     (10 * 1000000ull)
#define SCAN_MAX_NS    (10 * 1000000ull)
#define SCAN_MIN_NS    (1000000ull)
#define RAMP_PER_LOOP  256
#define RAMP_BUDGET_NS 5000000ull

/* user_data: op << 56 | (generation & 0xffffff) << 32 | connection index */
enum op { OP_IGNORE, OP_RECV, OP_SEND, OP_WAKE };

enum conn_state { CS_CLOSED, CS_WRITING, CS_READING, CS_READY, CS_BACKOFF };

struct conn {
	int fd;
	uint8_t state;
	uint8_t connected;
	uint8_t busy;
	uint8_t opened;
	uint8_t recv_on; /* the multishot receive is armed */
	uint32_t gen;    /* bumped on every close: older completions are stale */
	uint32_t wr_off;
	uint64_t start_ns;
	uint64_t served;
	union {
		struct resp_http http;
		struct resp_day day;
	} rsp;
};

struct think {
	int conn;
	uint64_t wake_ns;
};

struct worker { /* this file's own; opaque outside (worker.h) */
	struct shared *sh;
	int id, first_conn, n_conns;
	pthread_t thread;
	struct io_uring ring;
	struct uring_bufs bufs;
	int reg_ring;
	struct conn *conns;
	uint64_t *deadline_ns;
	int *ring_idle; /* open loop: idle connections, oldest first */
	int idle_head, idle_count;
	struct think *think;
	int think_head, think_count;
	int in_flight, n_started, n_opened;
	uint64_t all_open_ns;
	int out_of_tickets, phase_seen;
	uint64_t interval_ns, next_send_ns, scan_ns, next_scan_ns;
	struct stats st;
};

static void conn_next(struct worker *w, struct conn *c, uint64_t now);

static uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int idx(const struct worker *w, const struct conn *c)
{
	return (int)(c - w->conns);
}

static int open_loop(const struct worker *w)
{
	return w->sh->rate_rps > 0;
}

/* ---- idle ring and think FIFO (as in worker.c) ---- */

static void idle_push(struct worker *w, struct conn *c)
{
	w->ring_idle[(w->idle_head + w->idle_count++) % w->n_conns] = idx(w, c);
}

static struct conn *idle_pop(struct worker *w)
{
	struct conn *c = &w->conns[w->ring_idle[w->idle_head]];
	w->idle_head = (w->idle_head + 1) % w->n_conns;
	w->idle_count--;
	return c;
}

static void think_push(struct worker *w, struct conn *c, uint64_t wake_ns)
{
	w->think[(w->think_head + w->think_count++) % w->n_conns] =
	    (struct think){.conn = idx(w, c), .wake_ns = wake_ns};
}

/* ---- submission: every SQE is prepared here ---- */

static struct io_uring_sqe *sqe_get(struct worker *w, const struct conn *c, enum op op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
	if (!sqe) { /* the SQ is full: hand it over now */
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	uint64_t tag = (uint64_t)op << 56;
	if (c)
		tag |= (uint64_t)(c->gen & 0xffffff) << 32 | (uint32_t)idx(w, c);
	io_uring_sqe_set_data64(sqe, tag);
	return sqe;
}

static void arm_recv(struct worker *w, struct conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(w, c, OP_RECV);
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	c->recv_on = 1;
}

static void queue_send(struct worker *w, struct conn *c)
{
	const struct shared *sh = w->sh;
	io_uring_prep_send(sqe_get(w, c, OP_SEND), c->fd, sh->req + c->wr_off,
			   sh->req_len - c->wr_off, MSG_NOSIGNAL);
}

/* ---- sockets ---- */

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->fd >= 0) {
		struct io_uring_sqe *sqe = sqe_get(w, NULL, OP_IGNORE);
		io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
		sqe->flags |= IOSQE_IO_HARDLINK;
		io_uring_prep_close(sqe_get(w, NULL, OP_IGNORE), c->fd);
	}
	c->fd = -1;
	c->gen++;
	c->connected = 0;
	c->recv_on = 0;
	c->state = CS_CLOSED;
}

static int conn_open(struct worker *w, struct conn *c)
{
	const struct shared *sh = w->sh;
	int one = 1;
	int fd = socket(sh->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sh->n_src > 1) {
		int slot = (w->first_conn + idx(w, c)) % sh->n_src;
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&sh->src[slot], sizeof(sh->src[slot])) < 0)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&sh->target, sh->target_len) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	c->fd = fd;
	c->connected = 0;
	arm_recv(w, c);
	return 0;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* ---- request outcomes ---- */

static void request_end(struct worker *w, struct conn *c)
{
	c->busy = 0;
	w->in_flight--;
	w->deadline_ns[idx(w, c)] = 0;
}

static void conn_connected(struct worker *w, struct conn *c, uint64_t now)
{
	c->connected = 1;
	if (!c->opened) {
		c->opened = 1;
		if (++w->n_opened == w->n_conns)
			w->all_open_ns = now;
	}
	if (c->busy)
		w->deadline_ns[idx(w, c)] = now + w->sh->timeout_ns;
}

static void conn_fail(struct worker *w, struct conn *c, enum err_kind kind, uint64_t now)
{
	if (c->busy) {
		w->st.err[kind]++;
		request_end(w, c);
	}
	conn_close(w, c);
	if (kind == ERR_CONNECT) {
		c->state = CS_BACKOFF;
		w->deadline_ns[idx(w, c)] = now + BACKOFF_NS;
		return;
	}
	conn_next(w, c, now);
}

static void conn_done(struct worker *w, struct conn *c, unsigned status, int server_close,
		      uint64_t now)
{
	if (status >= 200 && status < 300) {
		w->st.requests++;
		c->served++;
		hist_record(&w->st.hist, (now - c->start_ns + 500) / 1000);
	} else {
		w->st.err[ERR_STATUS]++;
	}
	request_end(w, c);
	if (!w->sh->keepalive || server_close)
		conn_close(w, c);
	else
		c->state = CS_READY;
	conn_next(w, c, now);
}

/* ---- starting requests ---- */

static int ticket_take(struct worker *w)
{
	struct shared *sh = w->sh;
	if (!sh->max_requests)
		return 1;
	if (w->out_of_tickets || atomic_fetch_add(&sh->tickets, 1) >= sh->max_requests) {
		w->out_of_tickets = 1;
		return 0;
	}
	return 1;
}

static int conn_start(struct worker *w, struct conn *c, uint64_t start_ns, uint64_t now)
{
	const struct shared *sh = w->sh;
	if (!ticket_take(w))
		return 0;
	c->busy = 1;
	w->in_flight++;
	c->start_ns = start_ns;
	w->deadline_ns[idx(w, c)] = now + (c->fd < 0 ? sh->connect_timeout_ns : sh->timeout_ns);
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
	queue_send(w, c);
	return 1;
}

static void conn_next(struct worker *w, struct conn *c, uint64_t now)
{
	if (atomic_load_explicit(&w->sh->phase, memory_order_relaxed) == PHASE_STOP)
		return;
	if (open_loop(w))
		idle_push(w, c);
	else if (w->sh->think_ns)
		think_push(w, c, now + w->sh->think_ns);
	else
		conn_start(w, c, now, now);
}

/* ---- completions ---- */

/* n > 0 bytes of c's response arrived in buf. */
static void on_data(struct worker *w, struct conn *c, const char *buf, size_t n, uint64_t now)
{
	w->st.bytes += n;
	if (!c->connected)
		conn_connected(w, c, now);
	if (!c->busy) { /* nobody asked: an idle keep-alive connection */
		w->st.err[ERR_INVALID]++;
		conn_close(w, c);
		return;
	}
	if (w->sh->proto == PROTO_DAYTIME) {
		if (resp_day_feed(&c->rsp.day, buf, n) != RESP_MORE)
			conn_fail(w, c, ERR_INVALID, now);
		return;
	}
	size_t used;
	int rc = resp_http_feed(&c->rsp.http, buf, n, &used);
	if (rc == RESP_BAD || (rc == RESP_DONE && used != n))
		conn_fail(w, c, ERR_INVALID, now);
	else if (rc == RESP_DONE)
		conn_done(w, c, c->rsp.http.status, c->rsp.http.flags & RESP_F_CLOSE, now);
}

/* An end of file: the handshake had completed (a refused one is ECONNREFUSED). */
static void on_eof(struct worker *w, struct conn *c, uint64_t now)
{
	if (!c->connected)
		conn_connected(w, c, now);
	if (!c->busy)
		conn_close(w, c); /* the server closed an idle connection: not an error */
	else if (w->sh->proto == PROTO_DAYTIME && resp_day_eof(&c->rsp.day) == RESP_DONE)
		conn_done(w, c, 200, 1, now);
	else if (w->sh->proto == PROTO_DAYTIME && c->rsp.day.len > 0)
		conn_fail(w, c, ERR_INVALID, now);
	else
		conn_fail(w, c, c->connected ? ERR_READ : ERR_CONNECT, now);
}

static void on_recv(struct worker *w, struct conn *c, int res, unsigned flags, uint64_t now)
{
	uint32_t gen = c->gen;
	if (!(flags & IORING_CQE_F_MORE))
		c->recv_on = 0;
	if (res > 0)
		on_data(w, c, uring_bufs_addr(&w->bufs, (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT)), (size_t)res,
			now);
	else if (res == 0)
		on_eof(w, c, now);
	else if (res != -ENOBUFS && !c->busy)
		conn_close(w, c);
	else if (res != -ENOBUFS)
		conn_fail(w, c, c->connected ? ERR_READ : ERR_CONNECT, now);
	if (c->gen == gen && c->fd >= 0 && !c->recv_on)
		arm_recv(w, c); /* the multishot ended (buffers ran out): again */
}

static void on_send(struct worker *w, struct conn *c, int res, uint64_t now)
{
	if (res <= 0) {
		conn_fail(w, c, c->connected ? ERR_WRITE : ERR_CONNECT, now);
		return;
	}
	if (!c->connected)
		conn_connected(w, c, now);
	c->wr_off += (uint32_t)res;
	if (c->wr_off < w->sh->req_len)
		queue_send(w, c);
	else if (c->state == CS_WRITING)
		c->state = CS_READING;
}

static void on_cqe(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	enum op op = (enum op)(d >> 56);
	struct conn *c = &w->conns[(uint32_t)d];
	int stale = op == OP_IGNORE || op == OP_WAKE || ((d >> 32) & 0xffffff) != (c->gen & 0xffffff);
	if (op == OP_WAKE && !(cqe->flags & IORING_CQE_F_MORE))
		io_uring_prep_poll_multishot(sqe_get(w, NULL, OP_WAKE), w->sh->wake_fd, POLLIN);
	if (!stale && op == OP_RECV)
		on_recv(w, c, cqe->res, cqe->flags, clock_ns());
	else if (!stale && op == OP_SEND)
		on_send(w, c, cqe->res, clock_ns());
	if (op == OP_RECV && (cqe->flags & IORING_CQE_F_BUFFER))
		uring_bufs_put(&w->bufs, (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
}

/* ---- the schedule (as in worker.c) ---- */

static void worker_wake_thinkers(struct worker *w, uint64_t now)
{
	uint64_t begin = now;
	while (w->think_count > 0 && w->think[w->think_head].wake_ns <= now && !w->out_of_tickets) {
		struct conn *c = &w->conns[w->think[w->think_head].conn];
		w->think_head = (w->think_head + 1) % w->n_conns;
		w->think_count--;
		int connects = c->fd < 0;
		conn_start(w, c, now, now);
		if (connects && (now = clock_ns()) - begin >= RAMP_BUDGET_NS)
			return;
	}
}

static void worker_dispatch(struct worker *w, uint64_t now)
{
	while (w->next_send_ns <= now && w->idle_count > 0) {
		struct conn *c = idle_pop(w);
		if (!conn_start(w, c, w->next_send_ns, now)) {
			w->idle_head = (w->idle_head + w->n_conns - 1) % w->n_conns;
			w->idle_count++;
			return;
		}
		w->next_send_ns += w->interval_ns;
		now = clock_ns();
	}
}

static void worker_scan(struct worker *w, uint64_t now)
{
	for (int i = 0; i < w->n_conns; i++) {
		uint64_t d = w->deadline_ns[i];
		struct conn *c = &w->conns[i];
		if (!d || d > now)
			continue;
		w->deadline_ns[i] = 0;
		if (c->state == CS_BACKOFF) {
			c->state = CS_CLOSED;
			conn_next(w, c, clock_ns());
		} else if (c->busy) {
			conn_fail(w, c, c->connected ? ERR_TIMEOUT : ERR_CONNECT, clock_ns());
		}
	}
	w->next_scan_ns = now + w->scan_ns;
}

static long long worker_wait_ns(const struct worker *w, uint64_t now)
{
	uint64_t until = w->next_scan_ns;
	if (open_loop(w) && w->idle_count > 0 && !w->out_of_tickets && w->next_send_ns < until)
		until = w->next_send_ns;
	if (w->think_count > 0 && !w->out_of_tickets && w->think[w->think_head].wake_ns < until)
		until = w->think[w->think_head].wake_ns;
	if (w->n_started < w->n_conns)
		until = now;
	return until > now ? (long long)(until - now) : 0;
}

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
		w->next_send_ns = now + w->interval_ns * (uint64_t)w->id / (uint64_t)w->sh->threads;
		for (int i = 0; i < w->n_conns; i++)
			idle_push(w, &w->conns[i]);
		w->n_started = w->n_conns;
	} else if (w->sh->think_ns) {
		for (int i = 0; i < w->n_conns; i++)
			think_push(w, &w->conns[i],
				   now + w->sh->think_ns * (uint64_t)i / (uint64_t)w->n_conns);
		w->n_started = w->n_conns;
	}
}

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

static void worker_reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&w->ring, head, cqe)
	{
		on_cqe(w, cqe);
		n++;
	}
	io_uring_cq_advance(&w->ring, n);
}

static void worker_loop(struct worker *w)
{
	uint64_t now = clock_ns();
	worker_begin(w, now);
	io_uring_prep_poll_multishot(sqe_get(w, NULL, OP_WAKE), w->sh->wake_fd, POLLIN);
	while (!worker_check_phase(w)) {
		int rc = uring_wait(&w->ring, worker_wait_ns(w, now), 0, 1, w->reg_ring);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
			break; /* cannot happen on a working ring; the run ends with what it has */
		worker_reap(w);
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
	int rc = uring_ring_init(&w->ring, SQ_ENTRIES, CQ_ENTRIES, 1, NULL, NULL);
	unsigned nbufs = NBUFS_MIN;
	while (nbufs < NBUFS_MAX && nbufs < 2u * (unsigned)w->n_conns)
		nbufs *= 2;
	if (rc == 0 && (rc = uring_bufs_init(&w->ring, &w->bufs, nbufs, BUF_SIZE, BGID)) == 0) {
		w->reg_ring = io_uring_register_ring_fd(&w->ring) == 1;
		worker_loop(w);
	} else { /* main probed a ring: only memory or the locked-memory limit fail here */
		fprintf(stderr, "loadgen: --io uring: thread %d: ring set-up: %s\n", w->id, strerror(-rc));
	}
	worker_count_overdue(w);
	for (int i = 0; i < w->n_conns; i++)
		stats_add_conn(&w->st, w->conns[i].served);
	if (rc == 0) {
		for (int i = 0; i < w->n_conns; i++)
			conn_close(w, &w->conns[i]);
		io_uring_submit(&w->ring);
		io_uring_queue_exit(&w->ring);
	}
	uring_bufs_free(&w->bufs);
	if (atomic_fetch_sub(&w->sh->running, 1) == 1)
		pthread_kill(w->sh->main_thread, SIGUSR1);
	return NULL;
}

/* ---- lifecycle ---- */

static struct worker *uw_create(struct shared *sh, int id, int first_conn, int n_conns)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->sh = sh;
	w->id = id;
	w->first_conn = first_conn;
	w->n_conns = n_conns;
	w->conns = calloc((size_t)n_conns, sizeof(*w->conns));
	w->deadline_ns = calloc((size_t)n_conns, sizeof(*w->deadline_ns));
	w->ring_idle = calloc((size_t)n_conns, sizeof(*w->ring_idle));
	w->think = calloc((size_t)n_conns, sizeof(*w->think));
	if (!w->conns || !w->deadline_ns || !w->ring_idle || !w->think) {
		free(w->conns);
		free(w->deadline_ns);
		free(w->ring_idle);
		free(w->think);
		free(w);
		return NULL;
	}
	for (int i = 0; i < n_conns; i++)
		w->conns[i].fd = -1;
	if (sh->rate_rps > 0)
		w->interval_ns = (uint64_t)(1e9 * sh->threads / sh->rate_rps + 0.5);
	uint64_t scan = sh->timeout_ns / 8;
	w->scan_ns = scan < SCAN_MIN_NS ? SCAN_MIN_NS : scan > SCAN_MAX_NS ? SCAN_MAX_NS : scan;
	w->phase_seen = atomic_load(&sh->phase);
	stats_reset(&w->st);
	return w;
}

static int uw_start(struct worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w);
}

static void uw_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

static const struct stats *uw_stats(const struct worker *w)
{
	return &w->st;
}

static void uw_conn_requests(const struct worker *w, uint64_t *out)
{
	for (int i = 0; i < w->n_conns; i++)
		out[i] = w->conns[i].served;
}

static int uw_opened(const struct worker *w, uint64_t *all_open_ns)
{
	*all_open_ns = w->all_open_ns;
	return w->n_opened;
}

static void uw_destroy(struct worker *w)
{
	if (!w)
		return;
	free(w->conns);
	free(w->deadline_ns);
	free(w->ring_idle);
	free(w->think);
	free(w);
}

const struct worker_ops uring_worker_ops = {
    uw_create, uw_start, uw_join, uw_stats, uw_conn_requests, uw_opened, uw_destroy,
};

/* 0 where this kernel gives this process a ring; else -errno (EPERM, ENOSYS:
 * seccomp or io_uring_disabled, as in many containers). */
int uring_worker_probe(void)
{
	struct io_uring ring;
	int rc = io_uring_queue_init(2, &ring, 0);
	if (rc == 0)
		io_uring_queue_exit(&ring);
	return rc;
}

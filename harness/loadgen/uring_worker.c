/* The load generator's io_uring loop (--io uring): the client of worker.c,
 * with its I/O on a completion ring instead of readiness and system calls.
 *
 * The same schedule as worker.c, schedule.c's (closed loop with its ramp,
 * --think-ms's FIFO, open loop's idle ring and intended send times, timeouts,
 * back-off, tickets), and the same outcomes (resp.c validates, one error kind a failed request);
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
#include "schedule.h"
#include "uring_setup.h"
#include "worker.h"

#define SQ_ENTRIES 4096
#define CQ_ENTRIES 65536
#define BUF_SIZE   2048
#define NBUFS_MAX  16384 /* provided buffers per thread (a power of 2): 32 MiB at most */
#define NBUFS_MIN  64
#define BGID       1

/* user_data: op << 56 | (generation & 0xffffff) << 32 | connection index */
enum op { OP_IGNORE, OP_RECV, OP_SEND, OP_WAKE };

struct worker { /* this file's own; opaque outside (worker.h) */
	struct sched s; /* the schedule, the counters and the shared settings (s.sh) */
	pthread_t thread;
	struct io_uring ring;
	struct uring_bufs bufs;
	int reg_ring;
};

static int idx(const struct worker *w, const struct lg_conn *c)
{
	return sched_index(&w->s, c);
}

/* ---- submission: every SQE is prepared here ---- */

static struct io_uring_sqe *sqe_get(struct worker *w, const struct lg_conn *c, enum op op)
{
	uint64_t tag = (uint64_t)op << 56;
	if (c)
		tag |= (uint64_t)(c->gen & 0xffffff) << 32 | (uint32_t)idx(w, c);
	return uring_sqe(&w->ring, tag);
}

static void arm_recv(struct worker *w, struct lg_conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(w, c, OP_RECV);
	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	c->recv_on = 1;
}

static void queue_send(struct worker *w, struct lg_conn *c)
{
	const struct shared *sh = w->s.sh;
	io_uring_prep_send(sqe_get(w, c, OP_SEND), c->fd, sh->req + c->wr_off,
			   sh->req_len - c->wr_off, MSG_NOSIGNAL);
}

/* ---- sockets ---- */

static void conn_close(struct worker *w, struct lg_conn *c)
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

static int conn_open(struct worker *w, struct lg_conn *c)
{
	int fd = sched_socket_connect(w->s.sh, w->s.first_conn + idx(w, c), 0);
	if (fd < 0)
		return -1;
	c->fd = fd;
	c->connected = 0;
	arm_recv(w, c);
	return 0;
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
	(void)now;
	queue_send(loop, c);
}

/* ---- completions ---- */

/* n > 0 bytes of c's response arrived in buf. */
static void on_data(struct worker *w, struct lg_conn *c, const char *buf, size_t n, uint64_t now)
{
	w->s.st.bytes += n;
	if (!c->connected)
		sched_connected(&w->s, c, now);
	if (!c->busy) { /* nobody asked: an idle keep-alive connection */
		w->s.st.err[ERR_INVALID]++;
		conn_close(w, c);
		return;
	}
	if (w->s.sh->proto == PROTO_DAYTIME) {
		if (resp_day_feed(&c->rsp.day, buf, n) != RESP_MORE)
			sched_fail(&w->s, c, ERR_INVALID, now);
		return;
	}
	size_t used;
	int rc = resp_http_feed(&c->rsp.http, buf, n, &used);
	if (rc == RESP_BAD || (rc == RESP_DONE && used != n))
		sched_fail(&w->s, c, ERR_INVALID, now);
	else if (rc == RESP_DONE)
		sched_done(&w->s, c, c->rsp.http.status, c->rsp.http.flags & RESP_F_CLOSE, now);
}

/* An end of file: the handshake had completed (a refused one is ECONNREFUSED). */
static void on_eof(struct worker *w, struct lg_conn *c, uint64_t now)
{
	if (!c->connected)
		sched_connected(&w->s, c, now);
	if (!c->busy)
		conn_close(w, c); /* the server closed an idle connection: not an error */
	else if (w->s.sh->proto == PROTO_DAYTIME && resp_day_eof(&c->rsp.day) == RESP_DONE)
		sched_done(&w->s, c, 200, 1, now);
	else if (w->s.sh->proto == PROTO_DAYTIME && c->rsp.day.len > 0)
		sched_fail(&w->s, c, ERR_INVALID, now);
	else
		sched_fail(&w->s, c, c->connected ? ERR_READ : ERR_CONNECT, now);
}

static void on_recv(struct worker *w, struct lg_conn *c, int res, unsigned flags, uint64_t now)
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
		sched_fail(&w->s, c, c->connected ? ERR_READ : ERR_CONNECT, now);
	if (c->gen == gen && c->fd >= 0 && !c->recv_on)
		arm_recv(w, c); /* the multishot ended (buffers ran out): again */
}

static void on_send(struct worker *w, struct lg_conn *c, int res, uint64_t now)
{
	if (res <= 0) {
		sched_fail(&w->s, c, c->connected ? ERR_WRITE : ERR_CONNECT, now);
		return;
	}
	if (!c->connected)
		sched_connected(&w->s, c, now);
	c->wr_off += (uint32_t)res;
	if (c->wr_off < w->s.sh->req_len)
		queue_send(w, c);
	else if (c->state == CS_WRITING)
		c->state = CS_READING;
}

static void on_cqe(struct worker *w, const struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	enum op op = (enum op)(d >> 56);
	struct lg_conn *c = &w->s.conns[(uint32_t)d];
	int stale = op == OP_IGNORE || op == OP_WAKE || ((d >> 32) & 0xffffff) != (c->gen & 0xffffff);
	if (op == OP_WAKE && !(cqe->flags & IORING_CQE_F_MORE))
		io_uring_prep_poll_multishot(sqe_get(w, NULL, OP_WAKE), w->s.sh->wake_fd, POLLIN);
	if (!stale && op == OP_RECV)
		on_recv(w, c, cqe->res, cqe->flags, now_ns());
	else if (!stale && op == OP_SEND)
		on_send(w, c, cqe->res, now_ns());
	if (op == OP_RECV && (cqe->flags & IORING_CQE_F_BUFFER))
		uring_bufs_put(&w->bufs, (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
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
	uint64_t now = now_ns();
	sched_begin(&w->s, now);
	io_uring_prep_poll_multishot(sqe_get(w, NULL, OP_WAKE), w->s.sh->wake_fd, POLLIN);
	while (!sched_check_phase(&w->s)) {
		int rc = uring_wait(&w->ring, (long long)sched_wait_ns(&w->s, now), 0, 1, w->reg_ring);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
			break; /* cannot happen on a working ring; the run ends with what it has */
		worker_reap(w);
		now = sched_turn(&w->s);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int rc = uring_ring_init(&w->ring, SQ_ENTRIES, CQ_ENTRIES, URING_DEFER, NULL);
	unsigned nbufs = NBUFS_MIN;
	while (nbufs < NBUFS_MAX && nbufs < 2u * (unsigned)w->s.n_conns)
		nbufs *= 2;
	if (rc == 0 && (rc = uring_bufs_init(&w->ring, &w->bufs, nbufs, BUF_SIZE, BGID)) == 0) {
		w->reg_ring = io_uring_register_ring_fd(&w->ring) == 1;
		worker_loop(w);
	} else { /* main probed a ring: only memory or the locked-memory limit fail here */
		fprintf(stderr, "loadgen: --io uring: thread %d: ring set-up: %s\n", w->s.id,
			strerror(-rc));
	}
	sched_end(&w->s);
	if (rc == 0) {
		for (int i = 0; i < w->s.n_conns; i++)
			conn_close(w, &w->s.conns[i]);
		io_uring_submit(&w->ring);
		io_uring_queue_exit(&w->ring);
	}
	uring_bufs_free(&w->bufs);
	sched_leave(&w->s);
	return NULL;
}

/* ---- lifecycle ---- */

static void uw_destroy(struct worker *w);

static struct worker *uw_create(struct shared *sh, int id, int first_conn, int n_conns)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->s.open = op_open;
	w->s.close = op_close;
	w->s.send = op_send;
	w->s.loop = w;
	if (sched_init(&w->s, sh, id, first_conn, n_conns) < 0) {
		uw_destroy(w);
		return NULL;
	}
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
	return &w->s.st;
}

static void uw_conn_requests(const struct worker *w, uint64_t *out)
{
	memcpy(out, w->s.served, (size_t)w->s.n_conns * sizeof(*out));
}

static int uw_opened(const struct worker *w, uint64_t *all_open_ns)
{
	*all_open_ns = w->s.all_open_ns;
	return w->s.n_opened;
}

static void uw_destroy(struct worker *w)
{
	if (!w)
		return;
	sched_free(&w->s);
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

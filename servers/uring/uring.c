/* uring.c - the event-driven model on io_uring's completion loop.
 *
 * Readiness against completion. epoll says "this socket may now be read":
 * the loop then calls read(), and for the answer write() - one epoll_wait
 * plus a read and a write, three system calls a request. io_uring says "I
 * have read; here are the bytes": the loop asked once (a multishot receive)
 * and the kernel keeps filling buffers from a ring we provided and posting
 * completions into shared memory. The answer is a send placed in the
 * submission queue, in memory too. One io_uring_enter per loop turn both
 * submits every queued send and waits for the next completions, however many
 * connections that turn served: under load, far less than one system call
 * a request.
 *
 * Model: one thread, one ring; every connection is the shared state machine
 * of servers/common/conn.c, driven from its completion side (conn_take,
 * conn_advance, conn_sent, conn_file_read). --workers N runs N such
 * reactors, each with its own ring and SO_REUSEPORT listener.
 *   - multishot accept on the listener; multishot receive into a provided
 *     buffer ring; a buffer goes back to the ring as soon as its bytes are in
 *     the connection's head buffer and parsed (what does not fit waits in the
 *     state machine's overflow, and the receive is cancelled until it catches
 *     up: the backpressure);
 *   - one send at a time per connection, head and body in one SQE (send of
 *     the queued bytes, or sendmsg with two iovecs for a large file body);
 *   - --root files read with IORING_OP_READ, so a page-cache miss does not
 *     stall the loop;
 *   - the ring is SINGLE_ISSUER | DEFER_TASKRUN (completion work runs in
 *     our io_uring_enter, in a batch); its fd is registered; and each
 *     connection's socket is a registered file (slot = fd, two
 *     io_uring_register calls per connection), so its receives and sends
 *     skip the fd lookup and reference count;
 *   - --min-wait-us N (off by default): one wait gathers completions for up
 *     to N us once one has arrived (the kernel's min-wait, Linux >= 6.12).
 * What each buys (--uring-off, the readiness section's ablation table):
 * 1000 keep-alive connections, closed loop, 3 alternating repetitions,
 * medians, the server process's CPU a request, on a machine loaded by other
 * work (the server got ~25% of its CPU; the lead's quiet re-run decides):
 * everything on 8.5 us and 0.075 system calls a request; batch off (one
 * io_uring_enter per operation) 13.9 us, 1.08 calls (1.6x: batching is
 * most of the lead); multishot off 9.8 us (1.15x); bufring off 9.1 (1.07x);
 * defer off 8.1 and fixed off 8.3 (within the spread, ~1 us: kept, they
 * cost nothing); --min-wait-us 50: 7.5 us (0.88x, near the spread); epoll
 * 16.8 us and 2.1 calls. At a fixed 30,000/s the same order.
 *
 * Cost per connection: ~9 KiB (the head buffer), the kernel's socket buffers,
 * a 4 MiB buffer ring per reactor. Limits: the fd limit (--max-conns, 503).
 * --block-us blocks the reactor's thread in a real call: every connection of
 * that reactor stalls (that is the point). Idle and head timeouts: the shared
 * list ordered by last activity, checked each turn; the wait of the one
 * io_uring_enter is bounded by the oldest deadline (no timer per request).
 * Expiry cancels the connection's operations; it is freed when the last
 * completion arrives. EMFILE: the reserve-fd trick, and no accept for 100 ms.
 * Where io_uring is refused (seccomp, containers: EPERM/ENOSYS) the binary
 * exits 1 with one line; this model has no fallback.
 *
 * Shutdown: a poll on the stop eventfd (SIGINT/SIGTERM) completes; each
 * reactor cancels its connections, waits briefly for the cancellations and
 * frees the ring.
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "options.h"
#include "server.h"
#include "uring_setup.h"

#define MODEL      "uring"
#define SQ_ENTRIES 4096
#define CQ_ENTRIES 65536
#define NBUFS      2048 /* provided receive buffers per reactor (a power of 2) */
#define BUF_SIZE   2048
#define BGID       1

/* user_data: a connection's address (16-aligned) | what completed */
enum tag { T_IGNORE, T_RECV, T_SEND, T_FILE, T_ACCEPT, T_STOP };
/* c->mask: operations in flight, and the connection's condition */
enum { RECV_ON = 1, SEND_ON = 2, FILE_ON = 4, IN_CQE = 8, DYING = 16, FIXED = 32 };
#define BUSY (RECV_ON | SEND_ON | FILE_ON | IN_CQE) /* not to be freed yet */

struct extra { /* c->ev, for a sendmsg of head and large body, allocated when first needed */
	struct msghdr msg;
	struct iovec iov[2];
	char rbuf[BUF_SIZE]; /* --uring-off bufring: this connection's receive buffer */
};

struct reactor {
	struct server_opts *o;
	int lfd, stop_fd, stopping, accept_on, dying;
	unsigned nslots; /* registered file table, indexed by fd (0: none) */
	long long paused_until; /* ms; 0 = accepting */
	struct conn_loop loop;
	struct io_uring ring;
	struct uring_bufs bufs;
	unsigned off;        /* --uring-off: URING_OFF_* */
	unsigned min_wait_us; /* --min-wait-us, where the kernel has it */
	int reg_ring;
};

static void pump(struct reactor *r, struct conn *c);
static struct extra *extra(struct conn *c);
static void die(struct reactor *r, struct conn *c);

/* ---- submission: every SQE is prepared here ---- */

static struct io_uring_sqe *sqe_get(struct reactor *r, void *p, enum tag t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	if (!sqe) { /* the SQ is full: submit what is there */
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)p | t);
	return sqe;
}

/* After an SQE is prepared: --uring-off batch hands it over at once. */
static void sqe_ready(struct reactor *r)
{
	if (r->off & URING_OFF_BATCH)
		io_uring_submit(&r->ring);
}

/* After io_uring_prep_* (which clears the flags): c's socket as its registered file (slot fd). */
static void on_fd(struct io_uring_sqe *sqe, struct conn *c)
{
	if (c->mask & FIXED)
		sqe->flags |= IOSQE_FIXED_FILE;
}

/* Register c's socket (slot = fd), so that its operations skip the fd lookup; or clear it. */
static void fix_fd(struct reactor *r, struct conn *c, int on)
{
	int fd = on ? c->fd : -1;
	if (on && (unsigned)c->fd < r->nslots && io_uring_register_files_update(&r->ring, (unsigned)c->fd, &fd, 1) == 1)
		c->mask |= FIXED;
	else if (!on && (c->mask & FIXED))
		io_uring_register_files_update(&r->ring, (unsigned)c->fd, &fd, 1);
}

static void arm_accept(struct reactor *r)
{
	io_uring_prep_multishot_accept(sqe_get(r, NULL, T_ACCEPT), r->lfd, NULL, NULL, SOCK_CLOEXEC);
	r->accept_on = 1;
	sqe_ready(r);
}

/* A multishot receive into the buffer ring; or, turned off, a single-shot one
 * (into the ring, or into the connection's own buffer). */
static void arm_recv(struct reactor *r, struct conn *c)
{
	struct extra *x = r->off & URING_OFF_BUFRING ? extra(c) : NULL;
	if ((r->off & URING_OFF_BUFRING) && !x) {
		die(r, c);
		return;
	}
	struct io_uring_sqe *sqe = sqe_get(r, c, T_RECV);
	if (x) {
		io_uring_prep_recv(sqe, c->fd, x->rbuf, BUF_SIZE, 0);
	} else {
		if (r->off & URING_OFF_MULTISHOT)
			io_uring_prep_recv(sqe, c->fd, NULL, 0, 0);
		else
			io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
	}
	on_fd(sqe, c);
	c->mask |= RECV_ON;
	sqe_ready(r);
}

static struct extra *extra(struct conn *c)
{
	if (!c->ev)
		c->ev = calloc(1, sizeof(struct extra));
	return c->ev;
}

static void send_out(struct reactor *r, struct conn *c)
{
	struct iovec iov[2];
	int n = conn_out_iov(c, iov);
	struct extra *x = n == 2 ? extra(c) : NULL;
	struct io_uring_sqe *sqe = sqe_get(r, c, T_SEND);
	if (n == 2 && x) {
		memcpy(x->iov, iov, sizeof iov);
		x->msg = (struct msghdr){.msg_iov = x->iov, .msg_iovlen = 2};
		io_uring_prep_sendmsg(sqe, c->fd, &x->msg, MSG_NOSIGNAL);
	} else { /* the head and a small body are one buffer; or no memory: the head first */
		io_uring_prep_send(sqe, c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
	}
	on_fd(sqe, c);
	c->mask |= SEND_ON;
	sqe_ready(r);
}

static void read_file(struct reactor *r, struct conn *c)
{
	io_uring_prep_read(sqe_get(r, c, T_FILE), c->big.file_fd, c->big.body_buf + c->big_off,
			   (unsigned)(c->big.body_len - c->big_off), c->big_off);
	c->mask |= FILE_ON;
	sqe_ready(r);
}

/* Cancel one operation (c: NULL for the listener's accept), or all on c's fd. */
static void cancel(struct reactor *r, struct conn *c, enum tag t)
{
	struct io_uring_sqe *sqe = sqe_get(r, NULL, T_IGNORE);
	if (t == T_IGNORE)
		io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL |
						    (c->mask & FIXED ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
	else
		io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)c | t, 0);
	sqe_ready(r);
}

/* ---- connections ---- */

static void free_if_done(struct reactor *r, struct conn *c)
{
	if (!(c->mask & DYING) || (c->mask & BUSY))
		return;
	free(c->ev);
	fix_fd(r, c, 0);
	conn_close(c);
	r->dying--;
}

/* Close: cancel what is in flight; freed at its last completion. */
static void die(struct reactor *r, struct conn *c)
{
	if (c->mask & DYING)
		return;
	c->mask |= DYING;
	r->dying++;
	conn_untime(c);
	if (c->mask & (RECV_ON | SEND_ON))
		cancel(r, c, T_IGNORE);
	free_if_done(r, c);
}

/* Bytes arrived (n == 0: EOF). */
static void feed(struct reactor *r, struct conn *c, const char *p, size_t n)
{
	if (conn_take(c, p, n) < 0) {
		die(r, c);
		return;
	}
	if (c->more_len && (c->mask & RECV_ON)) /* stop receiving until it catches up */
		cancel(r, c, T_RECV);
	if (!(c->mask & (SEND_ON | FILE_ON)))
		pump(r, c);
}

/* Nothing of c in flight but its receive: run it until it waits again. */
static void pump(struct reactor *r, struct conn *c)
{
	switch (conn_advance(c)) {
	case CONN_WRITE: send_out(r, c); break;
	case CONN_FILE: read_file(r, c); break;
	case CONN_CLOSE: die(r, c); break;
	case CONN_LINGER: /* after an error: stop sending, drop input until EOF */
		shutdown(c->fd, SHUT_WR);
		/* fall through */
	case CONN_READ: /* all input used: receive again if it had stopped */
		if (!(c->mask & RECV_ON) && !c->eof)
			arm_recv(r, c);
		break;
	}
}

/* ---- completions: dispatched on the tag ---- */

static void on_accept(struct reactor *r, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE))
		r->accept_on = 0;
	if (res == -EMFILE || res == -ENFILE) {
		int fd = net_accept(r->lfd, 0); /* the reserve fd drains one pending connection */
		if (fd >= 0)
			close(fd);
		if (r->accept_on)
			cancel(r, NULL, T_ACCEPT);
		r->paused_until = now_ms() + CONN_PAUSE_MS;
	} else if (res < 0) {
		if (res != -ECANCELED)
			log_warn("accept: %s", strerror(-res));
	} else if (r->stopping) {
		close(res);
	} else if (conn_count() >= r->o->max_conns) {
		conn_reject(&r->loop, res);
	} else {
		net_set_nodelay(res);
		struct conn *c = conn_open(&r->loop, res);
		if (c) {
			fix_fd(r, c, 1);
			pump(r, c); /* HTTP: receive; daytime: send its line */
		}
	}
	if (!r->accept_on && !r->paused_until && !r->stopping)
		arm_accept(r);
}

static void on_recv(struct reactor *r, struct conn *c, int res, unsigned flags)
{
	unsigned short bid = (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
	char *buf = flags & IORING_CQE_F_BUFFER ? uring_bufs_addr(&r->bufs, bid) : NULL;
	const char *own = r->off & URING_OFF_BUFRING && c->ev ? ((struct extra *)c->ev)->rbuf : NULL;
	if (!(flags & IORING_CQE_F_MORE))
		c->mask &= ~RECV_ON;
	c->mask |= IN_CQE; /* c stays while this runs */
	if (c->mask & DYING)
		;
	else if (res >= 0)
		feed(r, c, buf ? buf : own, (size_t)res); /* 0: EOF */
	else if (res == -ENOBUFS || res == -ECANCELED) { /* the ring ran dry; or spilled */
		if (!(c->mask & (SEND_ON | FILE_ON)))
			pump(r, c); /* re-armed there when it may read again */
	} else {
		die(r, c); /* ECONNRESET and the like */
	}
	if (buf) /* parsed (or copied aside): back to the kernel */
		uring_bufs_put(&r->bufs, bid);
	c->mask &= ~IN_CQE;
	free_if_done(r, c);
}

static void on_send(struct reactor *r, struct conn *c, int res)
{
	c->mask &= ~SEND_ON;
	if (res < 0 || (c->mask & DYING)) { /* EPIPE, ECONNRESET, cancelled */
		die(r, c);
		free_if_done(r, c);
		return;
	}
	conn_sent(c, (size_t)res);
	struct iovec iov[2];
	if (conn_out_iov(c, iov))
		send_out(r, c); /* a partial send: the rest */
	else
		pump(r, c);
}

static void on_file(struct reactor *r, struct conn *c, int res)
{
	c->mask &= ~FILE_ON;
	if (c->mask & DYING) {
		free_if_done(r, c);
		return;
	}
	if (conn_file_read(c, res))
		read_file(r, c);
	else
		pump(r, c);
}

static void reap(struct reactor *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&r->ring, head, cqe)
	{
		uint64_t d = io_uring_cqe_get_data64(cqe);
		struct conn *c = (struct conn *)(uintptr_t)(d & ~(uint64_t)15);
		n++;
		switch ((enum tag)(d & 15)) {
		case T_RECV: on_recv(r, c, cqe->res, cqe->flags); break;
		case T_SEND: on_send(r, c, cqe->res); break;
		case T_FILE: on_file(r, c, cqe->res); break;
		case T_ACCEPT: on_accept(r, cqe->res, cqe->flags); break;
		case T_STOP: r->stopping = 1; break;
		case T_IGNORE: break;
		}
	}
	io_uring_cq_advance(&r->ring, n);
}

/* ---- the loop ---- */

/* One io_uring_enter: submit everything queued, wait for a completion or
 * wait_ms (and with --min-wait-us, for more, up to that long after the first). */
static void turn(struct reactor *r, int wait_ms)
{
	int rc = uring_wait(&r->ring, wait_ms < 0 ? -1 : wait_ms * 1000000LL, r->min_wait_us,
			    CQ_ENTRIES, r->reg_ring);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
		log_fatal("io_uring_enter: %s", strerror(-rc));
	reap(r);
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;
	unsigned features = 0; /* here: this thread is the ring's single issuer */
	int rc = uring_ring_init(&r->ring, SQ_ENTRIES, CQ_ENTRIES, !(r->off & URING_OFF_DEFER), NULL,
				 &features);
	if (rc < 0)
		log_fatal("io_uring unavailable: io_uring_queue_init: %s", strerror(-rc));
	if (!(r->off & URING_OFF_BUFRING) &&
	    (rc = uring_bufs_init(&r->ring, &r->bufs, NBUFS, BUF_SIZE, BGID)) < 0)
		log_fatal("io_uring unavailable: provided buffer ring: %s", strerror(-rc));
	r->reg_ring = io_uring_register_ring_fd(&r->ring) == 1; /* optimisations: ignore a refusal */
	if (!(r->off & URING_OFF_FIXED))
		r->nslots = uring_files_init(&r->ring);
	r->min_wait_us = (unsigned)r->o->min_wait_us;
	if (r->min_wait_us && !(features & IORING_FEAT_MIN_TIMEOUT)) {
		log_warn("--min-wait-us %u: this kernel has no min-wait (IORING_FEAT_MIN_TIMEOUT, "
			 "Linux >= 6.12): ignored",
			 r->min_wait_us);
		r->min_wait_us = 0;
	}
	io_uring_prep_poll_add(sqe_get(r, NULL, T_STOP), r->stop_fd, POLLIN);
	arm_accept(r);

	while (!r->stopping) {
		turn(r, conn_next_wait_ms(&r->loop, now_ms(), r->paused_until));
		long long now = now_ms();
		struct conn *c;
		while ((c = conn_expired(&r->loop, now)))
			die(r, c);
		if (r->paused_until && now >= r->paused_until) {
			r->paused_until = 0;
			if (!r->accept_on)
				arm_accept(r);
		}
	}
	struct conn *c;
	while ((c = conn_oldest(&r->loop)))
		die(r, c);
	for (long long end = now_ms() + 1000; r->dying > 0 && now_ms() < end;)
		turn(r, 100);
	io_uring_queue_exit(&r->ring); /* cancels the rest */
	uring_bufs_free(&r->bufs);
	close(r->lfd);
	return NULL;
}

/* io_uring's part of a reactor's start-up (conn_serve_reactors). */
static void reactor_setup(void *obj, int lfd, int stop_fd, void *arg)
{
	struct reactor *r = obj;
	struct server_opts *o = arg;
	r->o = o;
	r->off = o->uring_off | (o->uring_off & URING_OFF_BUFRING ? URING_OFF_MULTISHOT : 0);
	r->stop_fd = stop_fd;
	r->lfd = lfd;
}

int main(int argc, char **argv)
{
	struct model_info m = {
	    .name = MODEL,
	    .summary = "one thread, an io_uring completion loop (multishot accept and receive)",
	    .workers_help = "reactor threads, each with its own ring and SO_REUSEPORT listener",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help = "Needs io_uring (Linux >= 6.0): exits 1 where it is refused.",
	    .uring_knobs = 1,
	};
	struct server_opts o;
	options_parse(argc, argv, &m, &o);
	log_init(MODEL, o.quiet);
	struct io_uring probe; /* refused here, before the ready line: exit 1, one line */
	int rc = io_uring_queue_init(2, &probe, 0);
	if (rc < 0)
		log_fatal("io_uring unavailable: io_uring_queue_init: %s", strerror(-rc));
	io_uring_queue_exit(&probe);
	conn_serve_reactors(&o, MODEL, 0, sizeof(struct reactor), offsetof(struct reactor, loop),
			    reactor_setup, &o, reactor_run);

	log_info("stopped; %ld connections refused", conn_rejected());
	return 0;
}

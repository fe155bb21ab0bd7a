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
 * of servers/common/conn.c, driven from its completion side. --workers N runs
 * N such reactors, each with its own ring and SO_REUSEPORT listener.
 *   - a multishot receive into the provided buffer ring; a buffer goes back
 *     once its bytes are parsed (what does not fit waits in the core's
 *     overflow, and the receive is cancelled until it catches up);
 *   - one send at a time per connection, head and body in one SQE (send, or
 *     sendmsg with two iovecs for a large file body); a --root file is read
 *     at once from the page cache (RWF_NOWAIT), a miss with IORING_OP_READ;
 *   - each socket is a registered file (slot = fd): no fd lookup per operation.
 * ring.c (ring.h) holds what surrounds this loop: the ring's set-up, the buffer
 * ring, the multishot accept and its EMFILE pause, the one wait a turn, and
 * the --uring-off and --min-wait-us switches of the ablation (what each buys).
 *
 * Cost per connection: ~9 KiB (the head buffer), the kernel's socket buffers,
 * a 4 MiB buffer ring per reactor. Limits: the fd limit (--max-conns, 503).
 * --block-us stalls every connection of the reactor (that is the point).
 * Idle and head timeouts: the shared deadline list, checked each turn, bounds
 * the one wait; expiry cancels what is in flight, freed at its last completion.
 * Where io_uring is refused (seccomp, containers: EPERM/ENOSYS) it exits 1.
 * Shutdown: the stop eventfd's poll (SIGINT/SIGTERM) completes; each reactor
 * cancels its connections, waits briefly for the cancellations, frees the ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "ring.h"
#include "server.h"

/* user_data: a connection's address (16-aligned) | what completed */
enum tag { T_IGNORE, T_RECV, T_SEND, T_FILE, T_ACCEPT, T_STOP };
#define TAG(c, t) ((uint64_t)(uintptr_t)(c) | (t))
/* c->mask: operations in flight, and the connection's condition */
enum { RECV_ON = 1, SEND_ON = 2, FILE_ON = 4, IN_CQE = 8, DYING = 16, FIXED = 32 };
#define BUSY (RECV_ON | SEND_ON | FILE_ON | IN_CQE) /* not to be freed yet */

struct extra { /* c->ev, for a sendmsg of head and large body, allocated when first needed */
	struct msghdr msg;
	struct iovec iov[2];
	char rbuf[RING_BUF_SIZE]; /* --uring-off bufring: this connection's receive buffer */
};

struct reactor {
	struct ring g; /* first (ring_main): the ring, its buffers, switches and listener */
	struct conn_loop loop;
	int dying; /* connections closed, waiting for their last completion */
};

static void die(struct reactor *r, struct conn *c);

/* ---- submission: every SQE is prepared here ---- */

static struct extra *extra(struct conn *c)
{
	if (!c->ev)
		c->ev = calloc(1, sizeof(struct extra));
	return c->ev;
}

/* A multishot receive into the buffer ring (ring.c: or what --uring-off leaves). */
static void arm_recv(struct reactor *r, struct conn *c)
{
	struct extra *x = r->g.off & URING_OFF_BUFRING ? extra(c) : NULL;
	if ((r->g.off & URING_OFF_BUFRING) && !x) {
		die(r, c);
		return;
	}
	struct io_uring_sqe *sqe = ring_sqe(&r->g, TAG(c, T_RECV));
	ring_prep_recv(&r->g, sqe, c->fd, x ? x->rbuf : NULL);
	c->mask |= RECV_ON;
	ring_ready(&r->g, sqe, c->mask & FIXED);
}

static void send_out(struct reactor *r, struct conn *c)
{
	struct iovec iov[2];
	int n = conn_out_iov(c, iov);
	struct extra *x = n == 2 ? extra(c) : NULL;
	struct io_uring_sqe *sqe = ring_sqe(&r->g, TAG(c, T_SEND));
	if (n == 2 && x) {
		memcpy(x->iov, iov, sizeof iov);
		x->msg = (struct msghdr){.msg_iov = x->iov, .msg_iovlen = 2};
		io_uring_prep_sendmsg(sqe, c->fd, &x->msg, MSG_NOSIGNAL);
	} else { /* the head and a small body are one buffer; or no memory: the head first */
		io_uring_prep_send(sqe, c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
	}
	c->mask |= SEND_ON;
	ring_ready(&r->g, sqe, c->mask & FIXED);
}

static void read_file(struct reactor *r, struct conn *c)
{
	struct io_uring_sqe *sqe = ring_sqe(&r->g, TAG(c, T_FILE));
	io_uring_prep_read(sqe, c->big.file_fd, c->big.body_buf + c->big_off,
			   (unsigned)(c->big.body_len - c->big_off), c->big_off);
	c->mask |= FILE_ON;
	ring_ready(&r->g, sqe, 0);
}

/* ---- connections ---- */

static void free_if_done(struct reactor *r, struct conn *c)
{
	if (!(c->mask & DYING) || (c->mask & BUSY))
		return;
	free(c->ev);
	if (c->mask & FIXED)
		ring_unfix_fd(&r->g, c->fd);
	conn_close(c);
	r->dying--;
}

/* Close: cancel what is in flight; freed here or at its last completion. */
static void die(struct reactor *r, struct conn *c)
{
	if (!(c->mask & DYING)) {
		c->mask |= DYING;
		r->dying++;
		conn_untime(c);
		if (c->mask & (RECV_ON | SEND_ON))
			ring_cancel_fd(&r->g, c->fd, c->mask & FIXED);
	}
	free_if_done(r, c);
}

/* Nothing of c in flight but its receive: run it until it waits again. */
static void pump(struct reactor *r, struct conn *c)
{
	enum conn_want w;
	while ((w = conn_advance(c)) == CONN_FILE && !conn_file_nowait(c))
		; /* a file the page cache holds is read at once, and answered */
	switch (w) {
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

/* Bytes arrived (n == 0: EOF). */
static void feed(struct reactor *r, struct conn *c, const char *p, size_t n)
{
	if (conn_take(c, p, n) < 0) {
		die(r, c);
		return;
	}
	if (c->more_len && (c->mask & RECV_ON)) /* stop receiving until it catches up */
		ring_cancel(&r->g, TAG(c, T_RECV));
	if (!(c->mask & (SEND_ON | FILE_ON)))
		pump(r, c);
}

/* ---- completions: dispatched on the tag ---- */

/* The listener's completion (ring_accepted: a client admitted, or -1). */
static void on_accept(struct reactor *r, int res, unsigned flags)
{
	int fd = ring_accepted(&r->g, &r->loop, res, flags);
	struct conn *c = fd < 0 ? NULL : conn_open(&r->loop, fd);
	if (!c) /* none, or no memory (fd closed) */
		return;
	if (ring_fix_fd(&r->g, c->fd))
		c->mask |= FIXED;
	pump(r, c); /* HTTP: receive; daytime: send its line */
}

static void on_recv(struct reactor *r, struct conn *c, int res, unsigned flags)
{
	char *own = c->ev ? ((struct extra *)c->ev)->rbuf : NULL; /* --uring-off bufring */
	char *buf = ring_recv_buf(&r->g, flags, own);
	if (!(flags & IORING_CQE_F_MORE))
		c->mask &= ~RECV_ON;
	c->mask |= IN_CQE; /* c stays while this runs */
	if (c->mask & DYING)
		;
	else if (res >= 0)
		feed(r, c, buf, (size_t)res);            /* 0: EOF */
	else if (res == -ENOBUFS || res == -ECANCELED) { /* the ring ran dry; or spilled */
		if (!(c->mask & (SEND_ON | FILE_ON)))
			pump(r, c); /* re-armed there when it may read again */
	} else {
		die(r, c); /* ECONNRESET and the like */
	}
	ring_recv_done(&r->g, flags); /* parsed (or copied aside): back to the kernel */
	c->mask &= ~IN_CQE;
	free_if_done(r, c);
}

static void on_send(struct reactor *r, struct conn *c, int res)
{
	c->mask &= ~SEND_ON;
	if (res < 0 || (c->mask & DYING)) { /* EPIPE, ECONNRESET, cancelled */
		die(r, c);
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
	if (c->mask & DYING)
		die(r, c);
	else if (conn_file_read(c, res))
		read_file(r, c);
	else
		pump(r, c);
}

static void reap(struct reactor *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&r->g.ring, head, cqe)
	{
		uint64_t d = io_uring_cqe_get_data64(cqe);
		struct conn *c = (struct conn *)(uintptr_t)(d & ~(uint64_t)15);
		n++;
		switch ((enum tag)(d & 15)) {
		case T_RECV: on_recv(r, c, cqe->res, cqe->flags); break;
		case T_SEND: on_send(r, c, cqe->res); break;
		case T_FILE: on_file(r, c, cqe->res); break;
		case T_ACCEPT: on_accept(r, cqe->res, cqe->flags); break;
		case T_STOP: r->g.stopping = 1; break;
		case T_IGNORE: break;
		}
	}
	io_uring_cq_advance(&r->g.ring, n);
}

/* ---- the loop ---- */

/* One io_uring_enter (submit all, wait up to wait_ms), then every completion. */
static void turn(struct reactor *r, int wait_ms)
{
	ring_wait(&r->g, wait_ms);
	reap(r);
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;
	ring_open(&r->g); /* here: this thread is the ring's single issuer */
	ring_listen(&r->g, T_ACCEPT, T_STOP);
	struct conn *c;
	while (!r->g.stopping) {
		turn(r, conn_next_wait_ms(&r->loop, now_ms(), r->g.paused_until));
		long long now = now_ms();
		while ((c = conn_expired(&r->loop, now)))
			die(r, c);
		ring_resume(&r->g, now);
	}
	while ((c = conn_oldest(&r->loop)))
		die(r, c);
	for (long long end = now_ms() + 1000; r->dying > 0 && now_ms() < end;)
		turn(r, 100);
	ring_close(&r->g); /* cancels the rest, closes the listener */
	return NULL;
}

int main(int argc, char **argv)
{
	struct model_info m = {
	    .name = "uring",
	    .summary = "one thread, an io_uring completion loop (multishot accept and receive)",
	    .workers_help = "reactor threads, each with its own ring and SO_REUSEPORT listener",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help = "Needs io_uring (Linux >= 6.0): exits 1 where it is refused.",
	    .uring_knobs = 1,
	};
	return ring_main(argc, argv, &m, sizeof(struct reactor), offsetof(struct reactor, loop),
			 reactor_run);
}

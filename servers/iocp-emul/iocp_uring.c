/* iocp_uring.c - the io_uring backend: a true completion source.
 *
 * No thread of its own: the port's leader (iocp.c) waits in the ring, and
 * that one io_uring_enter also submits everything queued since the last.
 * A worker's operations go straight into the SQ and wait there for its next
 * iocp_get (it leads: they go in with its wait; it sleeps on the port:
 * io_uring_submit first). Anyone else's (the main thread re-posting an
 * accept, a blocked worker) wait in a list for the leader, who is woken
 * through an eventfd whose read is kept pending in the ring. One lock covers
 * the SQ, the CQ and the lists; no thread holds it in the kernel's wait.
 *
 * Not SINGLE_ISSUER|DEFER_TASKRUN, as the native uring model has: any worker
 * may submit. The kernel runs a request's completion work in the thread that
 * submitted it; under load that is the leader itself, in its wait, and
 * COOP_TASKRUN keeps it from being interrupted for that while it runs.
 *
 * Receives posted on one socket must fill in posting order (Windows does;
 * io_uring does not promise it: its poll wake-ups run newest first), so only
 * the oldest receive of a socket is in the kernel; the others wait in that
 * socket's queue and the next goes in when the CQE of the one before is
 * reaped. A zero-length receive with POLL_FIRST completes when data is there,
 * taking no buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "iocp_backend.h"
#include "uring_setup.h"

#define RING_ENTRIES 4096
#define TAG_WAKE     ((uint64_t)1) /* user_data of the eventfd read */

struct uring {
	struct io_uring ring;
	pthread_mutex_t lock;
	struct iocp_ovq todo; /* posted by non-workers: for the leader to submit */
	int waiting;          /* the leader is in io_uring_enter, waiting */
	int kick;             /* wake() came before it got there: do not wait */
	int armed;            /* the eventfd's read is in the ring */
	int efd;
	uint64_t efd_val;
	int nfds;
	struct iocp_ovq *rx; /* receives per socket, the head in the kernel */
};

static void arm_wake(struct uring *u)
{
	struct io_uring_sqe *sqe = uring_sqe(&u->ring, TAG_WAKE);
	io_uring_prep_read(sqe, u->efd, &u->efd_val, sizeof(u->efd_val), 0);
}

/* ---- submitting and reaping ---- */

/* Turn one queued operation into its SQE. */
static void prep(struct uring *u, struct iocp_overlapped *ov, int poll_first)
{
	struct io_uring_sqe *sqe = uring_sqe(&u->ring, (uint64_t)(uintptr_t)ov);

	switch (ov->internal.op) {
	case IOCP_OP_ACCEPT:
		io_uring_prep_accept(sqe, ov->internal.fd, NULL, NULL, SOCK_CLOEXEC);
		break;
	case IOCP_OP_RECV:
		io_uring_prep_recv(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len, 0);
		/* A request rarely waits in the socket when we ask: arm the poll
		 * first instead of a receive that would fail with EAGAIN (not for
		 * a socket's next receive, where the rest of a burst may wait). */
		if (poll_first)
			sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
		break;
	case IOCP_OP_SEND:
		io_uring_prep_sendmsg(sqe, ov->internal.fd, &ov->internal.msg, MSG_NOSIGNAL);
		break;
	case IOCP_OP_READ:
		io_uring_prep_read(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len,
				   ov->internal.offset);
		break;
	default: io_uring_prep_nop(sqe); break;
	}
}

/* A receive goes into the kernel only behind none of its socket's. */
static void queue_op(struct uring *u, struct iocp_overlapped *ov)
{
	struct iocp_ovq *q = &u->rx[ov->internal.fd % u->nfds];
	if (ov->internal.op != IOCP_OP_RECV || ov->internal.fd >= u->nfds) {
		prep(u, ov, 1);
		return;
	}
	int behind = q->head != NULL;
	iocp_ovq_push(q, ov);
	if (!behind)
		prep(u, ov, 1);
}

/* Every CQE's operation into done, in the order the kernel posted them;
 * returns how many sockets' next receives it put in the SQ. */
static unsigned reap(struct uring *u, struct iocp_ovq *done)
{
	unsigned next = 0;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		n++;
		if (tag == TAG_WAKE) {
			u->armed = 0;
		} else {
			struct iocp_overlapped *ov = io_uring_cqe_get_data(cqe);
			struct iocp_ovq *q = &u->rx[ov->internal.fd % u->nfds];
			if (ov->internal.op == IOCP_OP_RECV && q->head == ov) {
				iocp_ovq_pop(q);
				if (q->head) /* the socket's next receive */
					prep(u, q->head, 0), next++;
			}
			iocp_done_add(done, ov, cqe->res);
		}
	}
	io_uring_cq_advance(&u->ring, n);
	return next;
}

/* The leader's wait: one io_uring_enter submits and sleeps (see the top). */
static void ur_wait(void *state, int timeout_ms, struct iocp_ovq *done)
{
	struct uring *u = state;

	pthread_mutex_lock(&u->lock);
	for (struct iocp_overlapped *ov; (ov = iocp_ovq_pop(&u->todo));)
		queue_op(u, ov);
	if (!u->armed) {
		arm_wake(u);
		u->armed = 1;
	}
	/* Flushed under the lock, so that the enter runs without it: a worker's
	 * io_uring_submit meanwhile submits each SQE once (uring_flush_sq). */
	unsigned submit = uring_flush_sq(&u->ring);
	unsigned want = !timeout_ms || u->kick || io_uring_cq_ready(&u->ring) ? 0 : 1;
	u->kick = 0;
	u->waiting = want;
	pthread_mutex_unlock(&u->lock);

	struct __kernel_timespec ts = {.tv_sec = timeout_ms / 1000,
				       .tv_nsec = timeout_ms % 1000 * 1000000LL};
	struct uring_getevents_arg arg = {.ts = (uint64_t)(uintptr_t)&ts};
	int rc = 0; /* no system call when there is nothing to submit, wait for or run */
	if (submit || want || (IO_URING_READ_ONCE(*u->ring.sq.kflags) & IORING_SQ_TASKRUN))
		rc = io_uring_enter2((unsigned)u->ring.ring_fd, submit, want,
				     IORING_ENTER_GETEVENTS |
					 (timeout_ms >= 0 ? IORING_ENTER_EXT_ARG : 0),
				     timeout_ms >= 0 ? (sigset_t *)&arg : NULL,
				     timeout_ms >= 0 ? sizeof(arg) : _NSIG / 8);
	if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EBUSY && rc != -EAGAIN)
		fprintf(stderr, "iocp: io_uring_enter: %s\n", strerror(-rc));

	pthread_mutex_lock(&u->lock);
	u->waiting = 0;
	/* Sockets with several receives posted (--pending-reads) have only the
	 * oldest in the kernel: put the next in at once, a few rounds, so that a
	 * burst fills them in one turn, as when all are posted on Windows. */
	for (int round = 0; reap(u, done) && round < 8; round++)
		io_uring_submit(&u->ring);
	pthread_mutex_unlock(&u->lock);
}

/* With u->lock held. */
static void wake_locked(struct uring *u)
{
	if (u->waiting)
		iocp_wake(u->efd);
	else
		u->kick = 1;
}

static void uring_wake(void *state)
{
	struct uring *u = state;
	pthread_mutex_lock(&u->lock);
	wake_locked(u);
	pthread_mutex_unlock(&u->lock);
}

static void uring_flush(void *state)
{
	struct uring *u = state;
	pthread_mutex_lock(&u->lock);
	if (io_uring_sq_ready(&u->ring))
		io_uring_submit(&u->ring);
	pthread_mutex_unlock(&u->lock);
}

static int uring_start(struct iocp_port *port, void **state, char *err, size_t errlen)
{
	struct uring *u = calloc(1, sizeof(*u));
	int rc = -ENOMEM;

	if (!u || !(u->rx = calloc((size_t)(u->nfds = iocp_nfds()), sizeof(*u->rx)))) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	(void)port;
	pthread_mutex_init(&u->lock, NULL);
	/* COOP_TASKRUN where the kernel has it (5.19), else none (EINVAL). */
	if ((rc = uring_ring_init(&u->ring, RING_ENTRIES, 4 * RING_ENTRIES,
				  IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, NULL)) < 0) {
		snprintf(err, errlen, "io_uring_queue_init: %s", strerror(-rc));
	} else if ((u->efd = eventfd(0, EFD_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		io_uring_queue_exit(&u->ring);
	}
	if (rc < 0) {
		pthread_mutex_destroy(&u->lock);
		free(u->rx);
		free(u);
		return rc;
	}
	*state = u;
	return 0;
}

/* Closing the ring cancels what is still pending, in one pass (an
 * IORING_OP_ASYNC_CANCEL of everything is quadratic: 0.7 s for 10000 pending
 * accepts). A cancelled request no longer touches its buffers. */
static void uring_stop(void *state)
{
	struct uring *u = state;
	io_uring_queue_exit(&u->ring);
	close(u->efd);
	pthread_mutex_destroy(&u->lock);
	free(u->rx);
	free(u);
}

/* io_uring waits for a blocking socket; an O_NONBLOCK one fails with EAGAIN. */
static void uring_associate(void *state, int fd)
{
	(void)state;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

static void uring_submit(void *state, struct iocp_overlapped *ov, int worker)
{
	struct uring *u = state;
	pthread_mutex_lock(&u->lock);
	if (worker) {
		queue_op(u, ov);
	} else {
		iocp_ovq_push(&u->todo, ov);
		wake_locked(u);
	}
	pthread_mutex_unlock(&u->lock);
}

const struct iocp_backend_ops iocp_uring_ops = {
    .name = "io_uring",
    .start = uring_start,
    .stop = uring_stop,
    .associate = uring_associate,
    .submit = uring_submit,
    .wait = ur_wait,
    .wake = uring_wake,
    .flush = uring_flush,
};

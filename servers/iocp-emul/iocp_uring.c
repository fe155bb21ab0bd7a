/* iocp_uring.c - the io_uring backend: a true completion source.
 *
 * One poller thread owns the ring (IORING_SETUP_SINGLE_ISSUER and
 * DEFER_TASKRUN when the kernel has them, so the kernel's completion work
 * runs in this thread, in batches, and never interrupts a worker). Workers
 * append operations to a list and, when the poller is asleep, wake it
 * through an eventfd whose read is always pending in the ring. The poller
 * loops: move the list into SQEs, one io_uring_enter (on the registered ring
 * fd) to submit them all and wait for at least one completion, move every
 * CQE into the port's FIFO under one lock: the batched submission the
 * native uring model also uses. (Holding a handler's wake back until its
 * worker runs out of packets, to batch more, was tried and measured: no
 * gain at 1000 connections, the port's mutex taken twice more per wait.)
 *
 * Timeouts are the poller's too, as a Windows program's timer thread would
 * call CancelIoEx: operations with a timeout sit in a list sorted by
 * deadline (only the poller touches it: no lock), the poller's wait ends at
 * the first deadline, and an expired operation gets an IORING_OP_ASYNC_CANCEL
 * and completes with -ETIMEDOUT. (A linked IORING_OP_LINK_TIMEOUT per
 * operation costs an hrtimer and an extra CQE on every request.)
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
#include <time.h>
#include <unistd.h>

#include "iocp_backend.h"

#define RING_ENTRIES 4096
#define TAG_WAKE     ((uint64_t)1) /* user_data of the eventfd read */
#define TAG_CANCEL   ((uint64_t)2) /* user_data of a timeout's cancel (ignored) */

struct uring {
	struct iocp_port *port;
	struct io_uring ring;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t started_cond;
	int state; /* 0 starting, 1 running, -errno failed */
	char err[160];
	struct iocp_overlapped *head, *tail; /* queued by workers, not yet in the SQ */
	int sleeping;                        /* poller is (about to be) in io_uring_enter */
	int stop;
	int efd;
	uint64_t efd_val;
	/* the poller's own */
	struct iocp_overlapped *thead, *ttail; /* pending operations with a deadline */
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct io_uring_sqe *sqe_get(struct uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) { /* the SQ is full: submit what is there */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static void arm_wake(struct uring *u)
{
	struct io_uring_sqe *sqe = sqe_get(u);
	io_uring_prep_read(sqe, u->efd, &u->efd_val, sizeof(u->efd_val), 0);
	io_uring_sqe_set_data64(sqe, TAG_WAKE);
}

/* ---- timers (poller only) ---- */

static void timer_add(struct uring *u, struct iocp_overlapped *ov)
{
	struct iocp_overlapped *after = u->ttail;
	/* Every timeout is usually the same: the new deadline is the latest. */
	while (after && after->internal.deadline_ms > ov->internal.deadline_ms)
		after = after->internal.tprev;
	ov->internal.tprev = after;
	ov->internal.tnext = after ? after->internal.tnext : u->thead;
	if (ov->internal.tnext)
		ov->internal.tnext->internal.tprev = ov;
	else
		u->ttail = ov;
	if (after)
		after->internal.tnext = ov;
	else
		u->thead = ov;
}

static void timer_del(struct uring *u, struct iocp_overlapped *ov)
{
	if (ov->internal.tprev)
		ov->internal.tprev->internal.tnext = ov->internal.tnext;
	else
		u->thead = ov->internal.tnext;
	if (ov->internal.tnext)
		ov->internal.tnext->internal.tprev = ov->internal.tprev;
	else
		u->ttail = ov->internal.tprev;
	ov->internal.deadline_ms = 0;
}

/* Cancel the operations whose deadline passed; ms until the next one (-1: none). */
static long long expire(struct uring *u)
{
	long long now = mono_ms();
	struct iocp_overlapped *ov;
	while ((ov = u->thead) && ov->internal.deadline_ms <= now) {
		timer_del(u, ov);
		ov->internal.timed_out = 1;
		struct io_uring_sqe *sqe = sqe_get(u);
		io_uring_prep_cancel(sqe, ov, 0);
		io_uring_sqe_set_data64(sqe, TAG_CANCEL);
	}
	return ov ? ov->internal.deadline_ms - now : -1;
}

/* ---- submitting and reaping ---- */

/* Turn one queued operation into its SQE. */
static void prep(struct uring *u, struct iocp_overlapped *ov)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	switch (ov->internal.op) {
	case IOCP_OP_ACCEPT:
		io_uring_prep_accept(sqe, ov->internal.fd, NULL, NULL, SOCK_CLOEXEC);
		break;
	case IOCP_OP_RECV:
		io_uring_prep_recv(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len, 0);
		/* A request rarely waits in the socket when we ask: arm the poll
		 * first instead of a receive that would fail with EAGAIN. */
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
		break;
	case IOCP_OP_SEND:
		io_uring_prep_sendmsg(sqe, ov->internal.fd, &ov->internal.msg, MSG_NOSIGNAL);
		break;
	case IOCP_OP_READ:
		io_uring_prep_read(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len,
				   ov->internal.offset);
		break;
	case IOCP_OP_DISCONNECT: io_uring_prep_close(sqe, ov->internal.fd); break;
	default: io_uring_prep_nop(sqe); break;
	}
	io_uring_sqe_set_data(sqe, ov);
	if (ov->internal.deadline_ms)
		timer_add(u, ov);
}

/* Move every CQE into the port, in the order the kernel posted them. */
static void reap(struct uring *u)
{
	struct iocp_done done = {0};
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int rearm = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		n++;
		if (tag == TAG_WAKE) {
			rearm = 1;
		} else if (tag != TAG_CANCEL) {
			struct iocp_overlapped *ov = io_uring_cqe_get_data(cqe);
			int res = cqe->res;
			if (ov->internal.deadline_ms)
				timer_del(u, ov);
			if (ov->internal.timed_out && (res == -ECANCELED || res == -EINTR))
				res = -ETIMEDOUT;
			iocp_done_add(&done, ov, res);
		}
	}
	io_uring_cq_advance(&u->ring, n);
	if (rearm)
		arm_wake(u);
	iocp_complete_list(u->port, done.head);
}

static int ring_init(struct uring *u)
{
	/* The best setup first; older kernels refuse the newer flags (EINVAL). */
	static const unsigned flags[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
	    IORING_SETUP_CQSIZE,
	    0,
	};
	int rc = -EINVAL;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && rc == -EINVAL; i++) {
		struct io_uring_params prm = {.flags = flags[i], .cq_entries = 4 * RING_ENTRIES};
		rc = io_uring_queue_init_params(RING_ENTRIES, &u->ring, &prm);
	}
	return rc;
}

static void *poller(void *arg)
{
	struct uring *u = arg;
	sigset_t all;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	rc = ring_init(u); /* created here: this thread is the ring's single issuer */
	pthread_mutex_lock(&u->lock);
	if (rc < 0)
		snprintf(u->err, sizeof(u->err), "io_uring_queue_init: %s", strerror(-rc));
	u->state = rc < 0 ? rc : 1;
	pthread_cond_signal(&u->started_cond);
	pthread_mutex_unlock(&u->lock);
	if (rc < 0)
		return NULL;

	io_uring_register_ring_fd(&u->ring); /* saves the fd lookup of every enter */
	arm_wake(u);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		struct iocp_overlapped *list = u->head;
		int stop = u->stop;
		u->head = u->tail = NULL;
		u->sleeping = 1;
		pthread_mutex_unlock(&u->lock);
		if (stop)
			break;
		for (struct iocp_overlapped *ov = list, *next; ov; ov = next) {
			next = ov->internal.next;
			prep(u, ov);
		}
		long long wait_ms = expire(u);
		if (wait_ms < 0) {
			rc = io_uring_submit_and_wait(&u->ring, 1);
		} else {
			struct io_uring_cqe *cqe;
			struct __kernel_timespec ts = {.tv_sec = wait_ms / 1000,
						       .tv_nsec = (wait_ms % 1000) * 1000000};
			rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
		}
		if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN && rc != -ETIME) {
			fprintf(stderr, "iocp: io_uring_submit_and_wait: %s\n", strerror(-rc));
			break;
		}
		pthread_mutex_lock(&u->lock);
		u->sleeping = 0; /* awake: the list is looked at before the next wait */
		pthread_mutex_unlock(&u->lock);
		reap(u);
	}
	/* Closing the ring cancels what is still pending, in one pass (an
	 * IORING_OP_ASYNC_CANCEL of everything is quadratic: 0.7 s for 10000
	 * pending accepts). A cancelled request no longer touches its buffers. */
	io_uring_queue_exit(&u->ring);
	return NULL;
}

static int uring_start(struct iocp_port *port, void **state, char *err, size_t errlen)
{
	struct uring *u = calloc(1, sizeof(*u));
	int rc;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	u->port = port;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->started_cond, NULL);
	u->efd = eventfd(0, EFD_CLOEXEC);
	if (u->efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = -pthread_create(&u->thread, NULL, poller, u);
	if (rc < 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(-rc));
		goto fail;
	}
	pthread_mutex_lock(&u->lock);
	while (u->state == 0)
		pthread_cond_wait(&u->started_cond, &u->lock);
	rc = u->state < 0 ? u->state : 0;
	pthread_mutex_unlock(&u->lock);
	if (rc < 0) {
		pthread_join(u->thread, NULL);
		snprintf(err, errlen, "%s", u->err);
		goto fail;
	}
	*state = u;
	return 0;
fail:
	if (u->efd >= 0)
		close(u->efd);
	pthread_cond_destroy(&u->started_cond);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return rc;
}

static void wake(struct uring *u)
{
	uint64_t one = 1;
	while (write(u->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void uring_stop(void *state)
{
	struct uring *u = state;
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_mutex_unlock(&u->lock);
	wake(u);
	pthread_join(u->thread, NULL);
	close(u->efd);
	pthread_cond_destroy(&u->started_cond);
	pthread_mutex_destroy(&u->lock);
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

static void uring_submit(void *state, struct iocp_overlapped *ov)
{
	struct uring *u = state;
	int do_wake;

	if (ov->internal.op == IOCP_OP_DISCONNECT && ov->internal.how == IOCP_DISCONNECT_RESET) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(ov->internal.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (ov->internal.timeout_ms > 0)
		ov->internal.deadline_ms = mono_ms() + ov->internal.timeout_ms;
	ov->internal.next = NULL;
	pthread_mutex_lock(&u->lock);
	if (u->tail)
		u->tail->internal.next = ov;
	else
		u->head = ov;
	u->tail = ov;
	do_wake = u->sleeping;
	u->sleeping = 0;
	pthread_mutex_unlock(&u->lock);
	if (do_wake)
		wake(u);
}

const struct iocp_backend_ops iocp_uring_ops = {
    .name = "io_uring",
    .start = uring_start,
    .stop = uring_stop,
    .associate = uring_associate,
    .submit = uring_submit,
};

/* iocp_uring.c - the io_uring backend: a true completion source.
 *
 * One poller thread owns the ring (IORING_SETUP_SINGLE_ISSUER and
 * DEFER_TASKRUN when the kernel has them, so the kernel's completion work
 * runs in this thread, in batches, and never interrupts a worker). Workers
 * append operations to a list and, when the poller is asleep, wake it
 * through an eventfd whose read is always pending in the ring. The poller
 * loops: move the list into SQEs, one io_uring_enter to submit them and wait
 * for at least one completion, move every CQE into the port's FIFO under one
 * lock. An operation with a timeout is an SQE linked to IORING_OP_LINK_TIMEOUT.
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
#include <unistd.h>

#include "iocp_backend.h"

#define RING_ENTRIES 4096
#define TAG_WAKE ((uint64_t)1)      /* user_data of the eventfd read */
#define TAG_TIMEOUT ((uint64_t)2)   /* user_data of linked timeouts (ignored) */

struct uring {
	struct iocp_port *port;
	struct io_uring ring;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t started_cond;
	int state;                              /* 0 starting, 1 running, -errno failed */
	char err[160];
	struct iocp_overlapped *head, *tail;    /* queued by workers, not yet in the SQ */
	int sleeping;                           /* poller is (about to be) in io_uring_enter */
	int stop;
	int efd;
	uint64_t efd_val;
};

static struct io_uring_sqe *sqe_get(struct uring *u, unsigned need)
{
	if (io_uring_sq_space_left(&u->ring) < need)
		io_uring_submit(&u->ring);
	return io_uring_get_sqe(&u->ring);
}

static void arm_wake(struct uring *u)
{
	struct io_uring_sqe *sqe = sqe_get(u, 1);
	io_uring_prep_read(sqe, u->efd, &u->efd_val, sizeof(u->efd_val), 0);
	io_uring_sqe_set_data64(sqe, TAG_WAKE);
}

/* Turn one queued operation into its SQE(s). */
static void prep(struct uring *u, struct iocp_overlapped *ov)
{
	int timed = ov->internal.timeout_ms > 0;
	struct io_uring_sqe *sqe = sqe_get(u, timed ? 2 : 1);

	switch (ov->internal.op) {
	case IOCP_OP_ACCEPT:
		io_uring_prep_accept(sqe, ov->internal.fd, NULL, NULL, SOCK_CLOEXEC);
		break;
	case IOCP_OP_RECV:
		io_uring_prep_recv(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len, 0);
		break;
	case IOCP_OP_SEND:
		io_uring_prep_sendmsg(sqe, ov->internal.fd, &ov->internal.msg, MSG_NOSIGNAL);
		break;
	case IOCP_OP_READ:
		io_uring_prep_read(sqe, ov->internal.fd, ov->internal.buf, ov->internal.len,
				   ov->internal.offset);
		break;
	case IOCP_OP_DISCONNECT:
		io_uring_prep_close(sqe, ov->internal.fd);
		break;
	default:
		io_uring_prep_nop(sqe);
		break;
	}
	io_uring_sqe_set_data(sqe, ov);
	if (timed) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_link_timeout(sqe, (struct __kernel_timespec *)ov->internal.ts, 0);
		io_uring_sqe_set_data64(sqe, TAG_TIMEOUT);
	}
}

/* Move every CQE into the port, in the order the kernel posted them. */
static void reap(struct uring *u)
{
	struct iocp_done done = { 0 };
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int rearm = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		n++;
		if (tag == TAG_WAKE) {
			rearm = 1;
		} else if (tag != TAG_TIMEOUT) {
			struct iocp_overlapped *ov = io_uring_cqe_get_data(cqe);
			int res = cqe->res;
			if (res == -ECANCELED && ov->internal.timeout_ms > 0)
				res = -ETIMEDOUT;   /* cancelled by its linked timeout */
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
		struct io_uring_params prm = { .flags = flags[i], .cq_entries = 4 * RING_ENTRIES };
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
	rc = ring_init(u);   /* created here: this thread is the ring's single issuer */
	pthread_mutex_lock(&u->lock);
	if (rc < 0)
		snprintf(u->err, sizeof(u->err), "io_uring_queue_init: %s", strerror(-rc));
	u->state = rc < 0 ? rc : 1;
	pthread_cond_signal(&u->started_cond);
	pthread_mutex_unlock(&u->lock);
	if (rc < 0)
		return NULL;

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
		rc = io_uring_submit_and_wait(&u->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
			fprintf(stderr, "iocp: io_uring_submit_and_wait: %s\n", strerror(-rc));
			break;
		}
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
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(ov->internal.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (ov->internal.timeout_ms > 0) {
		ov->internal.ts[0] = ov->internal.timeout_ms / 1000;
		ov->internal.ts[1] = (long long)(ov->internal.timeout_ms % 1000) * 1000000;
	}
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

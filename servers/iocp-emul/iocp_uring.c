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
 * native uring model also uses.
 *
 * Receives posted on one socket must fill in posting order (Windows does;
 * io_uring does not promise it: its poll wake-ups run newest first), so only
 * the oldest receive of a socket is in the kernel; the others wait in that
 * socket's queue (the poller's alone: no lock) and the next goes in when the
 * CQE of the one before is reaped, in the same turn. A zero-length receive
 * with POLL_FIRST completes when data is there, taking no buffer.
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
	struct iocp_port *port;
	struct io_uring ring;
	pthread_t thread;
	pthread_mutex_t lock;
	struct iocp_ovq todo; /* queued by workers, not yet in the SQ */
	int sleeping;         /* poller is (about to be) in io_uring_enter */
	int stop;
	int efd;
	uint64_t efd_val;
	int nfds;
	struct iocp_ovq *rx; /* the poller's own: receives per socket, head in the kernel */
};

static void arm_wake(struct uring *u)
{
	struct io_uring_sqe *sqe = uring_sqe(&u->ring, TAG_WAKE);
	io_uring_prep_read(sqe, u->efd, &u->efd_val, sizeof(u->efd_val), 0);
}

/* ---- submitting and reaping ---- */

/* Turn one queued operation into its SQE. */
static void prep(struct uring *u, struct iocp_overlapped *ov)
{
	struct io_uring_sqe *sqe = uring_sqe(&u->ring, (uint64_t)(uintptr_t)ov);

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
	default: io_uring_prep_nop(sqe); break;
	}
}

/* A receive goes into the kernel only behind none of its socket's. */
static void queue_op(struct uring *u, struct iocp_overlapped *ov)
{
	struct iocp_ovq *q = &u->rx[ov->internal.fd % u->nfds];
	if (ov->internal.op != IOCP_OP_RECV || ov->internal.fd >= u->nfds) {
		prep(u, ov);
		return;
	}
	int behind = q->head != NULL;
	iocp_ovq_push(q, ov);
	if (!behind)
		prep(u, ov);
}

/* Move every CQE into the port, in the order the kernel posted them. */
static void reap(struct uring *u)
{
	struct iocp_ovq done = {0};
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int rearm = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		n++;
		if (tag == TAG_WAKE) {
			rearm = 1;
		} else {
			struct iocp_overlapped *ov = io_uring_cqe_get_data(cqe);
			struct iocp_ovq *q = &u->rx[ov->internal.fd % u->nfds];
			if (ov->internal.op == IOCP_OP_RECV && q->head == ov) {
				iocp_ovq_pop(q);
				if (q->head)
					prep(u, q->head); /* the socket's next receive */
			}
			iocp_done_add(&done, ov, cqe->res);
		}
	}
	io_uring_cq_advance(&u->ring, n);
	if (rearm)
		arm_wake(u);
	iocp_complete_list(u->port, done.head);
}

static void *poller(void *arg)
{
	struct uring *u = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (u->ring.flags & IORING_SETUP_R_DISABLED) /* (liburing's io_uring_enable_rings) */
		syscall(__NR_io_uring_register, u->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, 0, 0);
	io_uring_register_ring_fd(&u->ring); /* saves the fd lookup of every enter */
	arm_wake(u);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		struct iocp_ovq list = u->todo;
		int stop = u->stop;
		u->todo = (struct iocp_ovq){0};
		u->sleeping = 1;
		pthread_mutex_unlock(&u->lock);
		if (stop)
			break;
		for (struct iocp_overlapped *ov; (ov = iocp_ovq_pop(&list));)
			queue_op(u, ov);
		int rc = io_uring_submit_and_wait(&u->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
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
	int rc = -ENOMEM;

	if (!u || !(u->rx = calloc((size_t)(u->nfds = iocp_nfds()), sizeof(*u->rx)))) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	u->port = port;
	pthread_mutex_init(&u->lock, NULL);
	/* The best set-up first, none where the kernel refuses it (EINVAL).
	 * R_DISABLED: the poller enables the ring and so becomes its single issuer. */
	if ((rc = uring_ring_init(&u->ring, RING_ENTRIES, 4 * RING_ENTRIES,
				  URING_DEFER | IORING_SETUP_R_DISABLED, NULL)) < 0) {
		snprintf(err, errlen, "io_uring_queue_init: %s", strerror(-rc));
	} else if ((u->efd = eventfd(0, EFD_CLOEXEC)) < 0 ||
		   (errno = pthread_create(&u->thread, NULL, poller, u))) {
		rc = -errno;
		snprintf(err, errlen, "poller: %s", strerror(errno));
		if (u->efd >= 0)
			close(u->efd);
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

static void uring_stop(void *state)
{
	struct uring *u = state;
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_mutex_unlock(&u->lock);
	iocp_wake(u->efd);
	pthread_join(u->thread, NULL);
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

static void uring_submit(void *state, struct iocp_overlapped *ov)
{
	struct uring *u = state;
	int do_wake;

	pthread_mutex_lock(&u->lock);
	iocp_ovq_push(&u->todo, ov);
	do_wake = u->sleeping;
	u->sleeping = 0;
	pthread_mutex_unlock(&u->lock);
	if (do_wake)
		iocp_wake(u->efd);
}

const struct iocp_backend_ops iocp_uring_ops = {
    .name = "io_uring",
    .start = uring_start,
    .stop = uring_stop,
    .associate = uring_associate,
    .submit = uring_submit,
};

/* iocp_epoll.c - the epoll backend: readiness turned into completions by
 * performing the operation, as Boost.Asio's reactor does on Linux.
 *
 * Each descriptor has two queues of pending operations (read side: accept,
 * recv; write side: send) under one lock (two CPUs: striping it bought
 * nothing measurable). An operation
 * whose queue is empty is tried at once, in the submitting thread (Asio's
 * "speculative" operation); when the socket is not ready (EAGAIN) it is
 * queued. The descriptor is registered once, edge-triggered, for in and out;
 * the poller thread, told that it is ready, performs the queued operations
 * in order until one would block again. Trying and queueing happen under the
 * lock, and so does the poller's pass, so no edge is lost. A zero-length
 * receive completes when a one-byte MSG_PEEK would succeed. File reads are
 * done at once with pread. No thread of its own: the port's leader (iocp.c)
 * waits in epoll_wait and performs what became ready; an eventfd in the set
 * wakes it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iocp_backend.h"

#define MAX_EVENTS 256

struct fdq {
	struct iocp_ovq r; /* accept, recv */
	struct iocp_ovq w; /* send */
	int registered;
};

struct ep {
	struct iocp_port *port;
	int epfd, efd;
	int nfds;
	struct fdq *fds;
	pthread_mutex_t lock;
	int waiting; /* the leader is in epoll_wait */
	int kick;    /* wake() came before it got there: do not wait */
};

/* ---- performing operations ---- */

/* Try ov now: its result, or -EAGAIN when the descriptor is not ready. */
static int perform(struct iocp_overlapped *ov)
{
	ssize_t n;
	for (;;) {
		switch (ov->internal.op) {
		case IOCP_OP_ACCEPT:
			n = accept4(ov->internal.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (n < 0 && errno == ECONNABORTED)
				continue;
			break;
		case IOCP_OP_RECV:
			if (ov->internal.len == 0) { /* the zero-byte read: is data there? */
				char c;
				n = recv(ov->internal.fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
				n = n > 0 ? 0 : n;
				break;
			}
			n = recv(ov->internal.fd, ov->internal.buf, ov->internal.len, MSG_DONTWAIT);
			break;
		case IOCP_OP_SEND:
			n = sendmsg(ov->internal.fd, &ov->internal.msg,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case IOCP_OP_READ:
			n = pread(ov->internal.fd, ov->internal.buf, ov->internal.len,
				  ov->internal.offset);
			break;
		default: return -EINVAL;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EWOULDBLOCK)
			return -EAGAIN;
		return n < 0 ? -errno : (n > INT32_MAX ? INT32_MAX : (int)n);
	}
}

/* Perform queued operations in order until one would block (descriptor lock held). */
static void run_queue(struct iocp_ovq *q, struct iocp_ovq *done)
{
	struct iocp_overlapped *ov;
	while ((ov = q->head)) {
		int res = perform(ov);
		if (res == -EAGAIN)
			return;
		iocp_ovq_pop(q);
		iocp_done_add(done, ov, res);
	}
}

static int ensure_registered(struct ep *e, struct fdq *q, int fd)
{
	if (q->registered)
		return 0;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.fd = fd};
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		return -errno;
	q->registered = 1;
	return 0;
}

static void ep_submit(void *state, struct iocp_overlapped *ov, int worker)
{
	(void)worker; /* an operation is tried at once in any thread */
	struct ep *e = state;
	struct iocp_ovq done = {0};
	int fd = ov->internal.fd;
	struct fdq *q;
	int res;

	if (fd >= e->nfds) {
		iocp_complete(e->port, ov, -EBADF);
		return;
	}
	if (ov->internal.op == IOCP_OP_READ) { /* a regular file is always ready */
		iocp_complete(e->port, ov, perform(ov));
		return;
	}
	q = &e->fds[fd];
	pthread_mutex_lock(&e->lock);
	res = ensure_registered(e, q, fd);
	if (res < 0) {
		iocp_done_add(&done, ov, res);
		goto out;
	}
	struct iocp_ovq *side = ov->internal.op == IOCP_OP_SEND ? &q->w : &q->r;
	res = side->head ? -EAGAIN : perform(ov); /* never overtake a queued operation */
	if (res != -EAGAIN) {
		iocp_done_add(&done, ov, res);
		goto out;
	}
	iocp_ovq_push(side, ov);
out:
	pthread_mutex_unlock(&e->lock);
	iocp_complete_list(e->port, done.head);
}

/* The leader's wait: the ready descriptors' queued operations, performed. */
static void ep_wait(void *state, int timeout_ms, struct iocp_ovq *done)
{
	struct ep *e = state;
	struct epoll_event evs[MAX_EVENTS];

	pthread_mutex_lock(&e->lock);
	if (e->kick)
		timeout_ms = 0;
	e->kick = 0;
	e->waiting = timeout_ms != 0;
	pthread_mutex_unlock(&e->lock);
	int n = epoll_wait(e->epfd, evs, MAX_EVENTS, timeout_ms);
	pthread_mutex_lock(&e->lock);
	e->waiting = 0;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		uint32_t what = evs[i].events;
		if (fd == e->efd) {
			uint64_t v;
			if (read(e->efd, &v, sizeof(v)) < 0) { /* nothing to do */
			}
			continue;
		}
		struct fdq *q = &e->fds[fd];
		if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			run_queue(&q->r, done);
		if (what & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			run_queue(&q->w, done);
	}
	pthread_mutex_unlock(&e->lock);
}

static void ep_wake(void *state)
{
	struct ep *e = state;
	pthread_mutex_lock(&e->lock);
	if (e->waiting)
		iocp_wake(e->efd);
	else
		e->kick = 1;
	pthread_mutex_unlock(&e->lock);
}

static int ep_start(struct iocp_port *port, void **state, char *err, size_t errlen)
{
	struct ep *e = calloc(1, sizeof(*e));
	int rc;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->port = port;
	e->epfd = e->efd = -1;
	e->nfds = iocp_nfds();
	e->fds = calloc(e->nfds, sizeof(*e->fds));
	pthread_mutex_init(&e->lock, NULL);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!e->fds || e->epfd < 0 || e->efd < 0) {
		rc = e->fds ? -errno : -ENOMEM;
		snprintf(err, errlen, "epoll setup: %s", strerror(-rc));
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->efd};
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->efd, &ev) < 0) {
		rc = -errno;
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	*state = e;
	return 0;
fail:
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->efd >= 0)
		close(e->efd);
	free(e->fds);
	free(e);
	return rc;
}

static void ep_stop(void *state)
{
	struct ep *e = state;
	close(e->epfd);
	close(e->efd);
	pthread_mutex_destroy(&e->lock);
	free(e->fds);
	free(e);
}

/* A new handle on fd (the number of one closed with nothing pending):
 * register it afresh; operations are tried without blocking. */
static void ep_associate(void *state, int fd)
{
	struct ep *e = state;
	if (fd >= e->nfds)
		return;
	pthread_mutex_lock(&e->lock);
	e->fds[fd].registered = 0;
	pthread_mutex_unlock(&e->lock);
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

const struct iocp_backend_ops iocp_epoll_ops = {
    .name = "epoll",
    .start = ep_start,
    .stop = ep_stop,
    .associate = ep_associate,
    .submit = ep_submit,
    .wait = ep_wait,
    .wake = ep_wake,
};

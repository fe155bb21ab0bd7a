/* iocp_epoll.c - the epoll backend: readiness turned into completions by
 * performing the operation, as Boost.Asio's reactor does on Linux.
 *
 * Each descriptor has two queues of pending operations (read side: accept,
 * recv; write side: send) under a lock striped by descriptor. An operation
 * whose queue is empty is tried at once, in the submitting thread (Asio's
 * "speculative" operation); when the socket is not ready (EAGAIN) it is
 * queued. The descriptor is registered once, edge-triggered, for in and out;
 * the poller thread, told that it is ready, performs the queued operations
 * in order until one would block again. Trying and queueing happen under the
 * descriptor's lock, and so does the poller's pass, so no edge is lost.
 * Operations with a timeout also sit in a list sorted by deadline, which sets
 * the poller's epoll_wait timeout. File reads are done at once with pread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "iocp_backend.h"

#define STRIPES    256
#define MAX_EVENTS 256

struct fdq {
	struct iocp_overlapped *rhead, *rtail; /* accept, recv */
	struct iocp_overlapped *whead, *wtail; /* send */
	int registered;
};

struct ep {
	struct iocp_port *port;
	int epfd, efd;
	int nfds;
	struct fdq *fds;
	pthread_mutex_t stripe[STRIPES];
	pthread_mutex_t tlock;                 /* the timer list */
	struct iocp_overlapped *thead, *ttail; /* sorted by deadline */
	pthread_t thread;
	_Atomic int stop;
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static pthread_mutex_t *lock_of(struct ep *e, int fd)
{
	return &e->stripe[(unsigned)fd % STRIPES];
}

static void wake(struct ep *e)
{
	uint64_t one = 1;
	while (write(e->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* ---- timers (tlock; taken inside a descriptor's lock) ---- */

static void timer_add(struct ep *e, struct iocp_overlapped *ov)
{
	struct iocp_overlapped *after;
	int first;

	pthread_mutex_lock(&e->tlock);
	for (after = e->ttail; after && after->internal.deadline_ms > ov->internal.deadline_ms;
	     after = after->internal.tprev)
		;
	ov->internal.tprev = after;
	ov->internal.tnext = after ? after->internal.tnext : e->thead;
	if (ov->internal.tnext)
		ov->internal.tnext->internal.tprev = ov;
	else
		e->ttail = ov;
	if (after)
		after->internal.tnext = ov;
	else
		e->thead = ov;
	first = e->thead == ov;
	pthread_mutex_unlock(&e->tlock);
	if (first)
		wake(e); /* the poller sleeps until a later deadline */
}

static void timer_del(struct ep *e, struct iocp_overlapped *ov)
{
	pthread_mutex_lock(&e->tlock);
	if (ov->internal.tprev)
		ov->internal.tprev->internal.tnext = ov->internal.tnext;
	else
		e->thead = ov->internal.tnext;
	if (ov->internal.tnext)
		ov->internal.tnext->internal.tprev = ov->internal.tprev;
	else
		e->ttail = ov->internal.tprev;
	ov->internal.tprev = ov->internal.tnext = NULL;
	pthread_mutex_unlock(&e->tlock);
}

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

static void q_push(struct iocp_overlapped **head, struct iocp_overlapped **tail,
		   struct iocp_overlapped *ov)
{
	ov->internal.next = NULL;
	if (*tail)
		(*tail)->internal.next = ov;
	else
		*head = ov;
	*tail = ov;
}

/* Perform queued operations in order until one would block (descriptor lock held). */
static void run_queue(struct ep *e, struct iocp_overlapped **head, struct iocp_overlapped **tail,
		      struct iocp_done *done)
{
	while (*head) {
		struct iocp_overlapped *ov = *head;
		int res = perform(ov);
		if (res == -EAGAIN)
			return;
		*head = ov->internal.next;
		if (!*head)
			*tail = NULL;
		if (ov->internal.deadline_ms)
			timer_del(e, ov);
		iocp_done_add(done, ov, res);
	}
}

/* Complete every pending operation of fd with res (descriptor lock held). */
static void flush_fd(struct ep *e, struct fdq *q, int res, struct iocp_done *done)
{
	struct iocp_overlapped *lists[2] = {q->rhead, q->whead};
	q->rhead = q->rtail = q->whead = q->wtail = NULL;
	for (int i = 0; i < 2; i++) {
		for (struct iocp_overlapped *ov = lists[i], *next; ov; ov = next) {
			next = ov->internal.next;
			if (ov->internal.deadline_ms)
				timer_del(e, ov);
			iocp_done_add(done, ov, res);
		}
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

static int disconnect(struct ep *e, struct iocp_overlapped *ov, struct iocp_done *done)
{
	int fd = ov->internal.fd;
	struct fdq *q = &e->fds[fd];

	/* Closing a handle cancels its pending operations (ERROR_OPERATION_ABORTED). */
	flush_fd(e, q, -ECANCELED, done);
	if (q->registered)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
	q->registered = 0;
	if (ov->internal.how == IOCP_DISCONNECT_RESET) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

static void ep_submit(void *state, struct iocp_overlapped *ov)
{
	struct ep *e = state;
	struct iocp_done done = {0};
	int fd = ov->internal.fd;
	pthread_mutex_t *lk;
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
	lk = lock_of(e, fd);
	pthread_mutex_lock(lk);
	if (ov->internal.op == IOCP_OP_DISCONNECT) {
		res = disconnect(e, ov, &done);
		iocp_done_add(&done, ov, res);
		goto out;
	}
	res = ensure_registered(e, q, fd);
	if (res < 0) {
		iocp_done_add(&done, ov, res);
		goto out;
	}
	int wside = ov->internal.op == IOCP_OP_SEND;
	struct iocp_overlapped **head = wside ? &q->whead : &q->rhead;
	struct iocp_overlapped **tail = wside ? &q->wtail : &q->rtail;
	res = *head ? -EAGAIN : perform(ov); /* never overtake a queued operation */
	if (res != -EAGAIN) {
		iocp_done_add(&done, ov, res);
		goto out;
	}
	q_push(head, tail, ov);
	if (ov->internal.timeout_ms > 0) {
		ov->internal.deadline_ms = mono_ms() + ov->internal.timeout_ms;
		timer_add(e, ov);
	}
out:
	pthread_mutex_unlock(lk);
	iocp_complete_list(e->port, done.head);
}

/* Expire operations whose deadline passed; returns ms until the next one (-1: none). */
static int expire(struct ep *e, struct iocp_done *done)
{
	for (;;) {
		long long now = mono_ms();
		pthread_mutex_lock(&e->tlock);
		struct iocp_overlapped *ov = e->thead;
		if (!ov || ov->internal.deadline_ms > now) {
			int wait = ov ? (int)(ov->internal.deadline_ms - now) : -1;
			pthread_mutex_unlock(&e->tlock);
			return wait;
		}
		int fd = ov->internal.fd;
		pthread_mutex_unlock(&e->tlock);

		/* Lock order is descriptor, then timers: take them again in that
		 * order and check that the head is still the same, expired op. */
		pthread_mutex_t *lk = lock_of(e, fd);
		pthread_mutex_lock(lk);
		pthread_mutex_lock(&e->tlock);
		int still =
		    e->thead == ov && ov->internal.fd == fd && ov->internal.deadline_ms <= now;
		pthread_mutex_unlock(&e->tlock);
		if (still) {
			struct fdq *q = &e->fds[fd];
			int wside = ov->internal.op == IOCP_OP_SEND;
			struct iocp_overlapped **pp = wside ? &q->whead : &q->rhead, *prev = NULL;
			struct iocp_overlapped **tail = wside ? &q->wtail : &q->rtail;
			while (*pp && *pp != ov)
				prev = *pp, pp = &(*pp)->internal.next;
			if (*pp) {
				*pp = ov->internal.next;
				if (*tail == ov)
					*tail = prev;
			}
			timer_del(e, ov);
			iocp_done_add(done, ov, -ETIMEDOUT);
		}
		pthread_mutex_unlock(lk);
	}
}

static void *poller(void *arg)
{
	struct ep *e = arg;
	struct epoll_event evs[MAX_EVENTS];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!e->stop) {
		struct iocp_done done = {0};
		int timeout = expire(e, &done);
		iocp_complete_list(e->port, done.head);
		int n = epoll_wait(e->epfd, evs, MAX_EVENTS, timeout);
		done = (struct iocp_done){0};
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
			pthread_mutex_t *lk = lock_of(e, fd);
			pthread_mutex_lock(lk);
			if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				run_queue(e, &q->rhead, &q->rtail, &done);
			if (what & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				run_queue(e, &q->whead, &q->wtail, &done);
			pthread_mutex_unlock(lk);
		}
		iocp_complete_list(e->port, done.head);
	}
	return NULL;
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
	e->nfds = (int)sysconf(_SC_OPEN_MAX);
	if (e->nfds < 1024)
		e->nfds = 1024;
	if (e->nfds > (1 << 20))
		e->nfds = 1 << 20;
	e->fds = calloc(e->nfds, sizeof(*e->fds));
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&e->stripe[i], NULL);
	pthread_mutex_init(&e->tlock, NULL);
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
	rc = -pthread_create(&e->thread, NULL, poller, e);
	if (rc < 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(-rc));
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
	e->stop = 1;
	wake(e);
	pthread_join(e->thread, NULL);
	close(e->epfd);
	close(e->efd);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&e->stripe[i]);
	pthread_mutex_destroy(&e->tlock);
	free(e->fds);
	free(e);
}

/* A new handle on fd: forget what an earlier descriptor with this number
 * left behind; operations are tried without blocking. */
static void ep_associate(void *state, int fd)
{
	struct ep *e = state;
	struct iocp_done done = {0};
	if (fd >= e->nfds)
		return;
	pthread_mutex_t *lk = lock_of(e, fd);
	pthread_mutex_lock(lk);
	struct fdq *q = &e->fds[fd];
	flush_fd(e, q, -ECANCELED, &done); /* closed without iocp_disconnect */
	if (q->registered)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
	q->registered = 0;
	pthread_mutex_unlock(lk);
	iocp_complete_list(e->port, done.head);
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
};

/* iocp_backend.h - what a completion source (io_uring, epoll) provides to the
 * port in iocp.c, and what the port provides to it. Not for applications.
 */
#ifndef IOCP_BACKEND_H
#define IOCP_BACKEND_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "iocp.h"

struct iocp_backend_ops {
	const char *name;
	/* Set up (threads, kernel objects); 0 or -errno with a message in err. */
	int (*start)(struct iocp_port *port, void **state, char *err, size_t errlen);
	/* Stop the threads and free everything; pending operations are dropped. */
	void (*stop)(void *state);
	/* A new association of fd (its blocking mode; forget a closed one's state). */
	void (*associate)(void *state, int fd);
	/* Start the operation described in ov->internal; its result must reach
	 * the port through iocp_complete(), exactly once. */
	void (*submit)(void *state, struct iocp_overlapped *ov);
};

extern const struct iocp_backend_ops iocp_uring_ops;
extern const struct iocp_backend_ops iocp_epoll_ops;

/* Queue the completions of a list of operations (linked through
 * internal.next, results in ->res) under one lock, waking waiters. */
void iocp_complete_list(struct iocp_port *port, struct iocp_overlapped *first);
void iocp_complete(struct iocp_port *port, struct iocp_overlapped *ov, int res);
/* Descriptors a per-fd table must cover: the fd limit, at most 2^20. */
int iocp_nfds(void);

/* A FIFO of operations linked through internal.next: a backend's queues, and
 * the finished operations it builds before delivery (iocp_done_add). */
struct iocp_ovq {
	struct iocp_overlapped *head, *tail;
};

static inline void iocp_ovq_push(struct iocp_ovq *q, struct iocp_overlapped *ov)
{
	ov->internal.next = NULL;
	if (q->tail)
		q->tail->internal.next = ov;
	else
		q->head = ov;
	q->tail = ov;
}

static inline struct iocp_overlapped *iocp_ovq_pop(struct iocp_ovq *q)
{
	struct iocp_overlapped *ov = q->head;
	if (ov && !(q->head = ov->internal.next))
		q->tail = NULL;
	return ov;
}

static inline void iocp_done_add(struct iocp_ovq *done, struct iocp_overlapped *ov, int res)
{
	ov->res = res;
	iocp_ovq_push(done, ov);
}

/* Wake a backend's poller through its eventfd. */
static inline void iocp_wake(int efd)
{
	uint64_t one = 1;
	while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

#endif

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

struct iocp_ovq;

struct iocp_backend_ops {
	const char *name;
	/* Set up (kernel objects); 0 or -errno with a message in err. */
	int (*start)(struct iocp_port *port, void **state, char *err, size_t errlen);
	/* Stop the threads and free everything; pending operations are dropped. */
	void (*stop)(void *state);
	/* A new association of fd (its blocking mode; forget a closed one's state). */
	void (*associate)(void *state, int fd);
	/* Start the operation described in ov->internal; its result must reach
	 * the port exactly once (iocp_complete(), or wait() below). worker: the
	 * caller is a thread running on the port, which will call iocp_get. */
	void (*submit)(void *state, struct iocp_overlapped *ov, int worker);
	/* The port lets one thread at a time, the leader, wait in the kernel
	 * (iocp.c). Submit what is queued, wait up to timeout_ms (< 0: forever;
	 * 0: not at all) for a completion or wake(), put the finished operations
	 * in done (res set). The port tells a timeout by its own clock. */
	void (*wait)(void *state, int timeout_ms, struct iocp_ovq *done);
	/* Make the leader's wait return (at once if it has not started). */
	void (*wake)(void *state);
	/* Submit what workers have queued, without waiting (NULL: nothing is
	 * ever held back). */
	void (*flush)(void *state);
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

/* Write 1 to a backend's eventfd (the leader's wake-up). */
static inline void iocp_wake(int efd)
{
	uint64_t one = 1;
	while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

#endif

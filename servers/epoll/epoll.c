/* epoll.c - the event-driven model on Linux epoll.
 *
 * Model: one thread runs the shared readiness loop (servers/common/reactor.c)
 * over non-blocking sockets; every connection is the connection core of
 * servers/common/conn.c, which says after each step whether it wants to READ,
 * WRITE or CLOSE. This file is the mechanism only: an epoll instance.
 * --workers N runs N such reactors (the calling thread and N-1 threads), each
 * with its own epoll instance and its own SO_REUSEPORT listener, so the
 * kernel spreads new connections over them and they share nothing else.
 *
 * Level-triggered: a connection is registered for EPOLLIN or EPOLLOUT, never
 * both, and epoll_ctl runs only when it changes its mind. Responses are
 * written at once (the write usually completes), so a keep-alive connection
 * stays EPOLLIN for life and costs no epoll_ctl per request; close() takes it
 * out of the set. One read per readiness keeps connections fair; level
 * triggering reports what is left. Edge triggering would save that rare
 * epoll_ctl and the kernel's re-poll of each reported fd at the next
 * epoll_wait (a few percent of a request's cost, which is mostly the TCP
 * stack), at the price of reading until EAGAIN so that no edge is lost.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer) plus the kernel's
 * socket buffers; no thread, no stack; each wait costs O(ready), not O(n).
 * Limits: the fd limit (--max-conns defaults to it minus a margin; 503
 * beyond). A handler that blocks (--block-us) stalls every connection of its
 * reactor: that is the point.
 * Deadlines, EMFILE pause, shutdown: the shared loop (stop eventfd in every
 * reactor's set; each closes its connections; threads are joined).
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "reactor.h"

struct api_state {
	int epfd;
	struct epoll_event ev[REACTOR_MAX_FIRED]; /* what one epoll_wait reports */
};

static int api_create(void *b)
{
	struct api_state *s = b;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	return s->epfd < 0 ? -1 : 0;
}

static int api_watch(void *b, int fd, int mask, void *data, void **slot)
{
	struct api_state *s = b;
	/* LAB epoll: watch fd for EPOLLIN or EPOLLOUT as mask says: ADD the first time (*slot NULL), then MOD */
	struct epoll_event e = {.events = mask & RW_READ ? EPOLLIN : EPOLLOUT, .data.ptr = data};
	int rc = epoll_ctl(s->epfd, *slot ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
	*slot = rc == 0 ? s : *slot; /* registered */
	return rc;
	/* END LAB epoll (starter: (void)s, (void)fd, (void)mask, (void)data, (void)slot; return -1;) */
}

static void api_unwatch(void *b, int fd, void **slot, int closing)
{
	struct api_state *s = b;
	if (*slot && !closing) /* close() takes an fd about to be closed out of the set */
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	*slot = NULL;
}

static int api_wait(void *b, int timeout_ms, void **fired, int max)
{
	struct api_state *s = b;
	/* LAB epoll: wait no longer than timeout_ms; report the data of each ready fd */
	int n = epoll_wait(s->epfd, s->ev, max, timeout_ms);
	for (int i = 0; i < n; i++) /* O(ready) */
		fired[i] = s->ev[i].data.ptr;
	return n;
	/* END LAB epoll (starter: (void)s, (void)timeout_ms, (void)fired, (void)max; return 0;) */
}

static void api_destroy(void *b)
{
	struct api_state *s = b;
	close(s->epfd);
}

REACTOR_MAIN(.name = "epoll", .summary = "one thread, an epoll loop over non-blocking sockets",
	     .workers_help = "reactor threads, each with its own epoll and SO_REUSEPORT listener",
	     .extra_help = "Level-triggered epoll; one ~9 KiB state machine per connection.")

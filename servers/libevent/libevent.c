/* libevent.c - the event-driven model on libevent's event loop.
 *
 * Model: one thread runs the shared readiness loop (servers/common/reactor.c)
 * over non-blocking sockets; every connection is the connection core of
 * servers/common/conn.c, which says after each step whether it wants to READ,
 * WRITE or CLOSE. This file is the mechanism only: a libevent event_base and
 * one persistent event per watched fd (event_new, EV_READ or EV_WRITE with
 * EV_PERSIST), whose callbacks note what is ready for the loop; the HTTP is
 * the suite's own, not evhttp or bufferevents, so the comparison with select
 * and epoll is the mechanism and nothing else.
 * --workers N runs N such loops (the calling thread and N-1 threads), each
 * with its own event_base and its own SO_REUSEPORT listener.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer), one struct event,
 * plus the kernel's socket buffers; no thread, no stack. libevent picks its
 * fastest backend here (epoll); each wait adds one timer to its heap.
 * Limits: the fd limit (--max-conns defaults to it minus a margin; 503
 * beyond). A handler that blocks (--block-us) stalls every connection of its
 * loop: that is the point.
 * Deadlines, EMFILE pause, shutdown: the shared loop (stop eventfd in every
 * loop's base; each closes its connections; threads are joined).
 */
#include <errno.h>
#include <event2/event.h>

#include "reactor.h"

struct api_state {
	struct event_base *base;
	struct event *timer; /* bounds a wait */
	void **fired; int n, max; /* where this wait's callbacks put what is ready */
};

static __thread struct api_state *waiting; /* the callbacks' way to their wait */

static void on_event(evutil_socket_t fd, short what, void *data)
{
	struct api_state *s = waiting;
	if (data && (s->fired[s->n++] = data, s->n == s->max)) /* data NULL: the wait's timer */
		event_base_loopbreak(s->base); /* the rest stay active for the next wait */
}

static int api_create(void *b)
{
	struct api_state *s = b;
	s->base = event_base_new();
	s->timer = s->base ? evtimer_new(s->base, on_event, NULL) : NULL;
	return s->timer ? 0 : (errno = ENOMEM, -1);
}

static int api_watch(void *b, int fd, int mask, void *data, void **slot)
{
	struct api_state *s = b;
	short what = (mask & RW_READ ? EV_READ : EV_WRITE) | EV_PERSIST;
	if (*slot)
		event_free(*slot);
	*slot = event_new(s->base, fd, what, on_event, data);
	return *slot && event_add(*slot, NULL) == 0 ? 0 : (errno = ENOMEM, -1);
}

static void api_unwatch(void *b, int fd, void **slot, int closing)
{
	if (*slot)
		event_free(*slot);
	*slot = NULL;
}

static int api_wait(void *b, int timeout_ms, void **fired, int max)
{
	struct api_state *s = b;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	s->fired = fired, s->n = 0, s->max = max, waiting = s;
	if (timeout_ms >= 0)
		evtimer_add(s->timer, &tv);
	int rc = event_base_loop(s->base, EVLOOP_ONCE); /* a timer left pending: an early wake at worst */
	return rc < 0 ? (errno = EIO, -1) : s->n;
}

static void api_destroy(void *b)
{
	struct api_state *s = b;
	event_free(s->timer);
	event_base_free(s->base);
}

REACTOR_MAIN(.name = "libevent", .summary = "one thread, libevent's event loop over non-blocking sockets",
	     .workers_help = "event loops (threads), each with its own event_base and SO_REUSEPORT listener",
	     .extra_help = "The loop is libevent's; the HTTP is the suite's own (no evhttp).")

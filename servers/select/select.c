/* select.c - the event-driven model on select(2), the oldest readiness API.
 *
 * Model: one thread runs the shared readiness loop (servers/common/reactor.c)
 * over non-blocking sockets; every connection is the connection core of
 * servers/common/conn.c, which says after each step whether it wants to READ,
 * WRITE or CLOSE. This file is the mechanism only: the sets select() takes.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer) plus the kernel's
 * socket buffers; no thread, no stack. But every wait costs O(n) in the
 * highest descriptor: the two sets are copied in, the kernel scans them, and
 * the loop below scans them again to find the ready descriptors. The
 * benchmark shows what that does at a few thousand connections.
 *
 * Limits: an fd_set holds descriptors below FD_SETSIZE (1024) only, and
 * FD_SET beyond it corrupts memory, so the loop never watches a descriptor at
 * or above FD_SETSIZE (fd_limit): such a connection is answered 503 (one
 * non-blocking write), closed and counted, as are connections beyond
 * --max-conns (default: FD_SETSIZE minus a margin). No --workers.
 * A handler that blocks (--block-us) stalls every connection: that is the point.
 * Deadlines, EMFILE pause, shutdown: the shared loop (stop eventfd; the loop
 * leaves, closes every connection and returns).
 */
#include <sys/select.h>

#include "reactor.h"

struct api_state {
	fd_set rd, wr; /* what is watched; copied into each select() */
	int maxfd;     /* highest watched, -1 if none */
	void *data[FD_SETSIZE];
};

static int api_create(void *b)
{
	struct api_state *s = b;
	s->maxfd = -1; /* the sets: zeroed, so empty */
	return 0;
}

static int api_watch(void *b, int fd, int mask, void *data, void **slot)
{
	struct api_state *s = b;
	if (fd >= FD_SETSIZE) /* the loop's fd_limit keeps them out: FD_SET would write past the set */
		return -1;
	FD_CLR(fd, mask & RW_READ ? &s->wr : &s->rd);
	FD_SET(fd, mask & RW_READ ? &s->rd : &s->wr);
	s->data[fd] = data;
	s->maxfd = fd > s->maxfd ? fd : s->maxfd;
	return 0;
}

static void api_unwatch(void *b, int fd, void **slot, int closing)
{
	struct api_state *s = b;
	FD_CLR(fd, &s->rd), FD_CLR(fd, &s->wr);
	s->data[fd] = NULL;
	while (s->maxfd >= 0 && !s->data[s->maxfd])
		s->maxfd--;
}

static int api_wait(void *b, int timeout_ms, void **fired, int max)
{
	struct api_state *s = b;
	fd_set rd = s->rd, wr = s->wr;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int n = select(s->maxfd + 1, &rd, &wr, NULL, timeout_ms < 0 ? NULL : &tv), k = 0;
	for (int fd = 0; n > 0 && k < max && fd <= s->maxfd; fd++) /* O(n): find the ready */
		if (FD_ISSET(fd, &rd) || FD_ISSET(fd, &wr))
			fired[k++] = s->data[fd];
	return n < 0 ? -1 : k;
}

static void api_destroy(void *b)
{
}

REACTOR_MAIN(.name = "select", .summary = "one thread, a select() loop over non-blocking sockets",
	     .extra_help = "Descriptors at or above FD_SETSIZE (1024) are answered 503 and closed.",
	     .fd_limit = FD_SETSIZE)

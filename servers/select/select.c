/* select.c - the event-driven model on select(2), the oldest readiness API.
 *
 * Model: one thread runs a select loop over non-blocking sockets; every
 * connection is the shared state machine of servers/common/conn.c, which
 * says after each step whether it wants to READ, WRITE or CLOSE.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer) plus the kernel's
 * socket buffers; no thread, no stack. But every turn of the loop costs O(n)
 * in the number of connections, twice: once to build the fd_sets, once to
 * find the ready descriptors (and the kernel scans the sets as well). The
 * benchmark shows what that does at a few thousand connections.
 *
 * Limits: an fd_set holds descriptors below FD_SETSIZE (1024) only, and
 * FD_SET beyond it corrupts memory, so a connection whose descriptor is at or
 * above FD_SETSIZE is never passed to FD_SET: it is answered 503 (one
 * non-blocking write), closed and counted, as are connections beyond
 * --max-conns (default: FD_SETSIZE minus a margin). No --workers.
 * A handler that blocks (--block-us) stalls every connection: that is the point.
 * Idle and head timeouts: the shared list ordered by last activity.
 * EMFILE: net_accept's reserve fd drains one pending connection, and the
 * listener leaves the read set for 100 ms.
 *
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable; the loop leaves,
 * closes every connection and returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "options.h"
#include "server.h"

#define MODEL "select"

struct reactor {
	struct server_opts *o;
	int lfd, stop_fd;
	long long paused_until; /* ms; 0 = accepting */
	struct conn_loop loop;
	int maxfd; /* highest connection fd, -1 if none */
	struct conn *conns[FD_SETSIZE];
};

/* Forget a closed connection, or keep it: select has nothing to register. */
static void settle(struct reactor *r, struct conn *c)
{
	if (c->want != CONN_CLOSE)
		return;
	r->conns[c->fd] = NULL;
	while (r->maxfd >= 0 && !r->conns[r->maxfd])
		r->maxfd--;
	conn_close(c);
}

static void pause_accepting(struct reactor *r, int on)
{
	if (on && !r->paused_until)
		r->paused_until = now_ms() + CONN_PAUSE_MS;
	else if (!on)
		r->paused_until = 0;
}

/* Never FD_SET beyond FD_SETSIZE: conn_accept_batch answers those 503. */
static void admit(struct conn_loop *l, struct conn *c)
{
	struct reactor *r = l->data;
	r->conns[c->fd] = c;
	if (c->fd > r->maxfd)
		r->maxfd = c->fd;
	settle(r, c);
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;
	long long now = now_ms();
	fd_set rd, wr;

	for (;;) {
		int t = conn_next_wait_ms(&r->loop, now, r->paused_until), nfds = r->stop_fd;
		struct timeval tv = {t / 1000, (t % 1000) * 1000};
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_SET(r->stop_fd, &rd);
		if (!r->paused_until) {
			FD_SET(r->lfd, &rd);
			nfds = r->lfd > nfds ? r->lfd : nfds;
		}
		for (int fd = 0; fd <= r->maxfd; fd++) { /* O(n): build the sets */
			struct conn *c = r->conns[fd];
			if (c)
				FD_SET(fd, c->want == CONN_WRITE ? &wr : &rd);
		}
		nfds = r->maxfd > nfds ? r->maxfd : nfds;
		int n = select(nfds + 1, &rd, &wr, NULL, t < 0 ? NULL : &tv);
		if (n < 0 && errno != EINTR)
			log_fatal("select: %s", strerror(errno));
		if (n > 0 && FD_ISSET(r->stop_fd, &rd))
			break;
		for (int fd = 0; n > 0 && fd <= r->maxfd; fd++) { /* O(n): find the ready */
			struct conn *c = r->conns[fd];
			if (!c)
				continue;
			if (c->want == CONN_WRITE && FD_ISSET(fd, &wr))
				conn_on_writable(c);
			else if (c->want == CONN_READ && FD_ISSET(fd, &rd))
				conn_on_readable(c);
			else
				continue;
			settle(r, c);
		}
		if (n > 0 && !r->paused_until && FD_ISSET(r->lfd, &rd) &&
		    conn_accept_batch(&r->loop, r->lfd, FD_SETSIZE, admit))
			pause_accepting(r, 1);
		now = now_ms();
		struct conn *c;
		while ((c = conn_expired(&r->loop, now))) {
			c->want = CONN_CLOSE;
			settle(r, c);
		}
		if (r->paused_until && now >= r->paused_until)
			pause_accepting(r, 0);
	}
	while (r->loop.head) {
		r->loop.head->want = CONN_CLOSE;
		settle(r, r->loop.head);
	}
	close(r->lfd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct model_info m = {
	    .name = MODEL,
	    .summary = "one thread, a select() loop over non-blocking sockets",
	    .workers_help = NULL, /* one thread: --workers N > 1 is refused */
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(FD_SETSIZE - 32),
	    .extra_help = "Descriptors at or above FD_SETSIZE (1024) are answered 503 and closed.",
	};
	struct server_opts o;
	options_parse(argc, argv, &m, &o);
	log_init(MODEL, o.quiet);
	int stop_fd = server_stop_fd(); /* SIGINT/SIGTERM make it readable */

	struct reactor *r = calloc(1, sizeof *r);
	if (!r)
		log_fatal("out of memory");
	r->o = &o;
	r->stop_fd = stop_fd;
	r->lfd = server_listen(&o, 0, 1);
	if (r->lfd >= FD_SETSIZE || stop_fd >= FD_SETSIZE)
		log_fatal("listener fd %d is beyond FD_SETSIZE", r->lfd);
	conn_loop_init(&r->loop, &o, MODEL);
	r->loop.data = r;
	r->maxfd = -1;
	net_announce(o.addr, o.port);

	conn_run_reactors(1, reactor_run, r, sizeof *r);

	log_info("stopped; %ld connections refused", conn_rejected());
	free(r);
	return 0;
}

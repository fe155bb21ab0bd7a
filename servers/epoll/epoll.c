/* epoll.c - the event-driven model on Linux epoll.
 *
 * Model: one thread runs an epoll loop over non-blocking sockets; every
 * connection is the shared state machine of servers/common/conn.c, which
 * says after each step whether it wants to READ, WRITE or CLOSE.
 * --workers N runs N such reactors (the calling thread and N-1 threads), each
 * with its own epoll instance and its own SO_REUSEPORT listener, so the
 * kernel spreads new connections over them and they share nothing else.
 *
 * Level-triggered: a connection is registered for EPOLLIN or EPOLLOUT, never
 * both, and epoll_ctl runs only when it changes its mind. Responses are
 * written at once (the write usually completes), so a keep-alive connection
 * stays EPOLLIN for life and costs no epoll_ctl per request. One read per
 * readiness keeps connections fair; level triggering reports what is left.
 * Edge triggering would save that rare epoll_ctl and the kernel's re-poll of
 * each reported fd at the next epoll_wait (a few percent of a request's
 * cost, which is mostly the TCP stack), at the price of reading until EAGAIN
 * (or a short read) in the shared state machine so that no edge is lost.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer) plus the kernel's
 * socket buffers; no thread, no stack. Limits: the fd limit (--max-conns
 * defaults to it minus a margin; 503 beyond). A handler that blocks
 * (--block-us) stalls every connection of its reactor: that is the point.
 * Idle and head timeouts: a list ordered by last activity, O(1) expiry; the
 * epoll_wait timeout is the oldest connection's deadline.
 * EMFILE: net_accept's reserve fd drains one pending connection, and the
 * listener leaves the epoll set for 100 ms.
 *
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable; every reactor has
 * it in its set, leaves its loop, closes its connections; threads are joined.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "options.h"
#include "server.h"

#define MODEL      "epoll"
#define MAX_EVENTS 256

struct reactor {
	struct server_opts *o;
	int lfd, stop_fd;
	long long paused_until; /* ms; 0 = accepting */
	struct conn_loop loop;
	int epfd;
};

static char listener_tag, stop_tag; /* epoll data for the two non-connections */

static void watch_fd(struct reactor *r, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = {.events = events, .data.ptr = ptr};
	if (epoll_ctl(r->epfd, op, fd, &e) < 0 && op != EPOLL_CTL_DEL)
		log_warn("epoll_ctl fd %d: %s", fd, strerror(errno));
}

/* Register what the connection wants now, or close it. */
static void settle(struct reactor *r, struct conn *c)
{
	/* LAB epoll: close, or watch EPOLLIN/EPOLLOUT as c->want says (epoll_ctl on a change) */
	if (c->want == CONN_CLOSE) {
		conn_close(c); /* close() also leaves the epoll set */
		return;
	}
	int ev = c->want == CONN_WRITE ? EPOLLOUT : EPOLLIN;
	if (c->mask != ev)
		watch_fd(r, c->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, (uint32_t)ev, c);
	c->mask = ev;
	/* END LAB epoll (starter: (void)r; (void)c;) */
}

static void pause_accepting(struct reactor *r, int on)
{
	/* LAB epoll: EMFILE: take the listener out of the set for CONN_PAUSE_MS, then back */
	if (on && !r->paused_until) {
		watch_fd(r, EPOLL_CTL_DEL, r->lfd, 0, NULL);
		r->paused_until = now_ms() + CONN_PAUSE_MS;
	} else if (!on && r->paused_until) {
		watch_fd(r, EPOLL_CTL_ADD, r->lfd, EPOLLIN, &listener_tag);
		r->paused_until = 0;
	}
	/* END LAB epoll (starter: (void)r; (void)on;) */
}

static void admit(struct conn_loop *l, struct conn *c)
{
	settle(l->data, c);
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;
	struct epoll_event ev[MAX_EVENTS];
	long long now = now_ms();
	int stop = 0;

	while (!stop) {
		/* LAB epoll: wait no longer than the oldest connection's deadline */
		int wait_ms = conn_next_wait_ms(&r->loop, now, r->paused_until);
		/* END LAB epoll (starter: int wait_ms = -1;) */
		int n = epoll_wait(r->epfd, ev, MAX_EVENTS, wait_ms);
		if (n < 0 && errno != EINTR)
			log_fatal("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			if (p == &stop_tag) {
				stop = 1;
			} else {
				/* LAB epoll: accept a batch (pause on EMFILE), or step a conn */
				if (p == &listener_tag) {
					if (conn_accept_batch(&r->loop, r->lfd, 0, admit))
						pause_accepting(r, 1);
				} else {
					struct conn *c = p;
					if (c->want == CONN_WRITE)
						conn_on_writable(c);
					else
						conn_on_readable(c);
					settle(r, c);
				}
				/* END LAB epoll (starter: (void)p;) */
			}
		}
		now = now_ms();
		/* LAB epoll: close the connections idle past their deadline; end an EMFILE pause */
		struct conn *c;
		while ((c = conn_expired(&r->loop, now)))
			conn_close(c);
		if (r->paused_until && now >= r->paused_until)
			pause_accepting(r, 0);
		/* END LAB epoll (starter: (void)now;) */
	}
	while (r->loop.head)
		conn_close(r->loop.head);
	close(r->epfd);
	close(r->lfd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct model_info m = {
	    .name = MODEL,
	    .summary = "one thread, an epoll loop over non-blocking sockets",
	    .workers_help = "reactor threads, each with its own epoll and SO_REUSEPORT listener",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help = "Level-triggered epoll; one ~9 KiB state machine per connection.",
	};
	struct server_opts o;
	options_parse(argc, argv, &m, &o);
	log_init(MODEL, o.quiet);
	int stop_fd = server_stop_fd(); /* SIGINT/SIGTERM make it readable */

	struct reactor *rs = calloc((size_t)o.workers, sizeof *rs);
	if (!rs)
		log_fatal("out of memory");
	for (int i = 0; i < o.workers; i++) {
		struct reactor *r = &rs[i];
		r->o = &o;
		r->stop_fd = stop_fd;
		r->lfd = server_listen(&o, o.workers > 1, 1); /* the first resolves -p 0 */
		conn_loop_init(&r->loop, &o, MODEL);
		r->loop.data = r;
		if ((r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
			log_fatal("epoll_create1: %s", strerror(errno));
		watch_fd(r, EPOLL_CTL_ADD, r->lfd, EPOLLIN, &listener_tag);
		watch_fd(r, EPOLL_CTL_ADD, stop_fd, EPOLLIN, &stop_tag);
	}
	net_announce(o.addr, o.port);

	conn_run_reactors(o.workers, reactor_run, rs, sizeof *rs);

	log_info("stopped; %ld connections refused; %ld requests answered", conn_rejected(),
		 http_responses());
	free(rs);
	return 0;
}

/* libevent.c - the event-driven model on libevent's event loop.
 *
 * Model: one thread runs a libevent event_base over non-blocking sockets;
 * every connection is the shared state machine of servers/common/conn.c,
 * which says after each step whether it wants to READ, WRITE or CLOSE. Only
 * the loop is libevent's (event_new, EV_READ|EV_WRITE|EV_PERSIST); the HTTP
 * is the suite's own, not evhttp or bufferevents, so the comparison with
 * select and epoll is the loop and nothing else.
 * --workers N runs N such loops (the calling thread and N-1 threads), each
 * with its own event_base and its own SO_REUSEPORT listener.
 *
 * Cost per connection: ~9 KiB (the 8 KiB head buffer), one struct event,
 * plus the kernel's socket buffers; no thread, no stack. libevent picks its
 * fastest backend here (epoll). Limits: the fd limit (--max-conns defaults to
 * it minus a margin; 503 beyond). A handler that blocks (--block-us) stalls
 * every connection of its loop: that is the point.
 * Idle and head timeouts: the shared list ordered by last activity and one
 * libevent timer per loop, armed for the oldest connection's deadline.
 * EMFILE: net_accept's reserve fd drains one pending connection, and the
 * listener event is deleted for 100 ms (a one-shot timer adds it back).
 *
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable; every loop has an
 * event on it that calls event_base_loopbreak, then closes its connections;
 * threads are joined.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "net.h"
#include "options.h"
#include "server.h"

#define MODEL "libevent"

struct reactor {
	struct server_opts *o;
	int lfd, stop_fd;
	long long paused_until; /* ms; 0 = accepting */
	struct conn_loop loop;
	struct event_base *base;
	struct event *accept_ev, *stop_ev, *timer_ev, *resume_ev;
};

static void on_io(evutil_socket_t fd, short what, void *arg);

static void drop(struct conn *c)
{
	if (c->ev)
		event_free(c->ev);
	conn_close(c);
}

/* Register what the connection wants now, or close it. */
static void settle(struct reactor *r, struct conn *c)
{
	if (c->want == CONN_CLOSE) {
		drop(c);
		return;
	}
	short ev = c->want == CONN_WRITE ? EV_WRITE : EV_READ;
	if (c->mask == ev)
		return;
	if (c->ev)
		event_del(c->ev);
	if (!c->ev)
		c->ev = event_new(r->base, c->fd, ev | EV_PERSIST, on_io, c);
	else
		event_assign(c->ev, r->base, c->fd, ev | EV_PERSIST, on_io, c);
	if (!c->ev || event_add(c->ev, NULL) < 0) {
		drop(c);
		return;
	}
	c->mask = ev;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	if (what & EV_WRITE)
		conn_on_writable(c);
	else
		conn_on_readable(c);
	settle(c->loop->data, c);
}

static void pause_accepting(struct reactor *r, int on)
{
	if (on && !r->paused_until) {
		struct timeval tv = {0, CONN_PAUSE_MS * 1000};
		event_del(r->accept_ev);
		event_add(r->resume_ev, &tv);
		r->paused_until = now_ms() + CONN_PAUSE_MS;
	} else if (!on && r->paused_until) {
		event_add(r->accept_ev, NULL);
		r->paused_until = 0;
	}
}

static void admit(struct conn_loop *l, struct conn *c)
{
	settle(l->data, c);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct reactor *r = arg;
	(void)what;
	if (conn_accept_batch(&r->loop, (int)lfd, 0, admit))
		pause_accepting(r, 1);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pause_accepting(arg, 0);
}

/* Close what has expired, then sleep until the oldest connection's deadline
 * (activity only moves deadlines later, so the timer is never late). */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reactor *r = arg;
	long long now = now_ms();
	struct conn *c;
	(void)fd, (void)what;
	while ((c = conn_expired(&r->loop, now)))
		drop(c);
	int t = conn_timeout_ms(&r->loop, now);
	if (t < 0)
		t = r->o->idle_ms;
	struct timeval tv = {t / 1000, (t % 1000) * 1000};
	evtimer_add(r->timer_ev, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct reactor *r = arg;
	(void)fd, (void)what;
	event_base_loopbreak(r->base);
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;

	on_timer(-1, 0, r);
	if (event_base_dispatch(r->base) < 0)
		log_fatal("event_base_dispatch failed");
	while (r->loop.head)
		drop(r->loop.head);
	event_free(r->accept_ev);
	event_free(r->stop_ev);
	event_free(r->timer_ev);
	event_free(r->resume_ev);
	event_base_free(r->base);
	close(r->lfd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct model_info m = {
	    .name = MODEL,
	    .summary = "one thread, libevent's event loop over non-blocking sockets",
	    .workers_help =
		"event loops (threads), each with its own event_base and SO_REUSEPORT listener",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help = "The loop is libevent's; the HTTP is the suite's own (no evhttp).",
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
		if (!(r->base = event_base_new()))
			log_fatal("event_base_new failed");
		r->accept_ev = event_new(r->base, r->lfd, EV_READ | EV_PERSIST, on_accept, r);
		r->stop_ev = event_new(r->base, stop_fd, EV_READ | EV_PERSIST, on_stop, r);
		r->timer_ev = evtimer_new(r->base, on_timer, r);
		r->resume_ev = evtimer_new(r->base, on_resume, r);
		if (!r->accept_ev || !r->stop_ev || !r->timer_ev || !r->resume_ev ||
		    event_add(r->accept_ev, NULL) < 0 || event_add(r->stop_ev, NULL) < 0)
			log_fatal("cannot set up libevent's events");
	}
	net_announce(o.addr, o.port);

	conn_run_reactors(o.workers, reactor_run, rs, sizeof *rs);

	log_info("stopped; %ld connections refused", conn_rejected());
	free(rs);
	return 0;
}

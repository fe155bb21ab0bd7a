/* uthread_io.c - the uthread runtime's calls in the shape of the blocking
 * models' I/O table (serve.h), for serve_connection and the accept loop;
 * and the schedulers around that loop (--workers); uthread_server.c adds how
 * a connection gets its own user thread.
 */
#include "uthread_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "blocking.h"
#include "conn.h"
#include "net.h"
#include "server.h"
#include "uthread.h"

static ssize_t read_now(int fd, void *buf, size_t n)
{
	return uthread_read(fd, buf, n, 0); /* serve.c polls with its own deadline first */
}

static ssize_t writev_timed(int fd, const struct iovec *iov, int cnt)
{
	return uthread_writev(fd, iov, cnt, blocking_opts->idle_ms);
}

/* The accept loop polls its listener and the stop eventfd: the listener
 * alone here (stop_watch wakes it); serve.c polls one descriptor anyway. */
static int poll_first(struct pollfd *p, nfds_t n, int timeout_ms)
{
	(void)n;
	return uthread_poll(p, 1, timeout_ms);
}

static int accept_now(int lfd)
{
	int fd = net_accept(lfd, 1);
	if (fd < 0 && errno == EAGAIN)
		uthread_drained(lfd, EPOLLIN); /* the next poll waits for a new edge */
	return fd;
}

const struct blocking_io uthread_io = {
    .read = read_now, .writev = writev_timed, .poll = poll_first, .accept = accept_now,
    .sleep_ms = uthread_sleep_ms, .spawn = spawn_connection, .spawn_name = "uthread_spawn",
};

struct scheduler {
	struct uthread_sched *sched;
	int lfd;
};

/* Wait for the stop, then shut the listener down: its waiter wakes and
 * accept() fails (EINVAL) until the loop sees server_stop. Connections that
 * wait for a request wake too, and close (serve.c begins no read after the
 * stop): else they outlive the drain, and LeakSanitizer, which does not scan
 * the runtime's stacks, reports their connections at exit. */
static void stop_watch(void *arg)
{
	struct scheduler *s = arg;
	uthread_wait_fd(server_stop_fd(), EPOLLIN, -1);
	shutdown(s->lfd, SHUT_RD);
	uthread_wake_readers();
}

/* The first user thread of each scheduler; its return ends the scheduler. */
static void accept_thread(void *arg)
{
	struct scheduler *s = arg;
	if (!uthread_spawn(stop_watch, s))
		log_fatal("uthread_spawn: %s", strerror(errno));
	blocking_accept(s->lfd, &uthread_io);
	blocking_drain(s->lfd);
}

static void *scheduler_thread(void *arg)
{
	struct scheduler *s = arg;
	uthread_sched_run(s->sched, accept_thread, s);
	return NULL;
}

void uthread_serve(struct server_opts *o)
{
	struct scheduler *ss = calloc((size_t)o->workers, sizeof *ss);
	if (!ss)
		log_fatal("out of memory");
	for (int i = 0; i < o->workers; i++) {
		ss[i].lfd = server_listen(o, o->workers > 1, 1); /* the first resolves -p 0 */
		if (!(ss[i].sched = uthread_sched_new()))
			log_fatal("uthread_sched_new: %s", strerror(errno));
	}
	net_announce(o->addr, o->port);

	conn_run_reactors(o->workers, scheduler_thread, ss, sizeof *ss);
	uthread_pool_stop();
	for (int i = 0; i < o->workers; i++)
		uthread_sched_free(ss[i].sched);
	free(ss);
}

/* pth_server.c - a GNU Pth user-level thread per connection (M:1).
 *
 * Model: the thread server with Pth in place of pthreads. The main thread
 * waits for the listener; each connection gets a non-joinable Pth thread that
 * runs the shared blocking serve_connection() through Pth's read, writev and
 * poll, which suspend only the calling user thread. Every user thread runs on
 * the process' one kernel thread, and Pth switches between them (swapcontext)
 * only when one waits in a pth_* call, never preemptively: the live count
 * needs no atomics.
 *
 * Cost per connection: a Pth thread (a STACK_KB KiB stack, set explicitly, of
 * which a request uses about 21 KiB, 24 under ASan; and a control block, both
 * from malloc) and its descriptor. A switch itself costs no system call, but
 * at every switch Pth's event manager builds fd_sets of all waiting threads
 * and calls select(): O(connections) per switch; and each pth_read and
 * pth_writev adds a select() and fcntl()s around the real call.
 * Limits:
 * - Pth waits with select(): a descriptor >= FD_SETSIZE (1024) cannot be
 *   waited on. Such a connection is answered 503 and closed, never handed to
 *   Pth. --max-conns defaults to what fits: FD_SETSIZE minus FD_RESERVED
 *   (stdio, the listener, the reserve descriptor, --root, Pth's signal pipe,
 *   the file being read, a margin) = 1000.
 * - One kernel thread: one CPU at most; --workers > 1 is rejected. No
 *   preemption: --spin-us holds the CPU from every other connection.
 * - --block-us is a real blocking system call (work_block): it stops the one
 *   kernel thread and with it every user thread. Measured: with
 *   --block-us 100000, two concurrent requests take 0.10 s and 0.20 s (the
 *   thread server: 0.10 s both).
 * Shutdown: SIGINT/SIGTERM are read from a signalfd waited for beside the
 * listener; the loop stops accepting, connections get up to 1 s
 * to finish, then exit 0 (one kernel thread: nothing is left behind).
 */
#include <errno.h>
#include <pth.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"
#include "server.h"

#define STACK_KB     64
#define FD_RESERVED  24
#define ACCEPT_BATCH 64

static struct server_opts opts;
static int listen_fd;
static int live_conns; /* no lock: Pth never preempts */
static long spawn_failures;

/* pth_writev waits for writability without end (SO_SNDTIMEO means nothing to
 * it: Pth writes with the socket non-blocking), so bound it by --idle-ms. */
static ssize_t writev_timed(int fd, const struct iovec *iov, int cnt)
{
	static pth_key_t ev_key = PTH_KEY_INIT; /* one event per user thread, reused */
	pth_event_t ev = pth_event(PTH_EVENT_TIME | PTH_MODE_STATIC, &ev_key,
				   pth_timeout(opts.idle_ms / 1000, opts.idle_ms % 1000 * 1000));
	ssize_t n = pth_writev_ev(fd, iov, cnt, ev);
	if (n < 0 && errno == EINTR)
		errno = ETIMEDOUT; /* not EINTR: the caller must not retry */
	return n;
}

/* serve.c polls one descriptor for input. pth_poll() would wait on an fd_set
 * event (pth_select_ev) that Pth's scheduler merges and tests bit by bit up to
 * the highest descriptor, for every waiting thread on every pass: O(n^2), and
 * 900 keep-alive connections took 2.6 s to get one answer each. A single-fd
 * event with a timer beside it costs the scheduler O(1) per thread. */
static int poll_timed(struct pollfd *p, nfds_t n, int timeout_ms)
{
	static pth_key_t fd_key = PTH_KEY_INIT, time_key = PTH_KEY_INIT;
	if (n != 1 || p->events != POLLIN || timeout_ms < 0)
		return pth_poll(p, n, timeout_ms);
	pth_event_t ev =
	    pth_event(PTH_EVENT_FD | PTH_UNTIL_FD_READABLE | PTH_MODE_STATIC, &fd_key, p->fd);
	pth_event_t tm = pth_event(PTH_EVENT_TIME | PTH_MODE_STATIC, &time_key,
				   pth_timeout(timeout_ms / 1000, timeout_ms % 1000 * 1000));
	if (!ev || !tm)
		return -1;
	pth_wait(pth_event_concat(ev, tm, NULL));
	pth_event_isolate(tm);
	p->revents = pth_event_status(ev) == PTH_STATUS_OCCURRED ? POLLIN : 0;
	return p->revents ? 1 : 0;
}

static const struct blocking_io pth_io = {pth_read, writev_timed, poll_timed};

static void *connection_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	serve_connection(fd, &opts, "pth", &pth_io);
	live_conns--;
	return NULL;
}

/* User thread per connection; the fd travels in the argument itself. */
static void spawn_connection(int fd, pth_attr_t attr)
{
	if (fd >= FD_SETSIZE || live_conns >= opts.max_conns) {
		serve_reject(fd, "pth");
		return;
	}
	live_conns++;
	if (pth_spawn(attr, connection_thread, (void *)(intptr_t)fd) == NULL) {
		live_conns--;
		if (spawn_failures++ == 0)
			log_warn("pth_spawn: %s (answering 503)", strerror(errno));
		serve_reject(fd, "pth");
	}
}

/* Until SIGINT/SIGTERM: wait (letting the user threads run) until the
 * listener or a stop descriptor is readable, then accept what is there. This
 * is pth_accept_ev() spelled out, to keep net_accept's TCP_NODELAY and EMFILE
 * handling. The stop signals are not Pth signal events (Pth restores a
 * signal's default action between its waits, and a SIGTERM landing then
 * killed the process); they are blocked and read from a signalfd, and, should
 * Pth's scheduler unblock them (its per-thread masks are not always
 * initialised: under ASan SIGINT was blocked and SIGTERM not), our handler
 * makes server_stop_fd() readable instead. */
static void accept_loop(pth_attr_t attr, int sig_fd)
{
	pth_event_t ev = pth_event(PTH_EVENT_FD | PTH_UNTIL_FD_READABLE, listen_fd);
	pth_event_t ev_stop = pth_event(PTH_EVENT_FD | PTH_UNTIL_FD_READABLE, server_stop_fd());
	pth_event_t ev_sig = pth_event(PTH_EVENT_FD | PTH_UNTIL_FD_READABLE, sig_fd);
	if (!ev || !ev_stop || !ev_sig)
		log_fatal("pth_event: %s", strerror(errno));
	pth_event_concat(ev, ev_stop, ev_sig, NULL);

	while (!server_stop) {
		pth_wait(ev);
		if (pth_event_status(ev_sig) == PTH_STATUS_OCCURRED)
			server_stop = 1;
		if (server_stop)
			break;
		/* Drain a batch before the user threads run again: one accept per
		 * pass of Pth's O(n) scheduler made the 1000th client wait seconds. */
		for (int i = 0; i < ACCEPT_BATCH; i++) {
			int fd = net_accept(listen_fd, 0);
			if (fd >= 0) {
				spawn_connection(fd, attr);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE)
				pth_nap(pth_time(
				    0, 10000)); /* net_accept_backoff would stop every thread */
			break;
		}
	}
	pth_event_free(ev, PTH_FREE_ALL);
}

static void wait_for_connections(void)
{
	/* The highest priority, so that busy connections cannot delay this
	 * thread's turns past the contract's 2 s. */
	pth_attr_t self = pth_attr_of(pth_self());
	pth_attr_set(self, PTH_ATTR_PRIO, PTH_PRIO_MAX);
	pth_attr_destroy(self);
	long long deadline = now_ms() + 1000;
	while (live_conns > 0 && now_ms() < deadline)
		pth_nap(pth_time(0, 10000));
}

int main(int argc, char **argv)
{
	static const struct model_info model = {
	    .name = "pth",
	    .summary = "a GNU Pth user-level thread per connection (M:1: one kernel thread)",
	    .workers_help = NULL,
	    .workers_default = 1,
	    .max_conns_default = FD_SETSIZE - FD_RESERVED,
	    .extra_help =
		"Each connection is a Pth user thread with a 64 KiB stack (PTH_ATTR_STACK_SIZE);\n"
		"all of them share one kernel thread, so --block-us stops every connection.\n"
		"Pth waits with select(): a connection on a descriptor >= FD_SETSIZE (1024) is\n"
		"answered 503, so --max-conns defaults to what fits: FD_SETSIZE - 24 = 1000.",
	};

	options_parse(argc, argv, &model, &opts);
	log_init(model.name, opts.quiet);
	server_stop_fd(); /* our handler, should a stop signal get through */
	int sig_fd = server_signal_fd();
	if (!pth_init())
		log_fatal("pth_init: %s", strerror(errno));
	listen_fd = server_listen(&opts, 0, 1); /* non-blocking: Pth waits for it */

	pth_attr_t attr = pth_attr_new();
	pth_attr_set(attr, PTH_ATTR_STACK_SIZE, (unsigned int)STACK_KB * 1024);
	pth_attr_set(attr, PTH_ATTR_JOINABLE, FALSE);
	net_announce(opts.addr, opts.port);

	accept_loop(attr, sig_fd);
	close(listen_fd);
	wait_for_connections();
	if (spawn_failures)
		log_info("%ld connections refused: pth_spawn failed", spawn_failures);
	pth_attr_destroy(attr);
	return 0;
}

/* st_server.c - a State Threads (libst) user-level thread per connection (M:1).
 *
 * Model: the pth server with SGI's State Threads in place of GNU Pth. The
 * main thread waits for the listener; each connection gets a non-joinable ST
 * thread that runs the shared blocking serve_connection() through ST's
 * st_read, st_writev and st_poll, which suspend only the calling user thread.
 * Every user thread runs on the process' one kernel thread, and ST switches
 * between them (its own setjmp-style assembly: no system call, no signal
 * mask) only when one waits in an st_* call, never preemptively: the live
 * count needs no atomics.
 *
 * Event system: Debian's libst 1.9 is built with select and poll only
 * (st_set_eventsys(ST_EVENTSYS_ALT) finds no epoll; st_get_eventsys_name()
 * then says "poll"). select would cap descriptors at FD_SETSIZE, so poll it
 * is. Cost per pass: whenever the run queue empties, ST's idle thread copies
 * the pollfd of every waiting thread into one array, calls poll() on all of
 * them (the kernel checks, and queues a wait entry on, every socket) and walks
 * the whole I/O queue for revents: O(connections) per pass, not per switch;
 * one pass wakes every thread that became ready, so under load the cost per
 * request is O(connections / ready per pass): at 1000 busy connections one
 * poll() returned about 950 ready (strace). Every wait with a timeout (each
 * request's, from --idle-ms) enters ST's timeout heap: O(log n), a cache miss
 * a level. perf at 16384 keep-alive connections: the heap 11.5% of the
 * server's CPU, the dispatch loop 2.7%, the kernel's poll 6%. ST's clock is
 * set to CLOCK_MONOTONIC (its default is gettimeofday).
 *
 * Cost per connection: an ST thread (a STACK_KB KiB stack, set explicitly,
 * mmap'ed and kept on ST's free list for reuse, without a guard page in this
 * build), an st_netfd_t (from ST's free list) and the descriptor.
 * Limits:
 * - st_init raises RLIMIT_NOFILE's soft limit to the hard one; --max-conns
 *   defaults to that minus a margin (conn_default_max). No FD_SETSIZE ceiling.
 * - One kernel thread: one CPU at most; --workers > 1 is rejected. No
 *   preemption: --spin-us holds the CPU from every other connection.
 * - --block-us is a real blocking system call (work_block): it stops the one
 *   kernel thread and with it every user thread, as with pth.
 * Shutdown: SIGINT/SIGTERM are blocked and read from a signalfd polled beside
 * the listener (ST has no signal integration); the loop stops accepting,
 * connections get up to 1 s to finish, then exit 0 (one kernel thread:
 * nothing is left behind).
 */
#include <errno.h>
#include <signal.h>
#include <st.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "serve.h"
#include "server.h"

#define STACK_KB     64

static struct server_opts opts;
static int listen_fd;
static int live_conns; /* no lock: ST never preempts */
static long spawn_failures;
static st_netfd_t *netfd_of; /* ST's handle of each descriptor, by fd */
static int netfd_slots;

/* serve.c speaks int descriptors; ST's I/O wants its handle. Reads and
 * writes wait at most --idle-ms (ST returns ETIME then). */
static st_utime_t idle_us(void)
{
	return (st_utime_t)opts.idle_ms * 1000;
}

static ssize_t read_timed(int fd, void *buf, size_t n)
{
	return st_read(netfd_of[fd], buf, n, idle_us());
}

static ssize_t writev_timed(int fd, const struct iovec *iov, int cnt)
{
	return st_writev(netfd_of[fd], iov, cnt, idle_us());
}

/* st_poll takes raw pollfds and waits on the event system: O(1) per call
 * for serve.c's one descriptor, the O(n) is the pass described above. */
static int poll_timed(struct pollfd *p, nfds_t n, int timeout_ms)
{
	st_utime_t t = timeout_ms < 0 ? ST_UTIME_NO_TIMEOUT : (st_utime_t)timeout_ms * 1000;
	return st_poll(p, (int)n, t);
}

static const struct blocking_io st_io = {read_timed, writev_timed, poll_timed};

static void *connection_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	serve_connection(fd, &opts, "st", &st_io);
	/* fd is closed; no switch since, so no other thread reused it yet. */
	st_netfd_free(netfd_of[fd]);
	netfd_of[fd] = NULL;
	live_conns--;
	return NULL;
}

/* User thread per connection; the fd travels in the argument itself. */
static void spawn_connection(int fd)
{
	if (fd >= netfd_slots || live_conns >= opts.max_conns) {
		serve_reject(fd, "st");
		return;
	}
	netfd_of[fd] = st_netfd_open_socket(fd); /* makes it non-blocking */
	if (!netfd_of[fd]) {
		if (spawn_failures++ == 0)
			log_warn("st_netfd_open_socket: %s (answering 503)", strerror(errno));
		serve_reject(fd, "st");
		return;
	}
	live_conns++;
	if (st_thread_create(connection_thread, (void *)(intptr_t)fd, 0, STACK_KB * 1024) ==
	    NULL) {
		live_conns--;
		if (spawn_failures++ == 0)
			log_warn("st_thread_create: %s (answering 503)", strerror(errno));
		st_netfd_free(netfd_of[fd]);
		netfd_of[fd] = NULL;
		serve_reject(fd, "st");
	}
}

/* Until SIGINT/SIGTERM: wait (letting the user threads run) until the
 * listener or the signalfd is readable, then accept what is there. This is
 * st_accept() spelled out, to keep net_accept's TCP_NODELAY and EMFILE
 * handling. */
static void accept_loop(int sig_fd)
{
	struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
			      {.fd = sig_fd, .events = POLLIN}};

	while (!server_stop) {
		if (st_poll(p, 2, ST_UTIME_NO_TIMEOUT) < 0 && errno != EINTR)
			log_fatal("st_poll: %s", strerror(errno));
		if (p[1].revents)
			server_stop = 1;
		if (server_stop)
			break;
		/* Drain the backlog before the user threads run again: the next
		 * turn comes one O(n) pass later, and with 64 a pass (as pth) 16384
		 * busy keep-alive clients starved the listener into SYN drops. */
		for (int i = 0; i < CONN_ACCEPT_BATCH; i++) {
			int fd = net_accept(listen_fd, 0);
			if (fd >= 0) {
				spawn_connection(fd);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE)
				st_usleep(10000); /* net_accept_backoff would stop every thread */
			break;
		}
	}
}

static void wait_for_connections(void)
{
	/* ST's run queue is FIFO: this thread gets a turn after one round of the
	 * busy connections, well within the contract's 2 s. */
	long long deadline = now_ms() + 1000;
	while (live_conns > 0 && now_ms() < deadline)
		st_usleep(10000);
}

#ifdef __SANITIZE_ADDRESS__
/* ST keeps each thread's control block inside its mmap'ed stack, which
 * LeakSanitizer does not scan, so the stack descriptor (56 bytes, calloc'ed
 * by st_thread_create) of every thread alive at exit looks leaked. Suppress
 * exactly those, by their callers st_start (ST's idle thread) and
 * spawn_connection: not "st_thread_create", which is also how ST's thread
 * entry symbolizes (a static function), so it would hide every leak of a
 * connection. libst has no frame pointers: allocation stacks are unwound
 * with its unwind tables (slower mallocs, only under ASan) to reach them.
 * Checked: a malloc dropped in connection_thread is still reported. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:st_start\nleak:spawn_connection\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0"; /* a bad flag's error stays one line */
}
#endif

static st_utime_t clock_us(void)
{
	return (st_utime_t)now_us();
}

/* The best event system the library was built with: epoll (ALT) if there,
 * else poll (no FD_SETSIZE limit). Then st_init, which also raises the soft
 * RLIMIT_NOFILE to the hard limit. */
static void st_start(void)
{
	if (st_set_eventsys(ST_EVENTSYS_ALT) != 0 || st_get_eventsys() != ST_EVENTSYS_ALT) {
		if (st_set_eventsys(ST_EVENTSYS_POLL) != 0)
			log_fatal("st_set_eventsys(poll): %s", strerror(errno));
	}
	if (st_set_utime_function(clock_us) != 0 || st_init() != 0)
		log_fatal("st_init: %s", strerror(errno));
	netfd_slots = st_getfdlimit();
	netfd_of = calloc((size_t)netfd_slots, sizeof *netfd_of);
	if (!netfd_of)
		log_fatal("out of memory for %d descriptors", netfd_slots);
}

int main(int argc, char **argv)
{
	log_init("st", 0);
	st_start();
	const struct model_info model = {
	    .name = "st",
	    .summary = "a State Threads user-level thread per connection (M:1: one kernel thread)",
	    .workers_help = NULL,
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help =
		"Each connection is an ST user thread with a 64 KiB stack (st_thread_create);\n"
		"all of them share one kernel thread, so --block-us stops every connection.\n"
		"ST waits with poll() (Debian's libst has no epoll): no FD_SETSIZE ceiling,\n"
		"but every pass of its scheduler polls all waiting connections: O(n).",
	};

	options_parse(argc, argv, &model, &opts);
	log_init(model.name, opts.quiet);
	log_info("event system: %s, %d descriptors", st_get_eventsys_name(), netfd_slots);
	server_signals(); /* SIGPIPE ignored */
	int sig_fd = server_signal_fd();
	listen_fd = server_listen(&opts, 0, 1); /* non-blocking: ST waits for it */
	net_announce(opts.addr, opts.port);

	accept_loop(sig_fd);
	close(listen_fd);
	wait_for_connections();
	if (spawn_failures)
		log_info("%ld connections refused: no ST thread or netfd", spawn_failures);
	return 0;
}

/* st_server.c - a State Threads (libst) user-level thread per connection (M:1).
 *
 * Model: the pth server with SGI's State Threads in place of GNU Pth. The
 * main thread runs the blocking models' accept loop (blocking.c); each
 * connection gets a non-joinable ST thread that runs the shared blocking
 * serve_connection() through ST's st_read, st_writev and st_poll (st_io.c),
 * which suspend only the calling user thread.
 * Every user thread runs on the process' one kernel thread, and ST switches
 * between them (its own setjmp-style assembly: no system call, no signal
 * mask) only when one waits in an st_* call, never preemptively.
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
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable, which the accept
 * loop polls beside the listener (ST has no signal integration; its poll()
 * simply returns EINTR to ST's scheduler); the loop stops accepting,
 * connections get up to 1 s to finish, then exit 0 (one kernel thread:
 * nothing is left behind).
 */
#include <stdint.h>

#include "blocking.h"
#include "conn.h"
#include "net.h"
#include "server.h"
#include "st_io.h"

#define STACK_KB 64

static struct server_opts opts;

static void *connection_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	st_netfd_t nfd = netfd_of[fd];
	blocking_serve(fd);
	st_netfd_free(nfd); /* fd is closed; no switch since, so no thread reused it */
	return NULL;
}

/* User thread per connection; the fd travels in the argument itself. */
int spawn_connection(int fd)
{
	if (!(netfd_of[fd] = st_netfd_open_socket(fd))) /* makes it non-blocking */
		return -1;
	if (st_thread_create(connection_thread, (void *)(intptr_t)fd, 0, STACK_KB * 1024))
		return 0;
	st_netfd_free(netfd_of[fd]);
	return -1;
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

	blocking_start(argc, argv, &model, &opts, &st_io);
	log_info("event system: %s, %d descriptors", st_get_eventsys_name(), netfd_slots);
	int listen_fd = server_listen(&opts, 0, 1);
	net_announce(opts.addr, opts.port);

	blocking_accept(listen_fd, &st_io);
	blocking_drain(listen_fd);
	return blocking_exit();
}

/* pth_server.c - a GNU Pth user-level thread per connection (M:1).
 *
 * Model: the thread server with Pth in place of pthreads. The main thread
 * runs the blocking models' accept loop (blocking.c); each connection gets a
 * non-joinable Pth thread that runs the shared blocking serve_connection()
 * through Pth's read, writev and poll (pth_io.c), which suspend only the
 * calling user thread. Every user thread runs on
 * the process' one kernel thread, and Pth switches between them (swapcontext)
 * only when one waits in a pth_* call, never preemptively.
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
 * Shutdown: SIGINT/SIGTERM are blocked and read from a signalfd, which the
 * accept loop waits for beside the listener and the stop eventfd (should
 * Pth's scheduler unblock them, our handler makes that one readable; not
 * Pth's signal events: Pth restores a signal's default action between its
 * waits, and a SIGTERM landing then killed the process; pth_io.c); the loop
 * stops accepting, the drain runs at Pth's highest priority so busy
 * connections cannot delay it,
 * connections get up to 1 s to finish, then exit 0 (one kernel thread:
 * nothing is left behind).
 */
#include <errno.h>
#include <pth.h>
#include <stdint.h>
#include <string.h>
#include <sys/select.h>

#include "blocking.h"
#include "net.h"
#include "pth_io.h"
#include "server.h"

#define STACK_KB    64
#define FD_RESERVED 24

static struct server_opts opts;
static pth_attr_t attr;

static void *connection_thread(void *arg)
{
	blocking_serve((int)(intptr_t)arg);
	return NULL;
}

/* User thread per connection; the fd travels in the argument itself. */
int spawn_connection(int fd)
{
	return pth_spawn(attr, connection_thread, (void *)(intptr_t)fd) ? 0 : -1;
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

	blocking_start(argc, argv, &model, &opts, &pth_io);
	pth_io_signals();
	if (!pth_init())
		log_fatal("pth_init: %s", strerror(errno));
	attr = pth_attr_new();
	pth_attr_set(attr, PTH_ATTR_STACK_SIZE, (unsigned int)STACK_KB * 1024);
	pth_attr_set(attr, PTH_ATTR_JOINABLE, FALSE);
	int listen_fd = server_listen(&opts, 0, 1);
	net_announce(opts.addr, opts.port);

	blocking_accept(listen_fd, &pth_io);
	pth_attr_t self = pth_attr_of(pth_self()); /* busy connections cannot delay the drain */
	pth_attr_set(self, PTH_ATTR_PRIO, PTH_PRIO_MAX);
	pth_attr_destroy(self);
	blocking_drain(listen_fd);
	return blocking_exit();
}

/* uthread_server.c - a user-level thread per connection on the suite's own
 * O(1) runtime (uthread.h): von Behren's "modified Pth".
 *
 * Model: the thread server with uthreads in place of pthreads. Each scheduler
 * (one kernel thread) runs the blocking models' accept loop (blocking.c) in a
 * user thread, and a user thread per connection running the shared blocking
 * serve_connection() through uthread_read, uthread_writev and uthread_poll,
 * which suspend only the calling user thread. Switches happen only when a
 * thread waits, never preemptively.
 * --workers N runs N schedulers, each on its own kernel thread with its own
 * epoll instance and SO_REUSEPORT listener (like the epoll model's reactors).
 * The runtime's calls in the I/O table's shape and the schedulers around the
 * accept loop are in uthread_io.c.
 *
 * Cost per connection: a uthread (a 64 KiB mmap'ed stack behind a PROT_NONE
 * guard page, of which a request touches about 21 KiB, and a ~150-byte
 * control block), reused from a free list when a connection ends; one
 * epoll_ctl when it first waits (edge-triggered, never modified). Per
 * request: read, writev and a share of one epoll_wait, as in the epoll model
 * (measured on one CPU against epoll, alternating, on a quiet 2-vCPU EPYC:
 * 0.99x its requests/s and 1.01x its server CPU per request at 1000
 * connections, 6 reps of 3 s; 1.04x and 0.97x at 16384, 5 reps; a reference
 * run's 3 reps of 1.5 s gave 0.87x and 1.11x at 1000: within the noise);
 * a switch costs two jump_fcontext calls and no system call (measured by
 * bin/tests/test_uthread --bench, see README); waking is O(1), a timed wait
 * O(1) (one timeout length: each deadline joins the tail of the timer list).
 * Limits: no preemption: --spin-us holds the CPU from every other connection
 * of the scheduler. --block-us is handed to a pool of up to 64 kernel threads
 * (work_block's hooks move the user thread onto one and back; a mutex, a
 * condition signal and an eventfd per call), so it stops only the calling
 * user thread; beyond 64 concurrent blocking calls they queue. --max-conns
 * defaults to the fd limit minus a margin (503 beyond).
 * EMFILE: net_accept's reserve fd drains one pending connection and the
 * accept thread sleeps 10 ms (only itself: the scheduler goes on).
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable. A user thread
 * waits for one descriptor at a time, so the accept loop waits for its
 * listener alone and a second user thread, waiting for the stop eventfd,
 * shuts the listener down, which wakes it; connections get up to 1 s to
 * finish; the schedulers return, the pool's threads are joined, exit 0.
 */
#include <stdint.h>

#include "blocking.h"
#include "conn.h"
#include "server.h"
#include "uthread.h"
#include "uthread_io.h"
#include "work.h"

static struct server_opts opts;

static void connection_thread(void *arg)
{
	blocking_serve((int)(intptr_t)arg);
}

/* User thread per connection; the fd travels in the argument itself. */
int spawn_connection(int fd)
{
	return uthread_spawn(connection_thread, (void *)(intptr_t)fd) ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct model_info model = {
	    .name = "uthread",
	    .summary = "a user-level thread per connection on the suite's O(1) runtime (M:1 per "
		       "scheduler)",
	    .workers_help = "schedulers, each a kernel thread with its own epoll and SO_REUSEPORT "
			    "listener",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(0),
	    .extra_help =
		"Each connection is a user thread with a 64 KiB mmap'ed stack and a guard "
		"page;\n--block-us calls move to a pool of up to 64 kernel threads, so they "
		"stop only\ntheir own connection.",
	};

	blocking_start(argc, argv, &model, &opts, &uthread_io);
	work_set_block_hooks(uthread_block_begin, uthread_block_end);
	uthread_serve(&opts); /* --workers schedulers, each with its listener */
	return blocking_exit();
}

/* thread.c - a kernel thread per connection (the lectures' "thread" server).
 *
 * Model: the main thread runs the blocking models' accept loop (blocking.c);
 * each connection gets a detached pthread that runs the shared blocking
 * serve_connection() and exits. With --workers N: a fixed pool of N threads
 * (the main thread and N - 1 more), each running the accept loop on the
 * shared listener and serving what it accepts itself (UNP's prethreaded
 * server; the bounded pool of SEDA figure 2). The pool, the threads'
 * attributes and libc's I/O table are in thread_io.c.
 *
 * Cost per connection: one kernel thread (a stack of STACK_KB KiB, reserved
 * virtual memory, plus a kernel task and scheduler entry), created and
 * destroyed per connection; context switches on every blocking call.
 * Limits: --max-conns live threads (503 beyond); a failed pthread_create is
 * answered 503 and counted, never fatal. The pool serves at most N
 * connections at once; further ones wait in the listen backlog. Every idle
 * pool thread waits in poll() on the listener, so each new connection wakes
 * them all and one wins the accept (a thundering herd of idle threads).
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable (threads are
 * created with the signals blocked); every accept loop wakes and returns,
 * the listener is closed, connections get up to 1 s to finish, exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "blocking.h"
#include "conn.h" /* conn_default_max; http_files_shared (http.h) */
#include "server.h"
#include "thread_io.h"

static struct server_opts opts;

static void *connection_thread(void *arg)
{
	blocking_serve((int)(intptr_t)arg);
	return NULL;
}

/* Thread per connection; the fd travels in the argument itself (never the
 * address of a variable on our stack: the next accept would overwrite it). */
int spawn_connection(int fd)
{
	/* LAB thread: a detached thread per connection, serving fd; -1 with errno if none */
	pthread_t tid;
	errno = pthread_create(&tid, &thread_attr, connection_thread, (void *)(intptr_t)fd);
	return errno ? -1 : 0;
	/* END LAB thread (starter: (void)fd; errno = ENOSYS; return -1;) */
}

int main(int argc, char **argv)
{
	const struct model_info model = {
	    .name = "thread",
	    .summary = "a kernel thread (pthread) per connection",
	    .workers_help = "N > 1: a fixed pool of N threads blocking in accept() "
			    "(default 1: a new detached thread per connection)",
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(10000), /* and the fd limit minus 32 */
	    .extra_help = "Each thread's stack: 256 KiB (set with pthread_attr_setstacksize).",
	};

	blocking_start(argc, argv, &model, &opts, &thread_io);
	http_files_shared();
	thread_serve(&opts); /* a thread per connection, or the --workers pool */
	return blocking_exit();
}

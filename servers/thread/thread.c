/* thread.c - a kernel thread per connection (the lectures' "thread" server).
 *
 * Model: the main thread runs the blocking models' accept loop (blocking.c);
 * each connection gets a detached pthread that runs the shared blocking
 * serve_connection() and exits. With --workers N: a fixed pool of N threads
 * (the main thread and N - 1 more), each running the accept loop on the
 * shared listener and serving what it accepts itself (UNP's prethreaded
 * server; the bounded pool of SEDA figure 2).
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
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "blocking.h"
#include "net.h"
#include "server.h"

#define STACK_KB 256

static struct server_opts opts;
static int listen_fd;
static pthread_attr_t attr;

static void *connection_thread(void *arg)
{
	blocking_serve((int)(intptr_t)arg);
	return NULL;
}

/* Thread per connection; the fd travels in the argument itself (never the
 * address of a variable on our stack: the next accept would overwrite it). */
static int spawn_connection(int fd)
{
	/* LAB thread: a detached thread per connection, serving fd; -1 with errno if none */
	pthread_t tid;
	errno = pthread_create(&tid, &attr, connection_thread, (void *)(intptr_t)fd);
	return errno ? -1 : 0;
	/* END LAB thread (starter: (void)fd; errno = ENOSYS; return -1;) */
}

static const struct blocking_io thread_io = {
    .read = read, .writev = writev, .poll = poll, .accept = blocking_accept_fd,
    .sleep_ms = blocking_sleep_ms, .spawn = spawn_connection, .spawn_name = "pthread_create",
};

/* Pool thread: the accept loop, serving each connection itself. */
static void *pool_thread(void *unused)
{
	(void)unused;
	blocking_accept(listen_fd, &blocking_io_inline);
	return NULL;
}

static void start_pool(void)
{
	/* LAB thread: the pool: N - 1 threads running pool_thread (the main thread is the Nth) */
	pthread_t tid;
	for (int i = 1; i < opts.workers; i++)
		if ((errno = pthread_create(&tid, &attr, pool_thread, NULL)))
			log_fatal("pool thread %d of %d: %s", i + 1, opts.workers, strerror(errno));
	/* END LAB thread (starter: (void)pool_thread;) */
}

int main(int argc, char **argv)
{
	const struct model_info model = {
	    .name = "thread",
	    .summary = "a kernel thread (pthread) per connection",
	    .workers_help = "N > 1: a fixed pool of N threads blocking in accept() "
			    "(default 1: a new detached thread per connection)",
	    .workers_default = 1,
	    .max_conns_default = 10000,
	    .extra_help = "Each thread's stack: 256 KiB (set with pthread_attr_setstacksize).",
	};
	sigset_t stop_signals;

	blocking_start(argc, argv, &model, &opts, &thread_io);
	listen_fd = server_listen(&opts, 0, 1);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_KB * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigemptyset(&stop_signals); /* the main thread is the one interrupted */
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_attr_setsigmask_np(&attr, &stop_signals);
	if (opts.workers > 1)
		start_pool();
	net_announce(opts.addr, opts.port);

	blocking_accept(listen_fd, opts.workers > 1 ? &blocking_io_inline : &thread_io);
	blocking_drain(listen_fd);
	return blocking_exit();
}

/* thread.c - a kernel thread per connection (the lectures' "thread" server).
 *
 * Model: the main thread blocks in accept(); each connection gets a detached
 * pthread that runs the shared blocking serve_connection() and exits.
 * With --workers N: a fixed pool of N threads, each blocking in accept() on the
 * shared listener (UNP's prethreaded server; the bounded pool of SEDA figure 2).
 *
 * Cost per connection: one kernel thread (a stack of STACK_KB KiB, reserved
 * virtual memory, plus a kernel task and scheduler entry), created and
 * destroyed per connection; context switches on every blocking call.
 * Limits: --max-conns live threads (503 beyond); a failed pthread_create is
 * answered 503 and counted, never fatal. The pool serves at most N
 * connections at once; further ones wait in the listen backlog.
 * Shutdown: SIGINT/SIGTERM interrupt accept() in the main thread (workers
 * block those signals); connections get up to 1 s to finish, then exit 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"
#include "server.h"

#define STACK_KB 256

static struct server_opts opts;
static int listen_fd;
static atomic_int live_conns;
static atomic_long create_failures;

static void *connection_thread(void *arg)
{
	int fd = *(int *)arg;
	free(arg);
	serve_connection(fd, &opts, "thread", &blocking_io_libc);
	atomic_fetch_sub(&live_conns, 1);
	return NULL;
}

/* Thread per connection: the fd travels on the heap, never on our stack. */
static void spawn_connection(int fd, const pthread_attr_t *attr)
{
	/* LAB thread: a detached thread per connection (fd on the heap); 503 past --max-conns */
	pthread_t tid;
	int *arg = malloc(sizeof *arg);

	if (atomic_fetch_add(&live_conns, 1) >= opts.max_conns || !arg) {
		atomic_fetch_sub(&live_conns, 1);
		free(arg);
		serve_reject(fd, "thread");
		return;
	}
	*arg = fd;
	int err = pthread_create(&tid, attr, connection_thread, arg);
	if (err) {
		atomic_fetch_sub(&live_conns, 1);
		free(arg);
		if (atomic_fetch_add(&create_failures, 1) == 0)
			log_warn("pthread_create: %s (answering 503)", strerror(err));
		serve_reject(fd, "thread");
	}
	/* END LAB thread (starter: (void)attr; serve_reject(fd, "thread");) */
}

/* Pool worker: accept and serve, one connection at a time, until stopped. */
static void *pool_worker(void *unused)
{
	/* LAB thread: the pool worker: accept (back off on EMFILE) and serve, until server_stop */
	(void)unused;
	while (!server_stop) {
		int fd = net_accept(listen_fd, 0);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				net_accept_backoff();
			continue;
		}
		atomic_fetch_add(&live_conns, 1);
		serve_connection(fd, &opts, "thread", &blocking_io_libc);
		atomic_fetch_sub(&live_conns, 1);
	}
	return NULL;
	/* END LAB thread (starter: (void)unused; return NULL;) */
}

static void start_pool(const pthread_attr_t *attr)
{
	pthread_t tid;
	for (int i = 0; i < opts.workers; i++) {
		int err = pthread_create(&tid, attr, pool_worker, NULL);
		if (err)
			log_fatal("cannot create pool thread %d of %d: %s", i + 1, opts.workers,
				  strerror(err));
	}
}

static void wait_for_connections(void)
{
	long long deadline = now_ms() + 1000;
	while (atomic_load(&live_conns) > 0 && now_ms() < deadline)
		usleep(10000);
}

int main(int argc, char **argv)
{
	static const struct model_info model = {
	    .name = "thread",
	    .summary = "a kernel thread (pthread) per connection",
	    .workers_help = "N > 1: a fixed pool of N threads blocking in accept() "
			    "(default 1: a new detached thread per connection)",
	    .workers_default = 1,
	    .max_conns_default = 10000,
	    .extra_help = "Each thread's stack: 256 KiB (set with pthread_attr_setstacksize).",
	};
	pthread_attr_t attr;
	sigset_t old;

	options_parse(argc, argv, &model, &opts);
	log_init(model.name, opts.quiet);
	server_signals();
	listen_fd = server_listen(&opts, 0, 0);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_KB * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Threads inherit the mask: create them with SIGINT/SIGTERM blocked. */
	pthread_sigmask(SIG_SETMASK, NULL, &old);
	server_block_signals();
	if (opts.workers > 1)
		start_pool(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	net_announce(opts.addr, opts.port);

	if (opts.workers > 1) {
		while (!server_stop)
			usleep(50000);
	} else {
		while (!server_stop) {
			int fd = net_accept(listen_fd, 0);
			if (fd >= 0) {
				server_block_signals();
				spawn_connection(fd, &attr);
				pthread_sigmask(SIG_SETMASK, &old, NULL);
			} else if (errno == EMFILE || errno == ENFILE) {
				net_accept_backoff();
			}
		}
	}
	close(listen_fd);
	wait_for_connections();
	if (create_failures)
		log_info("%ld connections refused: pthread_create failed", (long)create_failures);
	return 0;
}

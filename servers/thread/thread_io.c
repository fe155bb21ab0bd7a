/* thread_io.c - libc's calls in the shape of the blocking models' I/O table
 * (serve.h), and the thread model's accept side: the thread attributes and
 * the --workers pool around the shared accept loop; thread.c adds how a
 * connection gets its own thread.
 */
#include "thread_io.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "blocking.h"
#include "net.h"
#include "server.h"

pthread_attr_t thread_attr;
static int listen_fd;

const struct blocking_io thread_io = {
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

static void start_pool(int workers)
{
	/* LAB thread: the pool: N - 1 threads running pool_thread (the main thread is the Nth) */
	pthread_t tid;
	for (int i = 1; i < workers; i++)
		if ((errno = pthread_create(&tid, &thread_attr, pool_thread, NULL)))
			log_fatal("pool thread %d of %d: %s", i + 1, workers, strerror(errno));
	/* END LAB thread (starter: (void)workers; (void)pool_thread;) */
}

void thread_serve(struct server_opts *o)
{
	sigset_t stop_signals;
	listen_fd = server_listen(o, 0, 1);
	pthread_attr_init(&thread_attr);
	pthread_attr_setstacksize(&thread_attr, STACK_KB * 1024);
	pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
	server_stop_sigset(&stop_signals); /* the main thread is the one interrupted */
	pthread_attr_setsigmask_np(&thread_attr, &stop_signals);
	if (o->workers > 1)
		start_pool(o->workers);
	net_announce(o->addr, o->port);

	blocking_accept(listen_fd, o->workers > 1 ? &blocking_io_inline : &thread_io);
	blocking_drain(listen_fd);
}

/* main.c - the iocp-emul model: Tom R. Dial's Fire web server (Dr. Dobb's,
 * 2007) on an emulated Windows I/O completion port (iocp.h), with the
 * answers to the four hassles of the IOCP article (../shared/seeds/004).
 *
 * The model: a fixed array of connection objects (the article's
 * ClientContext), each pre-posting an accept (AcceptEx) and, once it has a
 * client, receives and sends; a pool of worker threads (--workers, default
 * 2 x CPUs) loops on iocp_get, and the port lets at most `concurrency` (= the
 * CPUs the process may run on) of them run at once. Each operation is an
 * object of its own (struct io, the article's CIOCPBuffer) that names its
 * connection; io.c posts them (fire.h: the objects). The HTTP is the shared
 * core's (conn.h), driven from its completion side.
 *
 * The four hassles, and where each answer lives:
 *  1. WSAENOBUFS (3.6.1): io.c, post_receives(): past --buffer-budget the
 *     port refuses a receive (-ENOBUFS); a zero-byte read instead.
 *  2. Package reordering (3.6.2): io.c, on_receive(): receives carry
 *     sequence numbers and reach the core in posting order. Sends need none:
 *     one is in flight per connection, carrying every response queued.
 *  3. Byte chunks (3.6.3): a buffer holds part of a request, or several; the
 *     core (conn_take, conn_advance) reassembles and answers them in order.
 *  4. Access violation (3.6.4): a connection counts its operations in flight
 *     (`inflight`). A close, an error or a timeout shuts the socket down
 *     (shut()), so what is pending completes; release() reuses the object
 *     only when the last has (else it exits: a stale completion's damage is
 *     silent and random). Its lock serializes the connection's completions.
 *
 * Cost per connection: an object (~1 KB) per --max-conns, the core's state
 * (~9 KB) while connected, N x 4 KiB of posted receives (0: --zero-byte-read).
 * Limits: --max-conns clients; REJECTORS more objects answer 503. The main
 * thread sleeps until the earliest deadline, shuts down what timed out (a
 * Windows timer and CancelIoEx), posts the accepts EMFILE paused; at a stop
 * signal it posts an exit packet per worker (COMPLETION_KEY_SHUTDOWN), joins
 * them and prints the posted-buffer figures.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fire.h"
#include "net.h"
#include "server.h"
#include "work.h"

#define KEY_SHUTDOWN 2
#define REJECTORS    4 /* objects beyond --max-conns: they answer 503 */

struct server_opts opts;
struct iocp_port *port;
int listen_fd;
static const char *server_name = "iocp-emul";
static _Atomic int busy; /* objects serving a client, for --max-conns */

/* Give up on the client: what is pending completes (EOF, EPIPE), then release. */
void shut(struct connection *c)
{
	c->closing = 1;
	if (c->inflight)
		shutdown(c->core->fd, SHUT_RDWR);
}

/* The last operation has completed: close and accept again (Fire's CompleteReset). */
static void release(struct connection *c)
{
	if (c->inflight)
		log_fatal("a connection released with %d operations pending", c->inflight);
	conn_close(c->core);
	c->core = NULL;
	atomic_fetch_sub(&busy, 1);
	receives_free(c);
	c->recvs = c->closing = c->sending = c->filing = 0;
	atomic_store_explicit(&c->deadline_ms, 0, memory_order_relaxed);
	post_accept(c);
}

/* Run the core while none of its I/O is in flight, keep the receives posted;
 * after a close, release the object once nothing is pending. */
static void drive(struct connection *c)
{
	while (c->core && !c->closing && !c->sending && !c->filing) {
		enum conn_want w = conn_advance(c->core);
		if (w == CONN_WRITE) {
			post_send(c);
		} else if (w == CONN_FILE) {
			post_file_read(c);
		} else {
			if (w == CONN_CLOSE)
				shut(c);
			else if (w == CONN_LINGER) /* after an error: stop sending, drop input until EOF */
				shutdown(c->core->fd, SHUT_WR);
			break;
		}
	}
	if (!c->core)
		return;
	post_receives(c);
	if (c->closing && !c->inflight)
		release(c);
	else if (!c->closing)
		atomic_store_explicit(&c->deadline_ms, c->core->timer.due_ms,
				      memory_order_relaxed);
}

/* ---- completions ---- */

/* A client, or not: then this object accepts again; out of descriptors, main
 * does 10 ms later (a worker that slept here stalled the server at 16,384). */
static void on_accept(struct connection *c, int res)
{
	if (res == -EMFILE || res == -ENFILE) {
		c->accept_paused = 1;
		atomic_store_explicit(&c->deadline_ms, now_ms() + 10, memory_order_relaxed);
		return;
	} else if (res < 0) {
		if (res != -ECONNABORTED && res != -EINTR)
			log_warn("accept: %s", strerror(-res));
	} else if (atomic_fetch_add(&busy, 1) >= opts.max_conns) {
		atomic_fetch_sub(&busy, 1);
		conn_reject(&c->loop, res); /* over --max-conns: 503 */
	} else if (!(c->core = conn_open(&c->loop, res))) { /* no memory: fd closed */
		atomic_fetch_sub(&busy, 1);
	} else {
		if (iocp_associate(port, res, KEY_IO) < 0 || c->core->want == CONN_CLOSE)
			shut(c); /* daytime: its line is written */
		else
			net_set_nodelay(res);
		drive(c);
		return;
	}
	post_accept(c);
}

static void on_complete(struct io *io)
{
	struct connection *c = io->c;
	int res = io->ov.res;
	jitter(); /* io.c: --jitter-us, for tests */
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	switch (io->kind) {
	case IO_ACCEPT: on_accept(c, res); break;
	case IO_RECV:
		on_receive(c, io); /* io.c: in sequence order */
		drive(c);
		break;
	case IO_SEND:
		c->sending = 0;
		if (res < 0) /* EPIPE, ECONNRESET, or shut down */
			shut(c);
		else if (!c->closing)
			conn_sent(c->core, (size_t)res);
		drive(c);
		break;
	case IO_FILE:
		c->filing = 0;
		if (!c->closing && conn_file_read(c->core, res))
			post_file_read(c); /* a short read: read on */
		drive(c);
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Fire's WorkerProc. */
static void *worker(void *arg)
{
	(void)arg;
	/* Its malloc arena (64 MiB reserved) now: an idle one first made under RLIMIT_AS failed. */
	void *volatile first = malloc(1); /* volatile: else elided */
	free(first);
	for (;;) {
		uint32_t bytes;
		uintptr_t key;
		struct iocp_overlapped *ov;
		iocp_get(port, &bytes, &key, &ov, IOCP_INFINITE);
		if (key == KEY_SHUTDOWN && !ov)
			break;
		if (ov)
			on_complete((struct io *)ov);
	}
	return NULL;
}

/* Timeouts and EMFILE pauses that are due: act on them; ms until the next. */
static long long sweep(struct connection *conns, int n)
{
	long long now = now_ms(), next = now + opts.idle_ms;
	for (int i = 0; i < n; i++) {
		struct connection *c = &conns[i];
		long long d = atomic_load_explicit(&c->deadline_ms, memory_order_relaxed);
		if (d > now && d < next)
			next = d;
		if (!d || d > now)
			continue;
		pthread_mutex_lock(&c->lock);
		if (c->accept_paused) {
			c->accept_paused = 0;
			atomic_store_explicit(&c->deadline_ms, 0, memory_order_relaxed);
			post_accept(c);
		} else if (c->core && !c->closing && c->core->timer.due_ms <= now) {
			shut(c);
			drive(c);
		}
		pthread_mutex_unlock(&c->lock);
	}
	return next - now;
}

int main(int argc, char **argv)
{
	int ncpu = iocp_cpus(); /* the CPUs we may run on, not all online */
	struct model_info m = {
	    .name = server_name,
	    .summary = "Windows I/O completion port semantics emulated over io_uring (epoll "
		       "fallback), worker pool, Fire web server state machine",
	    .workers_help = "worker threads on the port (concurrency = CPUs)",
	    .workers_default = 2 * ncpu,
	    .max_conns_default = conn_default_max(10000),
	    .max_conns_limit = conn_default_max(0),
	    .extra_help = "  connection objects = --max-conns + 4 (the extra ones answer 503)\n",
	    .backends = "io_uring (default; falls back to epoll when refused) or epoll",
	    .iocp_flags = 1,
	};
	char err[256];
	sigset_t stop_set;
	struct iocp_stats st;

	options_parse(argc, argv, &m, &opts);
	log_init(server_name, opts.quiet);
	server_signals();
	work_set_block_hooks(iocp_block_begin, iocp_block_end);
	http_files_shared(); /* by the workers */
	port = iocp_create_backend(0, opts.backend, err, sizeof(err));
	if (!port) {
		fprintf(stderr, "%s: --backend: %s\n", server_name, err);
		return 2;
	}
	iocp_set_budget(port, (size_t)opts.buffer_budget);
	int nconns = opts.max_conns + REJECTORS;
	struct connection *conns = calloc((size_t)nconns, sizeof(*conns));
	pthread_t *workers = calloc((size_t)opts.workers, sizeof(*workers));
	if (!conns || !workers)
		log_fatal("out of memory for %d connections", nconns);
	listen_fd = server_listen(&opts, 0, 0);
	iocp_associate(port, listen_fd, KEY_IO);

	/* Workers inherit SIGINT/SIGTERM blocked; the main thread waits for them. */
	server_stop_sigset(&stop_set);
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	for (int i = 0; i < opts.workers; i++)
		if ((errno = pthread_create(&workers[i], NULL, worker, NULL)))
			log_fatal("pthread_create: %s", strerror(errno));
	for (int i = 0; i < nconns; i++) { /* Fire's Connection constructor */
		struct connection *c = &conns[i];
		pthread_mutex_init(&c->lock, NULL);
		c->accept = (struct io){.c = c, .kind = IO_ACCEPT};
		c->send = (struct io){.c = c, .kind = IO_SEND};
		c->file = (struct io){.c = c, .kind = IO_FILE};
		conn_loop_init(&c->loop, &opts, server_name);
		pthread_mutex_lock(&c->lock);
		post_accept(c);
		pthread_mutex_unlock(&c->lock);
	}
	fprintf(stderr, "%s: backend %s, %d workers, concurrency %d, %d connections, %d pending reads%s\n",
		server_name, iocp_backend(port), opts.workers, iocp_concurrency(port),
		opts.max_conns, opts.pending_reads, opts.zero_byte_read ? ", zero-byte reads" : "");
	net_announce(opts.addr, opts.port);

	while (!server_stop) {
		long long wait = sweep(conns, nconns);
		struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000};
		if (sigtimedwait(&stop_set, NULL, &ts) > 0)
			break;
	}

	for (int i = 0; i < opts.workers; i++)
		iocp_post(port, 0, KEY_SHUTDOWN, NULL);
	for (int i = 0; i < opts.workers; i++)
		pthread_join(workers[i], NULL);
	iocp_get_stats(port, &st);
	iocp_close(port);
	close(listen_fd);
	for (int i = 0; i < nconns; i++) {
		if (conns[i].core)
			conn_close(conns[i].core);
		receives_free(&conns[i]);
		pthread_mutex_destroy(&conns[i].lock);
	}
	free(conns);
	free(workers);
	fprintf(stderr, /* always (also --quiet): the harness reads it */
		"%s: stopped; posted_buffer_peak_bytes=%zu posted_buffer_exit_bytes=%zu "
		"nobufs=%ld zero_byte_fallbacks=%ld early_receives=%ld\n",
		server_name, st.posted_peak, st.posted_bytes, st.nobufs, atomic_load(&zero_fallbacks),
		atomic_load(&early_receives));
	return 0;
}

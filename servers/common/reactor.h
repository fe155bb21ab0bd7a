/* reactor.h - the one readiness loop of select, epoll and libevent, over a
 * backend of a few functions in the manner of Redis's ae (ae_select.c,
 * ae_epoll.c): a model file is its backend, its header comment and a main()
 * that calls reactor_main().
 *
 * The loop (reactor.c) does everything else once: the listener's accept batch
 * (CONN_ACCEPT_BATCH, 503 beyond --max-conns or the backend's fd limit), the
 * EMFILE pause (the listener unwatched for CONN_PAUSE_MS), the connections'
 * I/O around the connection core (conn.h: one read per readiness, writes at
 * once, a --root file read with pread, the lingering close), the deadlines
 * (the wait is never longer than the earliest), the stop eventfd, --workers N
 * reactors each with its own backend state and SO_REUSEPORT listener, and
 * main()'s help text and exit line.
 *
 * A connection is watched for READ or WRITE, never both, and the backend is
 * called only when that changes: a keep-alive connection whose responses go
 * out at once stays READ for life.
 */
#ifndef REACTOR_H
#define REACTOR_H

#include "conn.h"

/* A mechanism may leave parameters of the interface unused (select needs no
 * slot, libevent no fd to unwatch): said once here, not in each function. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define RW_READ  1
#define RW_WRITE 2
#define REACTOR_MAX_FIRED 1024 /* ready fds taken per wait */

/* The mechanism. b is the backend's state (be->size bytes, zeroed), one per
 * reactor thread. slot is the per-fd word the backend may keep (NULL at
 * first). Return 0, or -1 with errno set. */
struct reactor_backend {
	const char *name;  /* the model: bin/<name>, Server: <name> */
	const char *summary, *workers_help, *extra_help; /* --help (workers_help NULL: no --workers) */
	int fd_limit;      /* fds at or above it are refused 503 (select: FD_SETSIZE); 0 = none */
	size_t size;
	int (*create)(void *b);
	/* Watch fd for mask (RW_READ or RW_WRITE) instead of what it had; report data. */
	int (*watch)(void *b, int fd, int mask, void *data, void **slot);
	/* Stop watching fd; closing: the fd is about to be closed. */
	void (*unwatch)(void *b, int fd, void **slot, int closing);
	/* Wait up to timeout_ms (-1: no limit); put the data of up to max ready fds
	 * (readable, writable, error or hangup) in fired; returns the count. */
	int (*wait)(void *b, int timeout_ms, void **fired, int max);
	void (*destroy)(void *b);
};

/* Parse the command line, listen, run o.workers reactors until SIGINT/SIGTERM,
 * log the exit line; returns main's exit status. */
int reactor_main(int argc, char **argv, const struct reactor_backend *be);

/* A backend file ends with its table and main(): REACTOR_MAIN(.name = "x",
 * .summary = ..., [.workers_help = ...,] [.extra_help = ...,] [.fd_limit = ...]),
 * over its struct api_state and api_create/watch/unwatch/wait/destroy. */
#define REACTOR_MAIN(...)                                                                          \
	static const struct reactor_backend backend = {                                            \
	    __VA_ARGS__,                                                                           \
	    .size = sizeof(struct api_state),                                                      \
	    .create = api_create,                                                                  \
	    .watch = api_watch,                                                                    \
	    .unwatch = api_unwatch,                                                                \
	    .wait = api_wait,                                                                      \
	    .destroy = api_destroy,                                                                \
	};                                                                                         \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return reactor_main(argc, argv, &backend);                                         \
	}

#endif

/* serve.h - the blocking driver of the connection core (conn.h), shared by
 * iterative, fork, thread, pth, st and uthread: serve_connection() asks the
 * core what the connection wants and does it with blocking calls (poll until
 * the core's deadline, read into its buffer, writev what it queued, pread a
 * --root file, linger after an error). Every HTTP rule (keep-alive,
 * pipelining, half-close, limits, deadlines) is the core's, as in the event
 * loops. The I/O goes through a small table so that a user-level thread
 * package can supply its own read/writev/poll; the table's accept side is what
 * the one accept loop of these models (blocking.c) calls. Cost: one ~9 KiB connection
 * object on the heap per connection served, nothing on the stack beyond a
 * 4 KiB drain buffer while lingering.
 */
#ifndef SERVE_H
#define SERVE_H

#include <poll.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "options.h"

struct blocking_io {
	/* A connection's I/O (serve_connection); poll also waits for the listener. */
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
	/* The accept side (blocking.c): accept one connection from the
	 * non-blocking listener (net_accept: -1 with EAGAIN when none is there);
	 * sleep only the calling flow of control; and give connection fd its
	 * own flow of control, which ends with blocking_serve(fd) or at least
	 * blocking_conn_done(): 0, or -1 with errno when it could not (fd is
	 * then still the caller's). spawn_name names spawn in messages; a
	 * descriptor at or above fd_limit (0: none) is answered 503 instead. */
	int (*accept)(int lfd);
	void (*sleep_ms)(int ms);
	int (*spawn)(int fd);
	const char *spawn_name;
	int fd_limit;
};

extern const struct blocking_io blocking_io_libc;

/* Serve fd until the peer closes, an error, a deadline (--idle-ms: idle, a
 * head not complete within it from its first byte, a reader that takes
 * nothing for that long), SIGINT/SIGTERM in the serving thread, or
 * Connection: close; then close fd. Never exits the process. */
void serve_connection(int fd, const struct server_opts *o, const char *server,
		      const struct blocking_io *io);

/* Answer 503 on fd and close it (over capacity). */
void serve_reject(int fd, const char *server);

#endif

/* serve.h - the blocking driver of the connection core (conn.h), shared by
 * iterative, fork, thread, pth, st and uthread: serve_connection() asks the
 * core what the connection wants and does it with blocking calls (poll until
 * the core's deadline, read into its buffer, writev what it queued, pread a
 * --root file, linger after an error). Every HTTP rule (keep-alive,
 * pipelining, half-close, limits, deadlines) is the core's, as in the event
 * loops. The I/O goes through a small table so that a user-level thread
 * package can supply its own read/writev/poll. Cost: one ~9 KiB connection
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
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
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

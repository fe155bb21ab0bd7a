/* serve.h - the blocking per-connection loop shared by iterative, fork, thread
 * and pth: read a request, answer it, repeat while keep-alive, with the idle
 * and head timeouts of --idle-ms. The I/O goes through a small table so that
 * a user-level thread package can supply its own read/writev/poll.
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

/* Serve fd until the peer closes, an error, a timeout, or Connection: close;
 * then close fd. Never exits the process. */
void serve_connection(int fd, const struct server_opts *o, const char *server,
		      const struct blocking_io *io);

/* Answer 503 on fd and close it (over capacity). */
void serve_reject(int fd, const char *server);

#endif

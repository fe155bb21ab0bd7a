/* serve.c - the blocking driver of the connection core (see serve.h). */
#include "serve.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conn.h"
#include "http.h"
#include "net.h"
#include "server.h"

const struct blocking_io blocking_io_libc = {.read = read, .writev = writev, .poll = poll};

/* Wait until fd is ready for events or the connection's deadline; 1 ready,
 * 0 timed out, stopped or failed. After SIGINT/SIGTERM a read is not begun:
 * a connection waiting for a request closes. Threads that wait already learn
 * of the stop by EINTR (iterative), from their runtime (uthread's stop
 * watcher wakes its readers), or not until --idle-ms or the exit (the stop
 * eventfd beside every connection would double what st's poll pass walks). */
static int wait_fd(struct conn *c, short events, const struct blocking_io *io)
{
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = events};
		int t = conn_timeout_ms(c->loop, now_ms());
		if (t == 0 || (events == POLLIN && server_stop))
			return 0;
		int r = io->poll(&p, 1, t);
		if (r < 0 && errno == EINTR && !server_stop)
			continue;
		return r > 0;
	}
}

/* Read once into the core: 0, or -1 (timeout, error: close). */
static int read_in(struct conn *c, const struct blocking_io *io)
{
	for (;;) {
		size_t room;
		char *p = conn_read_span(c, &room);
		if (!wait_fd(c, POLLIN, io))
			return -1;
		ssize_t n = io->read(c->fd, p, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		conn_received(c, (size_t)n); /* 0: the peer half-closed */
		return 0;
	}
}

/* Write what the core has queued, once: 0, or -1 (a peer that stopped
 * reading past the deadline, EPIPE, ECONNRESET: close). */
static int write_out(struct conn *c, const struct blocking_io *io)
{
	struct iovec iov[2];
	int cnt = conn_out_iov(c, iov);
	ssize_t n = io->writev(c->fd, iov, cnt);
	if (n < 0 && (errno == EINTR || errno == EAGAIN) && !server_stop)
		return wait_fd(c, POLLOUT, io) ? 0 : -1;
	if (n <= 0)
		return -1;
	conn_sent(c, (size_t)n);
	return 0;
}

/* After an error response: stop sending, read and drop what the client
 * still sends until it closes (or the deadline), so that close() does not
 * answer unread bytes with a RST that would destroy the response. */
static void linger(struct conn *c, const struct blocking_io *io)
{
	char sink[4096];
	shutdown(c->fd, SHUT_WR);
	while (wait_fd(c, POLLIN, io) && io->read(c->fd, sink, sizeof sink) > 0)
		;
}

void serve_connection(int fd, const struct server_opts *o, const char *server,
		      const struct blocking_io *io)
{
	struct conn_loop l;
	struct timeval snd = {o->idle_ms / 1000, (o->idle_ms % 1000) * 1000};
	conn_loop_init(&l, o, server);
	struct conn *c = conn_open(&l, fd);
	if (!c)
		return;
	/* A blocking writev waits at most --idle-ms without progress. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
	for (int failed = 0; !failed;) {
		switch (conn_advance(c)) {
		case CONN_READ: failed = read_in(c, io); break;
		case CONN_WRITE: failed = write_out(c, io); break;
		case CONN_FILE: conn_file_pread(c); break;
		case CONN_LINGER: linger(c, io); /* fall through */
		case CONN_CLOSE: failed = 1; break;
		}
	}
	conn_close(c);
}

void serve_reject(int fd, const char *server)
{
	struct http_response r;
	struct iovec iov[2];
	char sink[4096];

	http_error(&r, 503, server);
	int cnt = http_response_iov(&r, iov);
	/* Best effort, never blocking: the server is over capacity. Read what the
	 * client already sent so that close() sends FIN, not RST, after the 503. */
	net_set_nonblock(fd, 1);
	if (writev(fd, iov, cnt) > 0)
		shutdown(fd, SHUT_WR);
	while (read(fd, sink, sizeof sink) > 0)
		;
	close(fd);
}

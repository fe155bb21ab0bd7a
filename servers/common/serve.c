/* serve.c - the blocking per-connection loop (see serve.h). */
#include "serve.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "daytime.h"
#include "http.h"
#include "net.h"
#include "server.h"

const struct blocking_io blocking_io_libc = {.read = read, .writev = writev, .poll = poll};

/* Write every byte of iov through io, resuming partial writes. */
static int send_all(int fd, struct iovec *iov, int cnt, const struct blocking_io *io)
{
	while (cnt > 0) {
		ssize_t n = io->writev(fd, iov, cnt);
		if (n < 0 && errno == EINTR && !server_stop)
			continue;
		if (n <= 0)
			return -1;
		for (; cnt > 0 && (size_t)n >= iov->iov_len; iov++, cnt--)
			n -= (ssize_t)iov->iov_len;
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int send_response(int fd, const struct http_response *r, const struct blocking_io *io)
{
	struct iovec iov[2];
	int cnt = http_response_iov(r, iov);
	return send_all(fd, iov, cnt, io);
}

/* A close the client can read to the end: after our last response, stop
 * sending and drain what the client still sends (briefly), so the kernel does
 * not answer unread bytes with a RST that would destroy the response. */
static void linger_close(int fd, const struct blocking_io *io)
{
	char sink[4096];
	long long deadline = now_ms() + 200;
	shutdown(fd, SHUT_WR);
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || io->poll(&p, 1, (int)left) <= 0 ||
		    io->read(fd, sink, sizeof sink) <= 0)
			break;
	}
	close(fd);
}

static void serve_daytime(int fd, const struct blocking_io *io)
{
	char line[128];
	struct iovec iov = {.iov_base = line, .iov_len = daytime_format(line, sizeof line)};
	send_all(fd, &iov, 1, io);
	linger_close(fd, io);
}

/* Wait for more request bytes until *deadline_ms. Returns bytes read, 0 on
 * EOF, timeout or error. */
static ssize_t read_more(int fd, char *buf, size_t room, long long deadline_ms,
			 const struct blocking_io *io)
{
	for (;;) {
		long long left = deadline_ms - now_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0)
			return 0;
		int r = io->poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR) {
			if (server_stop)
				return 0; /* SIGTERM in the serving thread (iterative): stop now */
			continue;
		}
		if (r <= 0)
			return 0;
		ssize_t n = io->read(fd, buf, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n < 0 ? 0 : n;
	}
}

void serve_connection(int fd, const struct server_opts *o, const char *server,
		      const struct blocking_io *io)
{
	char buf[HTTP_MAX_HEAD + 4096];
	size_t have = 0;
	long long deadline = now_ms() + o->idle_ms;
	struct timeval snd = {o->idle_ms / 1000, (o->idle_ms % 1000) * 1000};

	if (o->proto == PROTO_DAYTIME) {
		serve_daytime(fd, io);
		return;
	}
	/* A reader that stops reading is dropped after --idle-ms too. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
	for (;;) {
		struct http_request req;
		struct http_response r;
		int n = have ? http_parse_request(buf, have, &req) : HTTP_PARTIAL;

		if (n == HTTP_PARTIAL) {
			ssize_t got = read_more(fd, buf + have, sizeof buf - have, deadline, io);
			if (got <= 0)
				break; /* EOF, idle or head timeout, error: close quietly */
			have += (size_t)got;
			continue;
		}
		if (n == HTTP_ERROR) {
			http_error(&r, req.status, server);
			send_response(fd, &r, io);
			linger_close(fd, io);
			return;
		}
		http_respond(&req, o, server, &r);
		int failed = send_response(fd, &r, io);
		http_response_free(&r);
		if (failed)
			break;
		if (r.close) {
			linger_close(fd, io);
			return;
		}
		have -= (size_t)n;
		memmove(buf, buf + n, have);
		deadline = now_ms() + o->idle_ms;
	}
	close(fd);
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

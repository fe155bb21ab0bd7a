/* net.c - socket helpers in the spirit of Redis' anet.c (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

static int reserve_fd = -1;
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;

static int net_error(char *err, int fd, const char *what)
{
	int saved = errno;
	if (err)
		snprintf(err, NET_ERR_LEN, "%s: %s", what, strerror(saved));
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

int net_set_nonblock(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -1;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

int net_set_nodelay(int fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void net_reserve_fd(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int net_listen(const char *addr, int port, int backlog, int reuseport, int nonblock, int *port_out,
	       char *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof sa;
	int one = 1;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		errno = EINVAL;
		return net_error(err, -1, "bad IPv4 address");
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return net_error(err, -1, "socket");
	/* The one place SO_REUSEADDR is set: restart without waiting out TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return net_error(err, fd, "setsockopt SO_REUSEADDR");
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
		return net_error(err, fd, "setsockopt SO_REUSEPORT");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return net_error(err, fd, "bind");
	/* A blocking accept() wakes every 250 ms (EAGAIN), so a stop signal that
	 * lands just before the call is seen without a self-pipe. */
	struct timeval tick = {0, 250 * 1000};
	if (!nonblock && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick) < 0)
		return net_error(err, fd, "setsockopt SO_RCVTIMEO");
	if (listen(fd, backlog) < 0)
		return net_error(err, fd, "listen");
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return net_error(err, fd, "getsockname");
	if (port_out)
		*port_out = ntohs(sa.sin_port);
	net_reserve_fd();
	return fd;
}

void net_announce(const char *addr, int port)
{
	printf("listening on %s:%d\n", addr, port);
	fflush(stdout);
}

int net_accept(int lfd, int nonblock)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
		if (fd >= 0) {
			net_set_nodelay(fd);
			return fd;
		}
		if (errno == EINTR || errno == ECONNABORTED) {
			if (errno == EINTR && !nonblock)
				return -1; /* let the caller look at its stop flag */
			continue;
		}
		if ((errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {
			/* The reserve-fd trick: free one descriptor, accept the waiting
			 * connection and close it at once, so the backlog drains and
			 * the listener is not readable forever; then take the reserve
			 * back. The caller pauses accepting before trying again. */
			int saved = errno;
			pthread_mutex_lock(&reserve_lock);
			if (reserve_fd >= 0) {
				close(reserve_fd);
				int victim = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				if (victim >= 0)
					close(victim);
				reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			}
			pthread_mutex_unlock(&reserve_lock);
			errno = saved;
		}
		return -1;
	}
}

/* server.c - logging, signals and the listening socket, the same for every model. */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net.h"

atomic_int server_stop;

static const char *log_model = "server";
static int log_quiet;

static int stop_fd = -1;

static void on_stop_signal(int sig)
{
	int saved = errno;
	uint64_t one = 1;
	(void)sig;
	server_stop = 1;
	if (stop_fd >= 0 && write(stop_fd, &one, sizeof one) < 0) {
		/* the counter is already non-zero: readable anyway */
	}
	errno = saved;
}

void server_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking accept() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void server_stop_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

int server_stop_fd(void)
{
	if (stop_fd < 0) {
		stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (stop_fd < 0)
			log_fatal("eventfd: %s", strerror(errno));
		server_signals();
	}
	return stop_fd;
}

int server_listen(struct server_opts *o, int reuseport, int nonblock)
{
	char err[NET_ERR_LEN];
	int port = o->port;
	int fd = net_listen(o->addr, port, o->backlog, reuseport, nonblock, &port, err);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", log_model, o->addr, o->port,
			err);
		exit(2);
	}
	o->port = port;
	return fd;
}

void log_init(const char *model, int quiet)
{
	log_model = model;
	log_quiet = quiet;
}

static void log_v(const char *level, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%s: %s", log_model, level);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void log_info(const char *fmt, ...)
{
	if (log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("error: ", fmt, ap);
	va_end(ap);
	exit(1);
}

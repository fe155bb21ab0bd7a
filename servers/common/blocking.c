/* blocking.c - the one accept loop of the blocking models (see blocking.h). */
#include "blocking.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "server.h"

const struct blocking_io blocking_io_inline = {
    .read = read, .writev = writev, .poll = poll, .accept = blocking_accept_fd,
    .sleep_ms = blocking_sleep_ms, .spawn = blocking_inline, .spawn_name = "serve",
};

const struct server_opts *blocking_opts;
static const char *model;
static const struct blocking_io *conn_io; /* the connections' I/O */
static atomic_int live;
static atomic_long spawn_failures;

void blocking_start(int argc, char **argv, const struct model_info *m, struct server_opts *o,
		    const struct blocking_io *io)
{
	options_parse(argc, argv, m, o);
	log_init(m->name, o->quiet);
	server_stop_fd();
	blocking_opts = o;
	model = m->name;
	conn_io = io;
}

int blocking_live(void)
{
	return atomic_load(&live);
}

void blocking_conn_start(void)
{
	atomic_fetch_add(&live, 1);
}

void blocking_conn_done(void)
{
	atomic_fetch_sub(&live, 1);
}

void blocking_serve(int fd)
{
	serve_connection(fd, blocking_opts, model, conn_io);
	blocking_conn_done();
}

int blocking_inline(int fd)
{
	blocking_serve(fd);
	return 0;
}

/* Admission: 503 past --max-conns, on a descriptor the package cannot wait
 * on, or when no flow of control could be had. */
static void admit(int fd, const struct blocking_io *io)
{
	if (blocking_live() >= blocking_opts->max_conns || (io->fd_limit && fd >= io->fd_limit)) {
		serve_reject(fd, model);
		return;
	}
	blocking_conn_start();
	if (io->spawn(fd) < 0) {
		blocking_conn_done();
		if (atomic_fetch_add(&spawn_failures, 1) == 0)
			log_warn("%s: %s (answering 503)", io->spawn_name, strerror(errno));
		serve_reject(fd, model);
	}
}

void blocking_accept(int lfd, const struct blocking_io *io)
{
	while (!server_stop) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN},
				      {.fd = server_stop_fd(), .events = POLLIN}};
		if (io->poll(p, 2, -1) < 0 && errno != EINTR)
			log_fatal("waiting for the listener: %s", strerror(errno));
		if (p[1].revents & POLLIN)
			break; /* the stop: in a pre-forked child, whose own flag no signal set */
		for (int i = 0; i < BLOCKING_ACCEPT_BATCH && !server_stop; i++) {
			int fd = io->accept(lfd);
			if (fd >= 0) {
				admit(fd, io);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE)
				io->sleep_ms(BLOCKING_PAUSE_MS); /* net_accept drained one */
			break; /* EAGAIN: wait again; EINTR: look at server_stop */
		}
	}
}

void blocking_drain(int lfd)
{
	long long deadline = now_ms() + BLOCKING_DRAIN_MS;
	close(lfd);
	while (blocking_live() > 0 && now_ms() < deadline)
		conn_io->sleep_ms(10);
}

int blocking_exit(void)
{
	long n = atomic_load(&spawn_failures);
	if (n)
		log_info("%ld connections refused: %s failed", n, conn_io->spawn_name);
	return 0;
}

int blocking_accept_fd(int lfd)
{
	return net_accept(lfd, 0);
}

void blocking_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* reactor.c - the readiness driver (see reactor.h), and the I/O around the
 * connection core that every driver shares (conn.h's second half). */
#include "reactor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"
#include "server.h"

#define MAX_FIRED REACTOR_MAX_FIRED

static long rejected_conns; /* __atomic */

/* ---- around the core: shared by every driver ---- */

struct conn *conn_open(struct conn_loop *l, int fd)
{
	struct conn *c = conn_new(l, fd);
	if (!c)
		close(fd);
	return c;
}

void conn_close(struct conn *c)
{
	int fd = c->fd;
	conn_free(c);
	close(fd);
}

int conn_file_pread(struct conn *c)
{
	struct http_response *r = &c->big;
	ssize_t n;
	do
		n = pread(r->file_fd, r->body_buf + c->big_off, r->body_len - c->big_off,
			  (off_t)c->big_off);
	while (n < 0 && errno == EINTR);
	return conn_file_read(c, n < 0 ? -errno : (int)n);
}

int conn_file_nowait(struct conn *c)
{
	struct http_response *r = &c->big;
	ssize_t n;
	do {
		struct iovec iov = {r->body_buf + c->big_off, r->body_len - c->big_off};
		n = preadv2(r->file_fd, &iov, 1, (off_t)c->big_off, RWF_NOWAIT);
	} while ((n > 0 && conn_file_read(c, (int)n)) || (n < 0 && errno == EINTR));
	if (n < 0 && (errno == EAGAIN || errno == EOPNOTSUPP))
		return 1;
	if (n <= 0) /* shrank, or could not be read: a 500 is queued */
		conn_file_read(c, n < 0 ? -errno : 0);
	return 0;
}

long conn_rejected(void)
{
	return __atomic_load_n(&rejected_conns, __ATOMIC_RELAXED);
}

void conn_reject(struct conn_loop *l, int fd)
{
	if (l->o->proto == PROTO_HTTP)
		serve_reject(fd, l->server); /* 503, and drained so close sends no RST */
	else
		close(fd);
	__atomic_add_fetch(&rejected_conns, 1, __ATOMIC_RELAXED);
}

int conn_default_max(int cap)
{
	struct rlimit rl;
	long n = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = (long)rl.rlim_cur;
	n = n > 64 ? n - 32 : n / 2; /* keep descriptors for listeners, files, the 503 */
	if (n > 1000000)
		n = 1000000;
	if (cap > 0 && n > cap)
		n = cap;
	return n > 0 ? (int)n : 1;
}

void conn_run_reactors(int n, void *(*fn)(void *), void *args, size_t stride)
{
	pthread_t *tids = calloc((size_t)n, sizeof *tids);
	sigset_t all, old;
	if (!tids)
		log_fatal("out of memory");
	server_stop_sigset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the threads */
	for (int i = 1; i < n; i++) {
		int e = pthread_create(&tids[i], NULL, fn, (char *)args + (size_t)i * stride);
		if (e)
			log_fatal("pthread_create: %s", strerror(e));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fn(args);
	for (int i = 1; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
}

void conn_serve_reactors(struct server_opts *o, const char *server, int nonblock, size_t size,
			 size_t loop_off, void (*setup)(void *obj, int lfd, int stop_fd, void *arg),
			 void *arg, void *(*fn)(void *))
{
	int stop_fd = server_stop_fd(); /* SIGINT/SIGTERM make it readable */
	char *objs = calloc((size_t)o->workers, size);
	if (!objs)
		log_fatal("out of memory");
	for (int i = 0; i < o->workers; i++) {
		char *obj = objs + (size_t)i * size;
		struct conn_loop *l = (struct conn_loop *)(obj + loop_off);
		int lfd = server_listen(o, o->workers > 1, nonblock); /* the first resolves -p 0 */
		conn_loop_init(l, o, server);
		l->data = obj;
		setup(obj, lfd, stop_fd, arg);
	}
	net_announce(o->addr, o->port);
	conn_run_reactors(o->workers, fn, objs, size);
	free(objs);
}

/* ---- the readiness loop ---- */

struct reactor {
	const struct reactor_backend *be;
	void *b; /* the backend's state */
	int lfd, stop_fd;
	void *lslot, *sslot;    /* the backend's words for the two */
	long long paused_until; /* ms; 0 = accepting */
	struct conn_loop loop;
};

static char listener_tag, stop_tag; /* what the two non-connections report */

static void drop(struct reactor *r, struct conn *c)
{
	r->be->unwatch(r->b, c->fd, &c->ev, 1);
	conn_close(c);
}

/* Do what the core asks until it waits for the socket: writes go out at once
 * (they usually complete), a file is read, an error's close lingers. */
static void drive(struct conn *c)
{
	for (;;) {
		struct iovec iov[2];
		switch (conn_advance(c)) {
		case CONN_WRITE: {
			int cnt = conn_out_iov(c, iov);
			ssize_t n = cnt == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len)
					     : writev(c->fd, iov, cnt);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return; /* the socket buffer is full: wait for writable */
			if (n < 0) {
				c->want = CONN_CLOSE; /* EPIPE, ECONNRESET */
				return;
			}
			conn_sent(c, (size_t)n);
			break;
		}
		case CONN_FILE: conn_file_pread(c); break;
		case CONN_LINGER: shutdown(c->fd, SHUT_WR); return; /* readable now means drain */
		default: return;                                  /* CONN_READ, CONN_CLOSE */
		}
	}
}

/* One readiness report: one read (level-triggered: the rest is reported
 * again; that keeps connections fair), or a write, or a lingering drain. */
static void on_ready(struct conn *c)
{
	if (c->want == CONN_LINGER) { /* after an error: drop input until EOF */
		char sink[4096];
		ssize_t n = read(c->fd, sink, sizeof sink);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->want = CONN_CLOSE;
		return;
	}
	if (c->want == CONN_READ) {
		size_t room;
		char *p = conn_read_span(c, &room);
		ssize_t n = read(c->fd, p, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			c->want = CONN_CLOSE;
			return;
		}
		conn_received(c, (size_t)n); /* 0: the peer half-closed */
	}
	drive(c);
}

/* Watch what the connection wants now, or close it. */
static void settle(struct reactor *r, struct conn *c)
{
	if (c->want == CONN_CLOSE) {
		drop(r, c);
		return;
	}
	int mask = c->want == CONN_WRITE ? RW_WRITE : RW_READ;
	if (c->mask == mask)
		return;
	if (r->be->watch(r->b, c->fd, mask, c, &c->ev) < 0) {
		drop(r, c);
		return;
	}
	c->mask = mask;
}

static void pause_accepting(struct reactor *r, int on)
{
	if (on && !r->paused_until) {
		r->be->unwatch(r->b, r->lfd, &r->lslot, 0);
		r->paused_until = now_ms() + CONN_PAUSE_MS;
	} else if (!on && r->paused_until) {
		if (r->be->watch(r->b, r->lfd, RW_READ, &listener_tag, &r->lslot) < 0)
			log_warn("watching the listener again: %s", strerror(errno));
		r->paused_until = 0;
	}
}

/* Accept what is queued, up to CONN_ACCEPT_BATCH; one beyond --max-conns or
 * the backend's fd limit is answered 503. EMFILE/ENFILE: net_accept's
 * reserve fd has shed one connection; pause. */
static void accept_batch(struct reactor *r)
{
	for (int i = 0; i < CONN_ACCEPT_BATCH; i++) {
		int fd = net_accept(r->lfd, 1);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				pause_accepting(r, 1);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if ((r->be->fd_limit > 0 && fd >= r->be->fd_limit) || !conn_admit(&r->loop)) {
			conn_reject(&r->loop, fd);
			continue;
		}
		struct conn *c = conn_open(&r->loop, fd);
		if (c) {
			drive(c); /* daytime: its line goes out now */
			settle(r, c);
		}
	}
}

static void *reactor_run(void *arg)
{
	struct reactor *r = arg;
	void **fired = malloc(MAX_FIRED * sizeof *fired);
	long long now = now_ms();
	int stop = 0;
	if (!fired)
		log_fatal("out of memory");

	while (!stop) {
		int t = conn_next_wait_ms(&r->loop, now, r->paused_until);
		int n = r->be->wait(r->b, t, fired, MAX_FIRED);
		if (n < 0 && errno != EINTR)
			log_fatal("%s: %s", r->be->name, strerror(errno));
		for (int i = 0; i < n; i++) {
			void *p = fired[i];
			if (p == &stop_tag) {
				stop = 1;
			} else if (p == &listener_tag) {
				if (!r->paused_until)
					accept_batch(r);
			} else {
				on_ready(p);
				settle(r, p);
			}
		}
		now = now_ms();
		struct conn *c;
		while ((c = conn_expired(&r->loop, now)))
			drop(r, c);
		if (r->paused_until && now >= r->paused_until)
			pause_accepting(r, 0);
	}
	struct conn *c;
	while ((c = conn_oldest(&r->loop)))
		drop(r, c);
	if (!r->paused_until)
		r->be->unwatch(r->b, r->lfd, &r->lslot, 1);
	r->be->unwatch(r->b, r->stop_fd, &r->sslot, 0);
	r->be->destroy(r->b);
	free(r->b);
	free(fired);
	close(r->lfd);
	return NULL;
}

/* The backend's part of a reactor's start-up (conn_serve_reactors). */
static void reactor_setup(void *obj, int lfd, int stop_fd, void *arg)
{
	struct reactor *r = obj;
	const struct reactor_backend *be = arg;
	r->be = be;
	r->stop_fd = stop_fd;
	r->lfd = lfd;
	if (be->fd_limit > 0 && (r->lfd >= be->fd_limit || stop_fd >= be->fd_limit))
		log_fatal("listener fd %d is beyond the limit of %d", r->lfd, be->fd_limit);
	if (!(r->b = calloc(1, be->size)) || be->create(r->b) < 0)
		log_fatal("%s: cannot set up: %s", be->name, strerror(errno));
	if (be->watch(r->b, r->lfd, RW_READ, &listener_tag, &r->lslot) < 0 ||
	    be->watch(r->b, stop_fd, RW_READ, &stop_tag, &r->sslot) < 0)
		log_fatal("%s: cannot watch the listener: %s", be->name, strerror(errno));
}

int reactor_main(int argc, char **argv, const struct reactor_backend *be)
{
	struct model_info m = {
	    .name = be->name,
	    .summary = be->summary,
	    .workers_help = be->workers_help,
	    .workers_default = 1,
	    .max_conns_default = conn_default_max(be->fd_limit > 0 ? be->fd_limit - 32 : 0),
	    .extra_help = be->extra_help,
	};
	struct server_opts o;
	options_parse(argc, argv, &m, &o);
	log_init(be->name, o.quiet);
	conn_serve_reactors(&o, be->name, 1, sizeof(struct reactor), offsetof(struct reactor, loop),
			    reactor_setup, (void *)be, reactor_run);

	log_info("stopped; %ld connections refused; %ld requests answered", conn_rejected(),
		 http_responses());
	return 0;
}

/* The slow connections of --slow K:MODE[:ARG] (see slow.h), one thread, one
 * epoll set, one timer per connection scanned each turn (K is small: a few
 * hundred at most in the suite's experiments, and a scan is a few ns each).
 *
 *   head:MS   the request head, one byte every MS ms; then the response is read
 *             as it comes and the next head begins MS ms later (slowloris with
 *             a head that does end).
 *   idle      connect and send nothing (a browser's pre-opened connection).
 *   read:BPS  a whole request, then the response read BPS bytes a second in
 *             TICK_NS steps, through a small receive buffer (SO_RCVBUF), so the
 *             server's send blocks or stays pending; then the next request.
 *
 * A connection the server closes counts as closed and reconnects at once (a
 * refused or failed connect waits RETRY_NS first), so K stay present all the
 * run.  The counts are reset when the measured window begins.  main starts
 * them before the normal connections and waits (slow_wait_open) until each has
 * connected once: they are there first, as an attacker's are, so a server
 * that gives a connection its worker until it closes gives it to them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "slow.h"

#include <errno.h>
#include <stdatomic.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "resp.h"
#include "schedule.h"

#define TICK_NS      (50 * 1000000ull)  /* read: one recv per connection this often */
#define RETRY_NS     (100 * 1000000ull) /* after a failed connect */
#define IDLE_WAIT_NS (100 * 1000000ull) /* longest sleep: the phase is checked this often */
#define RCVBUF_BYTES 4096
#define BUF_BYTES    (64 * 1024)
#define MAX_EVENTS   256
#define WAKE_TAG     UINT64_MAX

enum slow_state {
	SL_CLOSED,     /* no socket; due_ns = when to connect */
	SL_CONNECTING, /* connect in progress */
	SL_HEAD,       /* head: sending, one byte at due_ns */
	SL_RESPONSE,   /* reading a response (read: at due_ns) */
	SL_IDLE,       /* idle: connected, sending nothing */
};

struct slow_conn {
	int fd;
	uint8_t state;
	uint8_t served; /* got a whole response in the window */
	uint8_t closed; /* the server closed it in the window */
	uint8_t opened; /* has connected at least once */
	uint32_t off;   /* head: bytes of the request sent */
	uint64_t due_ns;
	struct resp_http rsp;
};

struct slow {
	struct shared *sh;
	const char *req; /* one request */
	size_t req_len;
	enum slow_mode mode;
	uint64_t step_ns;    /* head: between bytes */
	size_t read_bytes;   /* read: bytes per TICK_NS */
	int n, first_slot;
	int epfd;
	int phase_seen;
	pthread_t thread;
	struct slow_conn *c;
	struct slow_result r;
	_Atomic int n_opened; /* connections that have connected at least once */
	struct epoll_event events[MAX_EVENTS];
	char buf[BUF_BYTES];
};

static void slow_close(struct slow_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = SL_CLOSED;
}

/* The server closed c (or it failed): count it, reconnect at once. */
static void slow_dropped(struct slow *s, struct slow_conn *c, uint64_t now)
{
	s->r.closes++;
	c->closed = 1;
	slow_close(c);
	c->due_ns = now;
}

static void slow_open(struct slow *s, struct slow_conn *c, uint64_t now)
{
	/* SLOW_READ: a small receive window from the start */
	int fd = sched_socket_connect(s->sh, s->first_slot + (int)(c - s->c),
				      s->mode == SLOW_READ ? RCVBUF_BYTES : 0);
	c->due_ns = now + RETRY_NS;
	if (fd < 0) {
		s->r.connect_err++;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.u64 = (uint64_t)(c - s->c)};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		s->r.connect_err++;
		return;
	}
	c->fd = fd;
	c->state = SL_CONNECTING;
}

/* The handshake is done: begin what the mode does. */
static void slow_begin(struct slow *s, struct slow_conn *c, uint64_t now)
{
	if (!c->opened) {
		c->opened = 1;
		atomic_fetch_add(&s->n_opened, 1);
	}
	resp_http_init(&c->rsp);
	c->off = 0;
	c->due_ns = now;
	if (s->mode == SLOW_IDLE) {
		c->state = SL_IDLE;
	} else if (s->mode == SLOW_HEAD) {
		c->state = SL_HEAD;
	} else {
		/* read: the whole request (it fits any send buffer), then the slow reads */
		if (send(c->fd, s->req, s->req_len, MSG_NOSIGNAL) != (ssize_t)s->req_len) {
			slow_dropped(s, c, now);
			return;
		}
		c->state = SL_RESPONSE;
		c->due_ns = now + TICK_NS;
	}
}

/* A whole response came: count it and begin the next request. */
static void slow_response_done(struct slow *s, struct slow_conn *c, uint64_t now)
{
	s->r.responses++;
	c->served = 1;
	if (c->rsp.flags & RESP_F_CLOSE) { /* the server will close: reconnect now */
		slow_close(c);
		c->due_ns = now;
		return;
	}
	slow_begin(s, c, now);
	if (s->mode == SLOW_HEAD)
		c->due_ns = now + s->step_ns;
}

/* Reads up to max bytes of the response; a close or a bad response drops c. */
static void slow_read(struct slow *s, struct slow_conn *c, size_t max, uint64_t now)
{
	while (max > 0) {
		ssize_t n = recv(c->fd, s->buf, max < BUF_BYTES ? max : BUF_BYTES, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			slow_dropped(s, c, now);
			return;
		}
		max -= (size_t)n;
		size_t used;
		int rc = resp_http_feed(&c->rsp, s->buf, (size_t)n, &used);
		if (rc == RESP_BAD || (rc == RESP_DONE && used != (size_t)n)) {
			slow_dropped(s, c, now);
			return;
		}
		if (rc == RESP_DONE) {
			slow_response_done(s, c, now);
			return;
		}
	}
}

/* Input on an idle connection, or a head still being sent: only a close (or
 * an early error response) can come; read it to see which. */
static void slow_input(struct slow *s, struct slow_conn *c, uint64_t now)
{
	ssize_t n = recv(c->fd, s->buf, sizeof(s->buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	slow_dropped(s, c, now); /* closed, or answered (408/400) before the head ended */
}

static void slow_on_event(struct slow *s, struct slow_conn *c, uint32_t ev, uint64_t now)
{
	if (c->state == SL_CONNECTING) {
		if (ev & (EPOLLERR | EPOLLHUP)) {
			slow_close(c);
			s->r.connect_err++;
			c->due_ns = now + RETRY_NS;
			return;
		}
		if (!(ev & EPOLLOUT))
			return;
		slow_begin(s, c, now);
	}
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (c->state == SL_RESPONSE && s->mode == SLOW_HEAD)
		slow_read(s, c, SIZE_MAX, now);
	else if (c->state == SL_IDLE || c->state == SL_HEAD)
		slow_input(s, c, now);
	/* read mode reads on its ticks only; its edge-triggered input events wait */
}

/* Timers: connects, head bytes, read ticks. */
static void slow_due(struct slow *s, struct slow_conn *c, uint64_t now)
{
	if (c->state == SL_CLOSED) {
		slow_open(s, c, now);
	} else if (c->state == SL_HEAD) {
		if (send(c->fd, s->req + c->off, 1, MSG_NOSIGNAL) != 1) {
			if (errno != EAGAIN)
				slow_dropped(s, c, now);
			else
				c->due_ns = now + s->step_ns;
			return;
		}
		c->due_ns = ++c->off == s->req_len ? UINT64_MAX : now + s->step_ns;
		if (c->off == s->req_len)
			c->state = SL_RESPONSE;
	} else if (c->state == SL_RESPONSE && s->mode == SLOW_READ) {
		c->due_ns = now + TICK_NS;
		slow_read(s, c, s->read_bytes, now);
	} else {
		c->due_ns = UINT64_MAX;
	}
}

static int slow_check_phase(struct slow *s)
{
	int phase = atomic_load_explicit(&s->sh->phase, memory_order_acquire);
	if (phase != s->phase_seen && phase == PHASE_MEASURE) {
		struct slow_result keep = {.conns = s->n};
		s->r = keep;
		for (int i = 0; i < s->n; i++)
			s->c[i].served = s->c[i].closed = 0;
	}
	s->phase_seen = phase;
	return phase == PHASE_STOP;
}

static void *slow_main(void *arg)
{
	struct slow *s = arg;
	uint64_t now = now_ns();
	while (!slow_check_phase(s)) {
		uint64_t next = now + IDLE_WAIT_NS;
		for (int i = 0; i < s->n; i++) {
			if (s->c[i].due_ns <= now)
				slow_due(s, &s->c[i], now);
			if (s->c[i].due_ns < next)
				next = s->c[i].due_ns;
		}
		now = now_ns();
		uint64_t ns = next > now ? next - now : 0;
		struct timespec wait = {.tv_sec = (time_t)(ns / 1000000000ull),
					.tv_nsec = (long)(ns % 1000000000ull)};
		int n = epoll_pwait2(s->epfd, s->events, MAX_EVENTS, &wait, NULL);
		now = now_ns();
		for (int i = 0; i < n; i++)
			if (s->events[i].data.u64 != WAKE_TAG)
				slow_on_event(s, &s->c[s->events[i].data.u64], s->events[i].events,
					      now);
	}
	for (int i = 0; i < s->n; i++) {
		s->r.served += s->c[i].served;
		s->r.closed += s->c[i].closed;
		s->r.still_open += s->c[i].fd >= 0 && s->c[i].state != SL_CONNECTING;
		slow_close(&s->c[i]);
	}
	return NULL;
}

struct slow *slow_create(struct shared *sh, const struct opts *o, int first_slot)
{
	struct slow *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sh = sh;
	s->req = sh->req;
	s->req_len = sh->req_len / (size_t)sh->pipeline;
	s->mode = o->slow_mode;
	s->step_ns = o->slow_arg * 1000000ull;
	s->read_bytes = (size_t)(o->slow_arg * TICK_NS / 1000000000ull);
	if (s->read_bytes == 0)
		s->read_bytes = 1; /* below 20 B/s: a byte a tick */
	s->n = o->slow_conns;
	s->first_slot = first_slot;
	s->r.conns = s->n;
	s->phase_seen = atomic_load(&sh->phase);
	s->c = calloc((size_t)s->n, sizeof(*s->c));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = WAKE_TAG};
	if (!s->c || s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, sh->wake_fd, &ev) < 0) {
		slow_destroy(s);
		return NULL;
	}
	for (int i = 0; i < s->n; i++)
		s->c[i].fd = -1; /* SL_CLOSED, due at 0: connect on the first turn */
	return s;
}

int slow_start(struct slow *s)
{
	return pthread_create(&s->thread, NULL, slow_main, s);
}

int slow_wait_open(struct slow *s, uint64_t timeout_ns)
{
	uint64_t end = now_ns() + timeout_ns;
	struct timespec ms = {0, 1000000};
	while (atomic_load(&s->n_opened) < s->n && (uint64_t)now_ns() < end)
		nanosleep(&ms, NULL);
	return atomic_load(&s->n_opened);
}

void slow_finish(struct slow *s, struct slow_result *r)
{
	pthread_join(s->thread, NULL);
	*r = s->r;
}

void slow_destroy(struct slow *s)
{
	if (!s)
		return;
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->c);
	free(s);
}

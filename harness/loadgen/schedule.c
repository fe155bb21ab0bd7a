/* The schedule both load-generator loops share (schedule.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "schedule.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCAN_MAX_NS (10 * 1000000ull) /* timeout scan period, at most */
#define SCAN_MIN_NS (1000000ull)

int sched_socket_connect(const struct shared *sh, int global, int rcvbuf)
{
	int one = 1;
	int fd = socket(sh->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (rcvbuf > 0) /* before connect, so the window is small from the start */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (sh->n_src > 1) {
		int slot = global % sh->n_src;
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&sh->src[slot], sizeof(sh->src[slot])) < 0)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&sh->target, sh->target_len) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static uint64_t scan_period_ns(uint64_t timeout_ns)
{
	uint64_t ns = timeout_ns / 8;
	return ns < SCAN_MIN_NS ? SCAN_MIN_NS : ns > SCAN_MAX_NS ? SCAN_MAX_NS : ns;
}

int sched_init(struct sched *s, struct shared *sh, int id, int first_conn, int n_conns)
{
	s->sh = sh;
	s->id = id;
	s->first_conn = first_conn;
	s->n_conns = n_conns;
	s->deadline_ns = calloc((size_t)n_conns, sizeof(*s->deadline_ns));
	s->served = calloc((size_t)n_conns, sizeof(*s->served));
	s->ring = calloc((size_t)n_conns, sizeof(*s->ring));
	s->think = calloc((size_t)n_conns, sizeof(*s->think));
	s->conns = calloc((size_t)n_conns, sizeof(*s->conns));
	if (!s->deadline_ns || !s->served || !s->ring || !s->think || !s->conns)
		return -1;
	for (int i = 0; i < n_conns; i++)
		s->conns[i].fd = -1;
	if (sh->rate_rps > 0)
		s->interval_ns = (uint64_t)(1e9 * sh->threads / sh->rate_rps + 0.5);
	s->scan_ns = scan_period_ns(sh->timeout_ns);
	s->phase_seen = atomic_load(&sh->phase);
	stats_reset(&s->st);
	return 0;
}

void sched_free(struct sched *s)
{
	free(s->deadline_ns);
	free(s->served);
	free(s->ring);
	free(s->think);
	free(s->conns);
}

/* ---- a connection's requests ---- */

static void request_end(struct sched *s, struct lg_conn *c)
{
	c->busy = 0;
	s->in_flight--;
	s->deadline_ns[sched_index(s, c)] = 0;
}

static int conn_start(struct sched *s, struct lg_conn *c, uint64_t start_ns, uint64_t now);

/* c is free again: closed loop sends its next request (after the think time,
 * if any), open loop parks it. */
static void conn_next(struct sched *s, struct lg_conn *c, uint64_t now)
{
	if (atomic_load_explicit(&s->sh->phase, memory_order_relaxed) == PHASE_STOP)
		return;
	if (sched_open_loop(s))
		sched_ring_push(s, sched_index(s, c));
	else if (s->sh->think_ns)
		sched_think_push(s, sched_index(s, c), now + s->sh->think_ns);
	else
		conn_start(s, c, now, now);
}

void sched_connected(struct sched *s, struct lg_conn *c, uint64_t now)
{
	c->connected = 1;
	if (!c->opened) {
		c->opened = 1;
		if (++s->n_opened == s->n_conns)
			s->all_open_ns = now;
	}
	if (c->busy)
		s->deadline_ns[sched_index(s, c)] = now + s->sh->timeout_ns;
}

void sched_fail(struct sched *s, struct lg_conn *c, enum err_kind kind, uint64_t now)
{
	if (c->busy) {
		s->st.err[kind] += c->pending;
		request_end(s, c);
	}
	s->close(s->loop, c);
	if (kind == ERR_CONNECT) {
		c->state = CS_BACKOFF;
		s->deadline_ns[sched_index(s, c)] = now + SCHED_BACKOFF_NS;
		return;
	}
	conn_next(s, c, now);
}

void sched_count(struct sched *s, struct lg_conn *c, unsigned status, uint64_t now)
{
	c->pending--;
	if (status >= 200 && status < 300) {
		s->st.requests++;
		s->served[sched_index(s, c)]++;
		hist_record(&s->st.hist, (now - c->start_ns + 500) / 1000);
	} else {
		s->st.err[ERR_STATUS]++;
	}
}

void sched_done(struct sched *s, struct lg_conn *c, unsigned status, int server_close, uint64_t now)
{
	sched_count(s, c, status, now);
	request_end(s, c);
	if (!s->sh->keepalive || server_close)
		s->close(s->loop, c);
	else
		c->state = CS_READY;
	conn_next(s, c, now);
}

/* Takes a ticket for the next request (-n); 0 when none is left. */
static int ticket_take(struct sched *s)
{
	struct shared *sh = s->sh;
	if (!sh->max_requests)
		return 1;
	if (s->out_of_tickets ||
	    atomic_fetch_add(&sh->tickets, (uint64_t)sh->pipeline) >= sh->max_requests) {
		s->out_of_tickets = 1;
		return 0;
	}
	return 1;
}

/* Begins a request whose latency counts from start_ns: 0 when no ticket is
 * left, 2 when it began a connect, else 1. */
static int conn_start(struct sched *s, struct lg_conn *c, uint64_t start_ns, uint64_t now)
{
	const struct shared *sh = s->sh;
	if (!ticket_take(s))
		return 0;
	int connects = c->fd < 0;
	c->busy = 1;
	c->pending = sh->proto == PROTO_HTTP ? (uint16_t)sh->pipeline : 1;
	s->in_flight++;
	c->start_ns = start_ns;
	s->deadline_ns[sched_index(s, c)] =
	    now + (connects ? sh->connect_timeout_ns : sh->timeout_ns);
	if (connects && s->open(s->loop, c) < 0) {
		sched_fail(s, c, ERR_CONNECT, now);
		return 2;
	}
	if (sh->proto == PROTO_DAYTIME) {
		resp_day_init(&c->rsp.day);
		c->state = CS_READING;
		return 1 + connects;
	}
	resp_http_init(&c->rsp.http);
	c->wr_off = 0;
	c->state = CS_WRITING;
	s->send(s->loop, c, now);
	return 1 + connects;
}

/* c's deadline passed: a back-off ends, a request in flight times out. */
static void conn_expire(struct sched *s, struct lg_conn *c, uint64_t now)
{
	if (c->state == CS_BACKOFF) {
		c->state = CS_CLOSED;
		conn_next(s, c, now);
	} else if (c->busy) {
		sched_fail(s, c, c->connected ? ERR_TIMEOUT : ERR_CONNECT, now);
	}
}

/* Think times that are over: start those connections' next requests (their
 * latency counts from now, the think time excluded).  Connects are bounded
 * per turn as in the ramp; the rest wait for the next turn. */
static void wake_thinkers(struct sched *s, uint64_t now)
{
	uint64_t begin = now;
	while (s->think_count > 0 && s->think[s->think_head].wake_ns <= now && !s->out_of_tickets) {
		int i = s->think[s->think_head].conn;
		s->think_head = (s->think_head + 1) % s->n_conns;
		s->think_count--;
		if (conn_start(s, &s->conns[i], now, now) == 2) {
			now = now_ns();
			if (now - begin >= SCHED_RAMP_BUDGET_NS)
				return;
		}
	}
}

/* Open loop: send every request whose intended time has come, while a
 * connection is free; the rest wait with their intended times kept. */
static void dispatch(struct sched *s, uint64_t now)
{
	while (s->next_send_ns <= now && s->ring_count > 0) {
		int i = s->ring[s->ring_head];
		s->ring_head = (s->ring_head + 1) % s->n_conns;
		s->ring_count--;
		if (!conn_start(s, &s->conns[i], s->next_send_ns, now)) { /* back to the front */
			s->ring_head = (s->ring_head + s->n_conns - 1) % s->n_conns;
			s->ring_count++;
			return;
		}
		s->next_send_ns += s->interval_ns;
		now = now_ns(); /* a connect may have taken a while */
	}
}

static void scan(struct sched *s, uint64_t now)
{
	for (int i = 0; i < s->n_conns; i++) {
		uint64_t d = s->deadline_ns[i];
		if (d && d <= now) {
			s->deadline_ns[i] = 0;
			conn_expire(s, &s->conns[i],
				    now_ns()); /* it may reconnect: a fresh clock */
		}
	}
	s->next_scan_ns = now + s->scan_ns;
}

/* Closed loop: start the connections a batch per loop turn, serving the ones
 * already open in between, so thousands of connects neither starve the first
 * connections nor age their clocks. */
static void ramp(struct sched *s)
{
	int end = s->n_started + SCHED_RAMP_PER_LOOP < s->n_conns
		      ? s->n_started + SCHED_RAMP_PER_LOOP
		      : s->n_conns;
	uint64_t begin = now_ns(), now = begin;
	while (s->n_started < end && !s->out_of_tickets && now - begin < SCHED_RAMP_BUDGET_NS) {
		conn_start(s, &s->conns[s->n_started++], now, now);
		now = now_ns();
	}
	if (s->out_of_tickets)
		s->n_started = s->n_conns;
}

void sched_begin(struct sched *s, uint64_t now)
{
	s->next_scan_ns = now + s->scan_ns;
	if (sched_open_loop(s)) {
		/* stagger the threads' schedules so their sends interleave */
		s->next_send_ns = now + s->interval_ns * (uint64_t)s->id / (uint64_t)s->sh->threads;
		for (int i = 0; i < s->n_conns; i++)
			sched_ring_push(s, i);
		s->n_started = s->n_conns;
	} else if (s->sh->think_ns) {
		/* first requests spread over one think time, so the connections
		 * do not move in lockstep; this is also the ramp */
		for (int i = 0; i < s->n_conns; i++)
			sched_think_push(
			    s, i, now + s->sh->think_ns * (uint64_t)i / (uint64_t)s->n_conns);
		s->n_started = s->n_conns;
	}
}

int sched_check_phase(struct sched *s)
{
	int phase = atomic_load_explicit(&s->sh->phase, memory_order_acquire);
	if (phase != s->phase_seen) {
		if (phase == PHASE_MEASURE) {
			stats_reset(&s->st);
			memset(s->served, 0, (size_t)s->n_conns * sizeof(*s->served));
		}
		s->phase_seen = phase;
	}
	return phase == PHASE_STOP || (s->out_of_tickets && s->in_flight == 0);
}

uint64_t sched_wait_ns(const struct sched *s, uint64_t now)
{
	uint64_t until = s->next_scan_ns;
	if (sched_open_loop(s) && s->ring_count > 0 && !s->out_of_tickets &&
	    s->next_send_ns < until)
		until = s->next_send_ns;
	if (s->think_count > 0 && !s->out_of_tickets && s->think[s->think_head].wake_ns < until)
		until = s->think[s->think_head].wake_ns;
	if (s->n_started < s->n_conns)
		until = now; /* still ramping up: just collect what is ready */
	return until > now ? until - now : 0;
}

uint64_t sched_turn(struct sched *s)
{
	if (s->n_started < s->n_conns)
		ramp(s);
	uint64_t now = now_ns();
	if (now >= s->next_scan_ns)
		scan(s, now);
	if (sched_open_loop(s))
		dispatch(s, now);
	else if (s->think_count > 0)
		wake_thinkers(s, now);
	return now;
}

/* Open loop, at the end: requests whose intended send time passed more than
 * --timeout ago, and that never found a free connection, are timeouts; left
 * uncounted they would vanish from the report (and take the worst corrected
 * latencies with them). */
static void count_overdue(struct sched *s)
{
	uint64_t now = now_ns();
	if (!sched_open_loop(s) || s->out_of_tickets || s->interval_ns == 0 ||
	    now < s->sh->timeout_ns || s->next_send_ns > now - s->sh->timeout_ns)
		return;
	s->st.err[ERR_TIMEOUT] += (now - s->sh->timeout_ns - s->next_send_ns) / s->interval_ns + 1;
}

void sched_end(struct sched *s)
{
	count_overdue(s);
	for (int i = 0; i < s->n_conns; i++)
		stats_add_conn(&s->st, s->served[i]);
}

void sched_leave(struct sched *s)
{
	if (atomic_fetch_sub(&s->sh->running, 1) == 1)
		pthread_kill(s->sh->main_thread, SIGUSR1); /* the last one out tells main */
}

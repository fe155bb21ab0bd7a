/* The load generator's schedule, shared by its two loops (worker.c's epoll
 * loop, uring_worker.c's io_uring loop): which connection sends when, and how
 * a request's outcome is counted.  Each loop keeps only its I/O.
 *
 * Closed loop (no -R): every connection sends its next request as soon as the
 * previous response is complete; the connections are opened a batch per loop
 * turn (at most SCHED_RAMP_PER_LOOP or SCHED_RAMP_BUDGET_NS), serving the open
 * ones in between.  Open loop (-R): the thread owns rate/threads requests per
 * second at fixed intended times; a request goes out on the longest-idle
 * connection (the idle ring), and when none is idle it waits (its latency
 * grows) rather than being dropped.  --think-ms (closed loop): a connection
 * whose request ended waits in a FIFO (all wait the same time, so it is the
 * timer queue) before its next request; the first requests are spread over
 * one think time, which is also the ramp.
 *
 * Connections are named by their index in the loop's own array; the loop
 * gives two calls: start (begin a request on connection i) and expire (its
 * deadline, a timeout or the end of a back-off, has passed). */
#ifndef LOADGEN_SCHEDULE_H
#define LOADGEN_SCHEDULE_H

#include <stdint.h>
#include <time.h>

#include "worker.h"

#define SCHED_BACKOFF_NS     (10 * 1000000ull) /* after a connect error */
#define SCHED_RAMP_PER_LOOP  256               /* closed loop: connections started per loop turn, */
#define SCHED_RAMP_BUDGET_NS 5000000ull /* or fewer if their connects take longer than this */

/* The loop's connection states (the schedule reads CS_BACKOFF's meaning only
 * through expire). */
enum conn_state {
	CS_CLOSED,  /* no socket */
	CS_WRITING, /* request being sent (or connect still in progress) */
	CS_READING, /* waiting for the response */
	CS_READY,   /* connected, idle (keep-alive, open loop) */
	CS_BACKOFF, /* waiting to retry after a connect error */
};

struct sched_think {
	int conn;
	uint64_t wake_ns;
};

struct sched {
	struct shared *sh;
	int id;
	int first_conn;
	int n_conns;
	uint64_t *deadline_ns; /* per connection: request timeout or retry time; 0 = none */
	uint64_t *served;      /* per connection: requests counted in the window (fairness) */
	int *ring;             /* open loop: idle connections, oldest first */
	int ring_head, ring_count;
	struct sched_think *think; /* --think-ms: thinking connections, earliest wake first */
	int think_head, think_count;
	int in_flight;
	int n_started;        /* closed loop: connections started so far (ramp) */
	int n_opened;         /* connections that have connected at least once */
	uint64_t all_open_ns; /* when the last of them first connected; 0 = not yet */
	int out_of_tickets;
	int phase_seen;
	uint64_t interval_ns; /* open loop: between this thread's intended sends */
	uint64_t next_send_ns;
	uint64_t scan_ns; /* timeout scan period */
	uint64_t next_scan_ns;
	struct stats st;
	/* the loop's: begin a request on i, its latency from start_ns: 0 when no
	 * ticket is left, 2 when it began a connect, else 1 */
	int (*start)(void *loop, int i, uint64_t start_ns, uint64_t now);
	void (*expire)(void *loop, int i, uint64_t now); /* i's deadline (already cleared) passed */
	void *loop;
};

static inline uint64_t sched_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 0, or -1 when out of memory. */
int sched_init(struct sched *s, struct shared *sh, int id, int first_conn, int n_conns);
void sched_free(struct sched *s);

/* A non-blocking socket to the target, its connect begun (connection number
 * `global` picks the source address); rcvbuf > 0 sets SO_RCVBUF first.
 * The fd, or -1 with errno set. */
int sched_socket_connect(const struct shared *sh, int global, int rcvbuf);

static inline int sched_open_loop(const struct sched *s)
{
	return s->sh->rate_rps > 0;
}

/* Takes a ticket for the next request (-n); 0 when none is left. */
static inline int sched_ticket(struct sched *s)
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

/* A request begins on i (fd_open: it has a socket already). */
static inline void sched_request_begin(struct sched *s, int i, int fd_open, uint64_t now)
{
	s->in_flight++;
	s->deadline_ns[i] = now + (fd_open ? s->sh->timeout_ns : s->sh->connect_timeout_ns);
}

static inline void sched_request_end(struct sched *s, int i)
{
	s->in_flight--;
	s->deadline_ns[i] = 0;
}

/* i's handshake is done (first_time: its first ever); a request in flight
 * gets its own timeout from now (wrk's rule; a connect has the longer connect
 * timeout, so a burst of connects that overflows the server's listen queue is
 * waited out, not torn down). */
static inline void sched_connected(struct sched *s, int i, int first_time, int busy, uint64_t now)
{
	if (first_time && ++s->n_opened == s->n_conns)
		s->all_open_ns = now;
	if (busy)
		s->deadline_ns[i] = now + s->sh->timeout_ns;
}

/* A connect error on i: it retries after the back-off. */
static inline void sched_backoff(struct sched *s, int i, uint64_t now)
{
	s->deadline_ns[i] = now + SCHED_BACKOFF_NS;
}

/* One response on i ended with `status`; its latency from start_ns. */
static inline void sched_count(struct sched *s, int i, unsigned status, uint64_t start_ns,
			       uint64_t now)
{
	if (status >= 200 && status < 300) {
		s->st.requests++;
		s->served[i]++;
		hist_record(&s->st.hist, (now - start_ns + 500) / 1000);
	} else {
		s->st.err[ERR_STATUS]++;
	}
}

static inline void sched_ring_push(struct sched *s, int i)
{
	s->ring[(s->ring_head + s->ring_count) % s->n_conns] = i;
	s->ring_count++;
}

static inline void sched_think_push(struct sched *s, int i, uint64_t wake_ns)
{
	int tail = (s->think_head + s->think_count) % s->n_conns;
	s->think[tail] = (struct sched_think){.conn = i, .wake_ns = wake_ns};
	s->think_count++;
}

/* i is free again: nonzero when its next request must start now (closed
 * loop); else it is parked (open loop), thinking, or the run is stopping. */
static inline int sched_next(struct sched *s, int i, uint64_t now)
{
	if (atomic_load_explicit(&s->sh->phase, memory_order_relaxed) == PHASE_STOP)
		return 0;
	if (sched_open_loop(s))
		sched_ring_push(s, i);
	else if (s->sh->think_ns)
		sched_think_push(s, i, now + s->sh->think_ns);
	else
		return 1;
	return 0;
}

/* The loop's turn, around its wait for I/O: */
void sched_begin(struct sched *s, uint64_t now);             /* before the first turn */
int sched_check_phase(struct sched *s);                      /* nonzero: the loop must end */
uint64_t sched_wait_ns(const struct sched *s, uint64_t now); /* how long it may wait */
uint64_t sched_turn(struct sched *s); /* after the I/O of a turn; the clock it read */
/* At the end: overdue open-loop requests, per-connection counts; then, once
 * the loop's sockets are closed, sched_leave tells main when it is the last. */
void sched_end(struct sched *s);
void sched_leave(struct sched *s);

#endif

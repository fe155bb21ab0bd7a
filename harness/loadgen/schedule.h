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
 * The connections (struct lg_conn) are the schedule's; the loop gives three
 * calls, its I/O: open, close and send; it reports what it reads through
 * sched_connected, sched_count, sched_done and sched_fail. */
#ifndef LOADGEN_SCHEDULE_H
#define LOADGEN_SCHEDULE_H

#include <stdint.h>

#include "clock.h" /* now_ns: the monotonic clock of the servers too */
#include "resp.h"
#include "worker.h"

#define SCHED_BACKOFF_NS     (10 * 1000000ull) /* after a connect error */
#define SCHED_RAMP_PER_LOOP  256               /* closed loop: connections started per loop turn, */
#define SCHED_RAMP_BUDGET_NS 5000000ull /* or fewer if their connects take longer than this */

/* A connection's state. */
enum conn_state {
	CS_CLOSED,  /* no socket */
	CS_WRITING, /* request being sent (or connect still in progress) */
	CS_READING, /* waiting for the response */
	CS_READY,   /* connected, idle (keep-alive, open loop) */
	CS_BACKOFF, /* waiting to retry after a connect error */
};

/* A connection, as both loops keep it. */
struct lg_conn {
	int fd;
	uint8_t state;
	uint8_t connected; /* the TCP handshake is known to be done */
	uint8_t busy;      /* a request is in flight */
	uint8_t opened;    /* has been connected at least once */
	uint8_t recv_on;   /* io_uring: the multishot receive is armed */
	uint16_t pending;  /* responses still due for the batch in flight (--pipeline) */
	uint32_t gen;      /* bumped on every close */
	uint32_t wr_off;
	uint64_t start_ns; /* latency origin of the request in flight */
	union {
		struct resp_http http;
		struct resp_day day;
	} rsp;
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
	struct lg_conn *conns;
	/* the loop's I/O: open (a connect begun, c->fd set; 0, or -1), close
	 * (c->fd = -1, gen bumped, connected cleared, state CS_CLOSED), send
	 * (the request from c->wr_off on; may fail c) */
	int (*open)(void *loop, struct lg_conn *c);
	void (*close)(void *loop, struct lg_conn *c);
	void (*send)(void *loop, struct lg_conn *c, uint64_t now);
	void *loop;
};

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

static inline int sched_index(const struct sched *s, const struct lg_conn *c)
{
	return (int)(c - s->conns);
}

/* c's handshake is done: a request in flight gets its own timeout from now
 * (wrk's rule; a connect has the longer connect timeout, so a burst of
 * connects that overflows the server's listen queue is waited out, not torn
 * down). */
void sched_connected(struct sched *s, struct lg_conn *c, uint64_t now);
/* The request in flight on c failed with `kind` (one error for each response
 * still due); the connection is dropped. */
void sched_fail(struct sched *s, struct lg_conn *c, enum err_kind kind, uint64_t now);
/* One response of the batch in flight ended with `status`. */
void sched_count(struct sched *s, struct lg_conn *c, unsigned status, uint64_t now);
/* The batch's last response ended with `status`. */
void sched_done(struct sched *s, struct lg_conn *c, unsigned status, int server_close,
		uint64_t now);

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

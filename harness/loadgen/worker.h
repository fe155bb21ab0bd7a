/* One load-generator thread: an epoll loop over its share of the connections.
 *
 * Shared settings (struct shared) are written by main before the threads start
 * and only read afterwards, except the atomics at its end.  Each worker keeps
 * its own counters and histogram; main merges them after the workers end. */
#ifndef LOADGEN_WORKER_H
#define LOADGEN_WORKER_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "opts.h"
#include "stats.h"

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

#define SRC_ADDRS_MAX 254

struct shared {
	enum proto proto;
	int keepalive;
	const char *req; /* the precomputed HTTP request, `pipeline` copies of it */
	size_t req_len;  /* of all the copies */
	int pipeline;    /* requests sent together per connection (--pipeline) */
	struct sockaddr_storage target;
	socklen_t target_len;
	struct sockaddr_in src[SRC_ADDRS_MAX]; /* source addresses; used when n_src > 1 */
	int n_src;
	uint64_t timeout_ns;         /* a request, from its handshake (or send, on keep-alive) */
	uint64_t connect_timeout_ns; /* a handshake */
	double rate_rps;             /* total; 0 = closed loop */
	uint64_t think_ns;           /* closed loop: pause between a request's end and the next */
	int threads;
	uint64_t max_requests; /* 0 = unlimited */
	int wake_fd;           /* eventfd: written on every phase change */
	pthread_t main_thread; /* gets SIGUSR1 when the last worker ends on its own */
	_Atomic int phase;
	_Atomic uint64_t tickets; /* requests started, counted only with max_requests */
	_Atomic int running;
};

struct worker;

/* Worker id of sh->threads, owning global connections [first_conn, first_conn + n_conns). */
struct worker *worker_create(struct shared *sh, int id, int first_conn, int n_conns);
int worker_start(struct worker *w);
void worker_join(struct worker *w);
const struct stats *worker_stats(const struct worker *w);
/* Requests each of its connections completed in the window, into out[0..n_conns). */
void worker_conn_requests(const struct worker *w, uint64_t *out);
/* Connections that ever connected; *all_open_ns: when all had (0 = never). */
int worker_opened(const struct worker *w, uint64_t *all_open_ns);
void worker_destroy(struct worker *w);

/* The same seven calls for either loop (--io): worker.c's epoll loop, or
 * uring_worker.c's io_uring loop (which has its own struct worker). */
struct worker_ops {
	struct worker *(*create)(struct shared *sh, int id, int first_conn, int n_conns);
	int (*start)(struct worker *w);
	void (*join)(struct worker *w);
	const struct stats *(*stats)(const struct worker *w);
	void (*conn_requests)(const struct worker *w, uint64_t *out);
	int (*opened)(const struct worker *w, uint64_t *all_open_ns);
	void (*destroy)(struct worker *w);
};
extern const struct worker_ops uring_worker_ops;
/* 0 where this process may have an io_uring; else -errno (EPERM, ENOSYS). */
int uring_worker_probe(void);

#endif

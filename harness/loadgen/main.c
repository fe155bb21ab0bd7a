/* bin/loadgen: the suite's HTTP and daytime load generator.
 *
 * wrk's -c -t -d, plus an open loop (-R, coordinated omission corrected), a new
 * connection per request (--close), daytime://, a warmup, per-request timeouts,
 * response validation with errors counted by kind, and a runs.csv row (--csv).
 * Threads each run an epoll loop over their share of the connections (worker.c),
 * or with --io uring an io_uring loop (uring_worker.c).
 * main resolves the target, builds the one request every connection sends,
 * starts the threads, then only waits: for the warmup to end (it resets the
 * counters), for -d, for SIGINT/SIGTERM (stop early, report what was measured,
 * exit 0) or for the workers to finish --requests.  --start-at delays all of it
 * to a CLOCK_REALTIME moment (clients on several hosts start together);
 * --hist-out writes what was counted to a file and --merge adds such files up
 * (histfile.c).  --pipeline N sends N copies of the request together
 * (worker.c); --slow K:... runs K slow connections on a thread of their own
 * (slow.c), counted apart.  Limits: IPv4 source-address spreading only. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "histfile.h"
#include "opts.h"
#include "report.h"
#include "slow.h"
#include "worker.h"

#define PORTS_FALLBACK         28232                /* ephemeral ports when /proc does not say */
#define FD_RESERVE             32                   /* stdio, epoll and event fds, the resolver */
#define CONNECT_TIMEOUT_MIN_NS (10 * 1000000000ull) /* SYN retries at 1 s, 3 s, 7 s fit */
#define START_LATE_MAX_S       0.5                  /* --start-at this far in the past: refused */
#define SLOW_OPEN_WAIT_NS      (1000000000ull)      /* --slow: the normal connections start then at the latest */

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* Raise the soft fd limit to the hard one; exit 2 if -c still cannot fit. */
static void fds_ensure(const struct opts *o)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	unsigned long long need = (unsigned long long)o->conns + (unsigned)o->slow_conns +
				  2ull * (unsigned)o->threads + FD_RESERVE;
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		die_usage("-c %d: needs about %llu file descriptors but the limit is %llu (raise "
			  "ulimit -n, "
			  "or use fewer connections)",
			  o->conns, need, (unsigned long long)rl.rlim_cur);
}

static void target_resolve(const struct opts *o, struct shared *sh)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(o->host, o->port, &hints, &res);
	if (rc != 0)
		die_usage("URL '%s': cannot resolve '%s': %s", o->url, o->host, gai_strerror(rc));
	memcpy(&sh->target, res->ai_addr, res->ai_addrlen);
	sh->target_len = res->ai_addrlen;
	freeaddrinfo(res);
	struct sockaddr_in *sin = (struct sockaddr_in *)&sh->target;
	if (sh->target.ss_family == AF_INET && sin->sin_addr.s_addr == htonl(INADDR_ANY))
		sin->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK); /* a server on 0.0.0.0, reached locally */
}

static int target_is_loopback(const struct shared *sh)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&sh->target;
	return sh->target.ss_family == AF_INET && (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

/* Connections one source address should carry to one target.  connect()
 * takes even ports first and, once they are all in use, searches every one of
 * them on each new connect: past half the ephemeral range a connect costs
 * milliseconds (seen here from ~14000 connections).  A quarter of the range
 * keeps the search short, with room for TIME_WAIT left by the previous run. */
static int conns_per_source(void)
{
	int lo = 0, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%d %d", &lo, &hi) != 2)
			lo = hi = 0;
		fclose(f);
	}
	int ports = hi > lo ? hi - lo + 1 : PORTS_FALLBACK;
	return ports / 4 > 0 ? ports / 4 : 1;
}

/* --src-addrs: 127.0.0.1..127.0.0.N as source addresses for a loopback target. */
static void sources_setup(const struct opts *o, struct shared *sh)
{
	int n = o->src_addrs;
	if (n == 0) {
		int per_src = conns_per_source();
		n = (o->conns + o->slow_conns + per_src - 1) / per_src;
		if (!target_is_loopback(sh) || n < 1)
			n = 1;
	} else if (n > 1 && !target_is_loopback(sh)) {
		die_usage("--src-addrs %d: needs a 127.0.0.1 or 0.0.0.0 target, not '%s'", n,
			  o->host);
	}
	if (n > SRC_ADDRS_MAX)
		die_usage("-c %d: would need %d source addresses, at most %d", o->conns, n,
			  SRC_ADDRS_MAX);
	sh->n_src = n;
	for (int i = 0; i < n; i++) {
		sh->src[i].sin_family = AF_INET;
		sh->src[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)i);
	}
}

static int has_header(const struct opts *o, const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < o->n_headers; i++)
		if (strncasecmp(o->headers[i], name, len) == 0 && o->headers[i][len] == ':')
			return 1;
	return 0;
}

/* The one request every connection sends, built once. */
static char *request_build(const struct opts *o, size_t *len)
{
	size_t cap = strlen(o->path) + strlen(o->host) + 128;
	for (int i = 0; i < o->n_headers; i++)
		cap += strlen(o->headers[i]) + 2;
	char *req = malloc(cap);
	if (!req)
		die_usage("out of memory");
	int n = snprintf(req, cap, "GET %s HTTP/1.1\r\n", o->path);
	if (!has_header(o, "Host"))
		n += snprintf(req + n, cap - (size_t)n,
			      strchr(o->host, ':') ? "Host: [%s]:%s\r\n" : "Host: %s:%s\r\n",
			      o->host, o->port);
	for (int i = 0; i < o->n_headers; i++)
		n += snprintf(req + n, cap - (size_t)n, "%s\r\n", o->headers[i]);
	if (o->close_each && !has_header(o, "Connection"))
		n += snprintf(req + n, cap - (size_t)n, "Connection: close\r\n");
	n += snprintf(req + n, cap - (size_t)n, "\r\n");
	*len = (size_t)n;
	return req;
}

/* --pipeline N: the request N times over, sent as one buffer. */
static char *request_pipeline(char *req, size_t *len, int n)
{
	if (n == 1)
		return req;
	char *all = malloc(*len * (size_t)n);
	if (!all)
		die_usage("out of memory");
	for (int i = 0; i < n; i++)
		memcpy(all + *len * (size_t)i, req, *len);
	free(req);
	*len *= (size_t)n;
	return all;
}

static void shared_setup(const struct opts *o, struct shared *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->proto = o->proto;
	sh->keepalive = o->proto == PROTO_HTTP && !o->close_each;
	sh->timeout_ns = o->timeout_ms * 1000000ull;
	sh->connect_timeout_ns =
	    sh->timeout_ns > CONNECT_TIMEOUT_MIN_NS ? sh->timeout_ns : CONNECT_TIMEOUT_MIN_NS;
	sh->rate_rps = o->rate_rps;
	sh->think_ns = o->think_ms * 1000000ull;
	sh->threads = o->threads;
	sh->max_requests = o->max_requests;
	sh->main_thread = pthread_self();
	atomic_init(&sh->phase, o->warmup_ms ? PHASE_WARMUP : PHASE_MEASURE);
	atomic_init(&sh->tickets, 0);
	atomic_init(&sh->running, o->threads);
	target_resolve(o, sh);
	sources_setup(o, sh);
	sh->pipeline = o->pipeline;
	if (o->proto == PROTO_HTTP)
		sh->req = request_pipeline(request_build(o, &sh->req_len), &sh->req_len, o->pipeline);
	sh->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sh->wake_fd < 0)
		die_usage("eventfd: %s", strerror(errno));
}

static void phase_set(struct shared *sh, int phase)
{
	uint64_t one = 1;
	atomic_store_explicit(&sh->phase, phase, memory_order_release);
	if (write(sh->wake_fd, &one, sizeof(one)) <
	    0) /* wakes every worker once (edge-triggered) */
		fprintf(stderr, "loadgen: eventfd write: %s\n", strerror(errno));
}

enum wait_end { WAIT_TIME, WAIT_STOP_SIGNAL, WAIT_WORKERS_DONE };

/* Waits until deadline_ns (0 = forever) or a signal blocked in every thread. */
static enum wait_end wait_until(const sigset_t *set, uint64_t deadline_ns)
{
	for (;;) {
		struct timespec ts, *tsp = NULL;
		if (deadline_ns) {
			uint64_t now = now_ns();
			if (now >= deadline_ns)
				return WAIT_TIME;
			uint64_t left = deadline_ns - now;
			ts = (struct timespec){.tv_sec = (time_t)(left / 1000000000ull),
					       .tv_nsec = (long)(left % 1000000000ull)};
			tsp = &ts;
		}
		int sig = sigtimedwait(set, NULL, tsp);
		if (sig == SIGUSR1)
			return WAIT_WORKERS_DONE;
		if (sig == SIGINT || sig == SIGTERM)
			return WAIT_STOP_SIGNAL;
	}
}

/* Now as ISO 8601 UTC into out; returns CLOCK_REALTIME seconds. */
static double utc_now(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double realtime_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --start-at: wait for that CLOCK_REALTIME moment; returns how late we are
 * then.  Refuses (exit 2) a moment long past; a stop signal meanwhile ends
 * the run with nothing measured. */
static double start_at_wait(const struct opts *o, const sigset_t *set)
{
	double late = realtime_s() - o->start_at;
	if (late > START_LATE_MAX_S)
		die_usage("--start-at %.3f: that moment passed %.3f s ago (clocks out of step, or "
			  "the start was handed over too late)",
			  o->start_at, late);
	while (late < 0) {
		uint64_t left_ns = (uint64_t)(-late * 1e9);
		if (wait_until(set, now_ns() + (left_ns ? left_ns : 1)) == WAIT_STOP_SIGNAL) {
			fprintf(stderr, "loadgen: stopped before --start-at: nothing measured\n");
			exit(0);
		}
		late = realtime_s() - o->start_at;
	}
	return late;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static const struct worker_ops epoll_worker_ops = {
    worker_create, worker_start,  worker_join,    worker_stats,
    worker_conn_requests, worker_opened, worker_destroy,
};
static const struct worker_ops *ops = &epoll_worker_ops; /* --io */

/* --io uring where the kernel refuses io_uring: say so and exit 2 (no fallback:
 * a run must be the client it says it is). */
static void io_select(const struct opts *o)
{
	if (o->io != IO_URING)
		return;
	int rc = uring_worker_probe();
	if (rc < 0)
		die_usage("--io uring: io_uring refused here (%s%s); use --io epoll", strerror(-rc),
			  rc == -EPERM || rc == -ENOSYS ? ": seccomp or kernel.io_uring_disabled" : "");
	ops = &uring_worker_ops;
}

static struct worker **workers_start(const struct opts *o, struct shared *sh)
{
	struct worker **ws = calloc((size_t)o->threads, sizeof(*ws));
	int first = 0;
	for (int t = 0; ws && t < o->threads; t++) {
		int n = o->conns / o->threads + (t < o->conns % o->threads);
		ws[t] = ops->create(sh, t, first, n);
		if (!ws[t])
			die_usage("cannot set up thread %d: %s", t, strerror(errno));
		first += n;
	}
	for (int t = 0; ws && t < o->threads; t++)
		if (ops->start(ws[t]) != 0)
			die_usage("cannot start thread %d", t);
	if (!ws)
		die_usage("out of memory");
	return ws;
}

/* Runs the phases; fills the timing part of r. */
static void run_phases(const struct opts *o, struct shared *sh, struct run_result *r,
		       const sigset_t *set)
{
	enum wait_end end = WAIT_TIME;
	if (o->warmup_ms)
		end = wait_until(set, now_ns() + o->warmup_ms * 1000000ull);
	uint64_t start_ns = now_ns();
	double cpu0 = cpu_seconds();
	r->window_start_s = utc_now(r->started_utc, sizeof(r->started_utc));
	if (o->warmup_ms && end == WAIT_TIME)
		phase_set(sh, PHASE_MEASURE);
	r->measured = end == WAIT_TIME; /* stopped during the warmup: nothing measured */
	if (end == WAIT_TIME)
		end = wait_until(set, o->duration_ms ? start_ns + o->duration_ms * 1000000ull : 0);
	phase_set(sh, PHASE_STOP);
	r->duration_s = (double)(now_ns() - start_ns) / 1e9;
	r->cpu_s = cpu_seconds() - cpu0;
	r->interrupted = end == WAIT_STOP_SIGNAL;
}

/* Joins the workers and gathers their counts into r. */
static void workers_finish(const struct opts *o, struct worker **ws, struct run_result *r,
			   uint64_t launch_ns)
{
	r->open_s = 0.0;
	r->conn_requests = calloc((size_t)o->conns, sizeof(uint64_t));
	if (!r->conn_requests)
		die_usage("out of memory");
	for (int t = 0, first = 0; t < o->threads; t++) {
		uint64_t all_open_ns;
		ops->join(ws[t]);
		r->conns_opened += ops->opened(ws[t], &all_open_ns);
		if (all_open_ns == 0 || r->open_s < 0)
			r->open_s = -1.0;
		else if ((double)(all_open_ns - launch_ns) / 1e9 > r->open_s)
			r->open_s = (double)(all_open_ns - launch_ns) / 1e9;
		if (r->measured) {
			stats_merge(&r->total, ops->stats(ws[t]));
			ops->conn_requests(ws[t], r->conn_requests + first);
		}
		first += o->conns / o->threads + (t < o->conns % o->threads);
		ops->destroy(ws[t]);
	}
	free(ws);
}

static void output_write(const struct opts *o, const struct run_result *r)
{
	report_summary(stderr, r);
	if (o->csv)
		report_csv(stdout, r);
	if (o->hist_out && histfile_write(o->hist_out, r) < 0) {
		fprintf(stderr, "loadgen: --hist-out %s: %s\n", o->hist_out, strerror(errno));
		exit(1);
	}
}

/* A --hist-out FILE that cannot be created fails now, not after the run. */
static void hist_out_check(const struct opts *o)
{
	FILE *f = o->hist_out ? fopen(o->hist_out, "w") : NULL;
	if (o->hist_out && !f)
		die_usage("--hist-out %s: %s", o->hist_out, strerror(errno));
	if (f)
		fclose(f);
}

/* --merge F1 F2 ...: one summary (and row, and file) for the runs together. */
static int merge_main(const struct opts *o)
{
	static struct histfile all, one;
	char err[512];
	histfile_init(&all);
	for (int i = 0; i < o->n_files; i++) {
		if (histfile_read(o->files[i], &one, err, sizeof(err)) < 0 ||
		    histfile_merge(&all, &one, err, sizeof(err)) < 0) {
			fprintf(stderr, "loadgen: --merge: %s\n", err);
			return 2;
		}
		histfile_free(&one);
	}
	all.o.csv = o->csv;
	all.o.hist_out = o->hist_out;
	output_write(&all.o, &all.r);
	histfile_free(&all);
	return 0;
}

int main(int argc, char **argv)
{
	static struct opts o;
	static struct shared sh;
	static struct run_result r;
	sigset_t set;

	opts_parse(&o, argc, argv);
	if (o.merge)
		return merge_main(&o);
	hist_out_check(&o);
	io_select(&o);
	fds_ensure(&o);
	shared_setup(&o, &sh);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set,
			NULL); /* the workers inherit it; main takes them in sigtimedwait */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* open-loop sends on time, not 50 us late */

	if (o.start_at > 0)
		r.start_late_s = start_at_wait(&o, &set);
	uint64_t launch_ns = now_ns();
	struct slow *slow = o.slow_conns ? slow_create(&sh, &o, o.conns) : NULL;
	if (o.slow_conns && (!slow || slow_start(slow) != 0))
		die_usage("--slow: cannot start the slow clients' thread");
	if (slow) /* the slow clients come first (slow.c) */
		slow_wait_open(slow, SLOW_OPEN_WAIT_NS);
	struct worker **ws = workers_start(&o, &sh);
	r.o = &o;
	r.threads = o.threads;
	r.n_src = sh.n_src;
	r.clients = 1;
	stats_reset(&r.total);
	run_phases(&o, &sh, &r, &set);
	workers_finish(&o, ws, &r, launch_ns);
	if (slow) {
		slow_finish(slow, &r.slow);
		slow_destroy(slow);
	}
	output_write(&o, &r);
	free(r.conn_requests);
	free((void *)sh.req);
	close(sh.wake_fd);
	return 0;
}

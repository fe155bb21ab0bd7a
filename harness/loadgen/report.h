/* The load generator's output: a wrk-style summary and the runs.csv row. */
#ifndef LOADGEN_REPORT_H
#define LOADGEN_REPORT_H

#include <stdio.h>

#include "opts.h"
#include "slow.h"
#include "worker.h"

struct run_result {
	const struct opts *o;
	int threads;             /* threads actually used */
	int n_src;               /* source addresses used */
	struct stats total;      /* merged over the threads */
	double duration_s;       /* measured wall time */
	double cpu_s;            /* loadgen user + system CPU over the same time */
	char started_utc[32];    /* start of the measured time, ISO 8601 Z */
	double window_start_s;   /* the same, CLOCK_REALTIME seconds */
	double start_late_s;     /* --start-at: how late the load began */
	int interrupted;         /* stopped early by SIGINT/SIGTERM */
	int measured;            /* the warmup ended and measuring began */
	int conns_opened;        /* connections that connected at least once */
	double open_s;           /* from launch until all had; -1 = some never did */
	uint64_t *conn_requests; /* per connection slot: requests in the window; or NULL */
	int clients;             /* client processes merged into this result (1: a run) */
	double window_spread_s;  /* merged: latest minus earliest window start */
	struct slow_result slow; /* --slow: the slow connections, apart from the counts above */
};

void report_summary(FILE *f, const struct run_result *r);
/* The runs.csv header line and one row (the contract's columns, in order). */
void report_csv(FILE *f, const struct run_result *r);

#endif

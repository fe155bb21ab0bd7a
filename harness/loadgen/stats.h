/* What a run counted: requests, bytes, errors by kind, latency, and how the
 * requests spread over the connections (conns_served, Jain's fairness index).
 * Merged over threads (stats_merge) and over client processes or hosts
 * (histfile.c reads what --hist-out wrote).  Every field merges by summing,
 * so a merge of several runs equals the run over their union. */
#ifndef LOADGEN_STATS_H
#define LOADGEN_STATS_H

#include <stdint.h>

#include "hist.h"

enum err_kind { ERR_CONNECT, ERR_READ, ERR_WRITE, ERR_TIMEOUT, ERR_STATUS, ERR_INVALID, ERR_KINDS };

extern const char *const err_names[ERR_KINDS];

struct stats {
	uint64_t requests; /* complete, valid 2xx responses (daytime: valid lines) */
	uint64_t bytes;    /* every byte read from the server */
	uint64_t err[ERR_KINDS];
	/* Per connection slot (one of -c), x = its requests counted in the window:
	 * n slots, how many had x > 0, and sum of x^2 (sum of x is `requests`). */
	uint64_t conns;
	uint64_t conns_served;
	uint64_t req_sq_sum;
	struct hist hist; /* latency of the requests counted above, in us */
};

void stats_reset(struct stats *st);
void stats_merge(struct stats *into, const struct stats *from);
/* One connection slot that completed `requests` requests in the window. */
void stats_add_conn(struct stats *st, uint64_t requests);
/* Jain's index (sum x)^2 / (n * sum x^2) over the slots; -1 when no request
 * was counted (undefined). */
double stats_jain(const struct stats *st);

#endif

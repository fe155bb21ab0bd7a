/* Counters of a run and their merge (see stats.h). */
#include "stats.h"

#include <string.h>

const char *const err_names[ERR_KINDS] = {"connect", "read",   "write",
					  "timeout", "status", "invalid"};

void stats_reset(struct stats *st)
{
	st->requests = 0;
	st->bytes = 0;
	memset(st->err, 0, sizeof(st->err));
	st->conns = 0;
	st->conns_served = 0;
	st->req_sq_sum = 0;
	hist_reset(&st->hist);
}

void stats_merge(struct stats *into, const struct stats *from)
{
	into->requests += from->requests;
	into->bytes += from->bytes;
	for (int k = 0; k < ERR_KINDS; k++)
		into->err[k] += from->err[k];
	into->conns += from->conns;
	into->conns_served += from->conns_served;
	into->req_sq_sum += from->req_sq_sum;
	hist_merge(&into->hist, &from->hist);
}

void stats_add_conn(struct stats *st, uint64_t requests)
{
	st->conns++;
	st->conns_served += requests > 0;
	st->req_sq_sum += requests * requests;
}

double stats_jain(const struct stats *st)
{
	if (st->requests == 0 || st->conns == 0 || st->req_sq_sum == 0)
		return -1.0;
	double sum = (double)st->requests;
	return sum * sum / ((double)st->conns * (double)st->req_sq_sum);
}

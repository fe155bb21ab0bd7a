/* Log-linear latency histogram (see hist.h for the bucket layout and error bound). */
#include "hist.h"

#include <math.h>
#include <string.h>

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_us = UINT64_MAX;
}

unsigned hist_index(uint64_t value_us)
{
	if (value_us > HIST_MAX_US)
		value_us = HIST_MAX_US;
	if (value_us < HIST_SUB_COUNT)
		return (unsigned)value_us;
	unsigned msb = 63u - (unsigned)__builtin_clzll(value_us);
	unsigned shift = msb - (HIST_SUB_BITS - 1); /* value >> shift in [128, 256) */
	unsigned sub = (unsigned)(value_us >> shift) - HIST_SUB_HALF;
	return HIST_SUB_COUNT + (shift - 1) * HIST_SUB_HALF + sub;
}

uint64_t hist_bucket_low_us(unsigned index)
{
	if (index < HIST_SUB_COUNT)
		return index;
	unsigned k = index - HIST_SUB_COUNT;
	unsigned shift = k / HIST_SUB_HALF + 1;
	uint64_t sub = k % HIST_SUB_HALF + HIST_SUB_HALF;
	return sub << shift;
}

uint64_t hist_bucket_width_us(unsigned index)
{
	if (index < HIST_SUB_COUNT)
		return 1;
	return UINT64_C(1) << ((index - HIST_SUB_COUNT) / HIST_SUB_HALF + 1);
}

void hist_record(struct hist *h, uint64_t value_us)
{
	h->counts[hist_index(value_us)]++;
	h->count++;
	h->sum_us += value_us;
	h->sum_sq_us += (double)value_us * (double)value_us;
	if (value_us < h->min_us)
		h->min_us = value_us;
	if (value_us > h->max_us)
		h->max_us = value_us;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	if (from->count == 0)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	into->sum_sq_us += from->sum_sq_us;
	if (from->min_us < into->min_us)
		into->min_us = from->min_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

static uint64_t hist_bucket_mid_us(unsigned index)
{
	return hist_bucket_low_us(index) + hist_bucket_width_us(index) / 2;
}

uint64_t hist_percentile_us(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p >= 100.0)
		return h->max_us;
	double want = ceil(p / 100.0 * (double)h->count);
	uint64_t rank = want < 1.0 ? 1 : (uint64_t)want;
	uint64_t seen = 0;
	unsigned i = 0;
	for (; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	uint64_t v = hist_bucket_mid_us(i);
	if (v < h->min_us)
		v = h->min_us;
	if (v > h->max_us)
		v = h->max_us;
	return v;
}

double hist_mean_us(const struct hist *h)
{
	return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}

double hist_stdev_us(const struct hist *h)
{
	if (h->count < 2)
		return 0.0;
	double n = (double)h->count;
	double mean = (double)h->sum_us / n;
	double var = (h->sum_sq_us - n * mean * mean) / (n - 1.0);
	return var > 0.0 ? sqrt(var) : 0.0;
}

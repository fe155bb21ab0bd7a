/* Latency histogram in the HdrHistogram manner: log-linear buckets.
 *
 * Values are microseconds.  Values below 256 us are kept exactly; above, each
 * power of two [2^k, 2^(k+1)) is split into 128 equal sub-buckets, so a bucket
 * is at most 1/128 of its lower bound wide and a value read back as the bucket
 * midpoint is within 1/256 (0.4%) of what was recorded.  The range ends at
 * HIST_MAX_US (about 71 minutes); larger values are clamped into the top bucket
 * (the exact maximum is still kept).  Count, sum and sum of squares are exact,
 * so mean and standard deviation carry no bucket error.  Not thread-safe: one
 * histogram per thread, merged at the end with hist_merge(). */
#ifndef LOADGEN_HIST_H
#define LOADGEN_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS  8 /* 256 sub-buckets in the first range */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_SUB_HALF  (HIST_SUB_COUNT / 2)
#define HIST_TOP_BIT   32 /* values < 2^32 us are resolved */
#define HIST_MAX_US    ((UINT64_C(1) << HIST_TOP_BIT) - 1)
#define HIST_BUCKETS   (HIST_SUB_COUNT + (HIST_TOP_BIT - HIST_SUB_BITS) * HIST_SUB_HALF)

struct hist {
	uint64_t count;
	uint64_t min_us;
	uint64_t max_us;
	uint64_t sum_us;
	double sum_sq_us;
	uint64_t counts[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t value_us);
void hist_merge(struct hist *into, const struct hist *from);
/* Value at percentile p (0 < p <= 100): the midpoint of the bucket holding the
 * ceil(p/100 * count)-th smallest value, clamped to [min, max]; 0 if empty. */
uint64_t hist_percentile_us(const struct hist *h, double p);
double hist_mean_us(const struct hist *h);
double hist_stdev_us(const struct hist *h);

/* Exposed for the unit test: bucket index of a value and the bucket's bounds. */
unsigned hist_index(uint64_t value_us);
uint64_t hist_bucket_low_us(unsigned index);
uint64_t hist_bucket_width_us(unsigned index);

#endif

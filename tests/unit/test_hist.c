/* Unit test of the load generator's latency histogram (harness/loadgen/hist.c)
 * and of its --hist-out files and --merge (stats.c, histfile.c).
 *
 * Checks, as a table of named cases: every value up to 60 s is read back
 * within 1% (bucket bounds and midpoints), percentiles of known distributions
 * (uniform, exponential, bimodal), merge, mean and standard deviation, empty
 * and out-of-range input; two runs written to files, read back and merged
 * give exactly the percentiles, counts and Jain's index of one run over the
 * union; damaged files are refused.  TAP output; exit 0 when all pass, 1 otherwise. */
#include "../../harness/loadgen/hist.c"
#include "../../harness/loadgen/histfile.c"
#include "../../harness/loadgen/stats.c"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_REL_ERR 0.01
#define SIXTY_S_US  UINT64_C(60000000)

/* tap_check with the expected value printed by fmt_expected. */
static void check(int ok, const char *name, const char *fmt_expected, double expected, double got)
{
	char want[64];
	snprintf(want, sizeof want, fmt_expected, expected);
	tap_check(ok, name, "expected %s got %.3f", want, got);
}

static int within(double expected, double got, double rel)
{
	double err = fabs(got - expected);
	return err <= rel * fabs(expected) || err < 1e-9;
}

/* The value read back for v: the midpoint of its bucket (as percentiles report). */
static double readback_us(uint64_t v)
{
	unsigned i = hist_index(v);
	return (double)(hist_bucket_low_us(i) + hist_bucket_width_us(i) / 2);
}

static void test_error_table(void)
{
	static const uint64_t values[] = {
	    1,      2,      99,      255,     256,      257,      300,      511,      512,
	    513,    1000,   1023,    1024,    4097,     9999,     12345,    65535,    65536,
	    100000, 999999, 1000000, 5000001, 33554431, 33554432, 59999999, 60000000,
	};
	char name[96];
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		uint64_t v = values[k];
		snprintf(name, sizeof(name), "value %llu us reads back within 1%%",
			 (unsigned long long)v);
		check(within((double)v, readback_us(v), MAX_REL_ERR), name, "%.0f", (double)v,
		      readback_us(v));
	}
}

/* Every value 1..2^20 and a fine geometric sweep to 60 s: bucket holds the value, error <= 1%. */
static void test_error_sweep(void)
{
	double worst = 0.0, worst_v = 0.0;
	int bounds_ok = 1;
	uint64_t v = 1;
	while (v <= SIXTY_S_US) {
		unsigned i = hist_index(v);
		uint64_t low = hist_bucket_low_us(i);
		if (v < low || v >= low + hist_bucket_width_us(i))
			bounds_ok = 0;
		double err = fabs(readback_us(v) - (double)v) / (double)v;
		if (err > worst) {
			worst = err;
			worst_v = (double)v;
		}
		v = v < (UINT64_C(1) << 20) ? v + 1 : v + v / 1000 + 1;
	}
	check(bounds_ok, "every swept value lies inside its bucket", "%.0f", 1, bounds_ok);
	check(worst <= MAX_REL_ERR, "worst relative error up to 60 s is <= 1%", "%.4f", MAX_REL_ERR,
	      worst);
	(void)worst_v;
	check(hist_index(SIXTY_S_US) < HIST_BUCKETS, "60 s is inside the bucket range", "%.0f",
	      HIST_BUCKETS - 1, hist_index(SIXTY_S_US));
}

/* {1, v, 10 * v}: the median is v's bucket, unclamped by min and max. */
static void test_median_of_three(void)
{
	static const uint64_t values[] = {7, 300, 5000, 123456, 7654321, 59000000};
	static struct hist h;
	char name[96];
	for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		hist_reset(&h);
		hist_record(&h, 1);
		hist_record(&h, values[k]);
		hist_record(&h, values[k] * 10);
		double got = (double)hist_percentile_us(&h, 50.0);
		snprintf(name, sizeof(name), "median of {1, %llu, 10x} within 1%%",
			 (unsigned long long)values[k]);
		check(within((double)values[k], got, MAX_REL_ERR), name, "%.0f", (double)values[k],
		      got);
	}
}

struct pct_case {
	double p;
	const char *label;
};

static const struct pct_case pcts[] = {
    {50.0, "p50"}, {90.0, "p90"}, {99.0, "p99"}, {99.9, "p99.9"}, {100.0, "max"},
};

static void check_percentiles(const struct hist *h, const char *dist, double (*exact)(double p))
{
	char name[96];
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		double want = exact(pcts[k].p);
		double got = (double)hist_percentile_us(h, pcts[k].p);
		snprintf(name, sizeof(name), "%s %s within 1%%", dist, pcts[k].label);
		check(within(want, got, MAX_REL_ERR), name, "%.1f", want, got);
	}
}

#define UNIFORM_N 100000

static double uniform_exact(double p)
{
	return p / 100.0 * UNIFORM_N;
}

#define EXP_N       1000000
#define EXP_MEAN_US 2000.0

static uint64_t exp_value(int i)
{
	return (uint64_t)llround(-EXP_MEAN_US * log(1.0 - (i + 0.5) / EXP_N));
}

static double exp_exact(double p)
{
	if (p >= 100.0)
		return (double)exp_value(EXP_N - 1);
	return -EXP_MEAN_US * log(1.0 - p / 100.0);
}

/* Bimodal: 95% at 200 us, 5% at 3 s (a server that stalls now and then). */
#define BI_N 100000

static double bimodal_exact(double p)
{
	return p <= 95.0 ? 200.0 : 3000000.0;
}

static void test_distributions(void)
{
	static struct hist h;
	hist_reset(&h);
	for (uint64_t v = 1; v <= UNIFORM_N; v++)
		hist_record(&h, v);
	check_percentiles(&h, "uniform 1..100000 us", uniform_exact);
	check(within((UNIFORM_N + 1) / 2.0, hist_mean_us(&h), 1e-9), "uniform mean exact", "%.1f",
	      (UNIFORM_N + 1) / 2.0, hist_mean_us(&h));
	double sd = sqrt((double)UNIFORM_N * (UNIFORM_N + 1) / 12.0);
	check(within(sd, hist_stdev_us(&h), 1e-6), "uniform stdev exact", "%.3f", sd,
	      hist_stdev_us(&h));

	hist_reset(&h);
	for (int i = 0; i < EXP_N; i++)
		hist_record(&h, exp_value(i));
	check_percentiles(&h, "exponential mean 2 ms", exp_exact);

	hist_reset(&h);
	for (int i = 0; i < BI_N; i++)
		hist_record(&h, i < BI_N * 95 / 100 ? 200 : 3000000);
	check_percentiles(&h, "bimodal 200 us / 3 s", bimodal_exact);
}

/* Four per-thread histograms merged equal one histogram of everything. */
static void test_merge(void)
{
	static struct hist all, part[4], merged;
	hist_reset(&all);
	hist_reset(&merged);
	for (int t = 0; t < 4; t++)
		hist_reset(&part[t]);
	for (int i = 0; i < 200000; i++) {
		uint64_t v = (uint64_t)(i * 7919) % 3000000 + 1;
		hist_record(&all, v);
		hist_record(&part[i % 4], v);
	}
	for (int t = 0; t < 4; t++)
		hist_merge(&merged, &part[t]);
	int same = memcmp(all.counts, merged.counts, sizeof(all.counts)) == 0 &&
		   all.count == merged.count && all.min_us == merged.min_us &&
		   all.max_us == merged.max_us && all.sum_us == merged.sum_us;
	check(same, "merge of 4 thread histograms equals the whole", "%.0f", 1, same);
	check(hist_percentile_us(&all, 99.0) == hist_percentile_us(&merged, 99.0),
	      "merged p99 equals whole p99", "%.0f", (double)hist_percentile_us(&all, 99.0),
	      (double)hist_percentile_us(&merged, 99.0));
}

static void test_edges(void)
{
	static struct hist h;
	hist_reset(&h);
	check(hist_percentile_us(&h, 99.0) == 0, "empty histogram p99 is 0", "%.0f", 0,
	      (double)hist_percentile_us(&h, 99.0));
	check(hist_mean_us(&h) == 0.0, "empty histogram mean is 0", "%.0f", 0, hist_mean_us(&h));
	hist_record(&h, 0);
	check(hist_percentile_us(&h, 50.0) == 0, "zero latency is recorded as 0", "%.0f", 0,
	      (double)hist_percentile_us(&h, 50.0));
	uint64_t huge = HIST_MAX_US * 4;
	hist_record(&h, huge);
	check(hist_percentile_us(&h, 100.0) == huge, "out-of-range value keeps its exact max",
	      "%.0f", (double)huge, (double)hist_percentile_us(&h, 100.0));
	check(h.count == 2, "out-of-range value is counted", "%.0f", 2, (double)h.count);
	hist_reset(&h);
	hist_record(&h, 12345);
	check(hist_percentile_us(&h, 99.9) == 12345, "single value: every percentile is that value",
	      "%.0f", 12345, (double)hist_percentile_us(&h, 99.9));
}

/* ---- --hist-out files and --merge ---- */

/* A run over `n_slots` connection slots, slot k completing x[k] requests; the
 * latencies come from `gen`.  Everything is also recorded into `all`, the union. */
static void run_fill(struct histfile *f, const uint64_t *x, int n_slots, uint64_t (*gen)(uint64_t),
		     uint64_t *seq, struct stats *all, uint64_t *all_x, int *all_n)
{
	histfile_init(f);
	f->o.proto = PROTO_HTTP;
	f->o.conns = n_slots;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:8080/");
	f->r.clients = 1;
	f->r.measured = 1;
	f->r.duration_s = 1.5;
	f->r.threads = 1;
	f->r.conn_requests = calloc((size_t)n_slots, sizeof(uint64_t));
	for (int k = 0; k < n_slots; k++) {
		for (uint64_t i = 0; i < x[k]; i++) {
			uint64_t v = gen((*seq)++);
			hist_record(&f->r.total.hist, v);
			hist_record(&all->hist, v);
		}
		f->r.total.requests += x[k];
		f->r.total.bytes += 100 * x[k];
		f->r.total.err[ERR_TIMEOUT] += (uint64_t)k;
		all->requests += x[k];
		stats_add_conn(&f->r.total, x[k]);
		stats_add_conn(all, x[k]);
		f->r.conn_requests[k] = x[k];
		all_x[(*all_n)++] = x[k];
	}
}

static uint64_t gen_fast(uint64_t i)
{
	return 50 + (i * 7919) % 400;
}

static uint64_t gen_tail(uint64_t i)
{
	return i % 50 == 0 ? 200000 + (i * 104729) % 3000000 : 80 + (i * 31) % 2000;
}

static double jain_of(const uint64_t *x, int n)
{
	double sum = 0, sq = 0;
	for (int i = 0; i < n; i++) {
		sum += (double)x[i];
		sq += (double)x[i] * (double)x[i];
	}
	return sum * sum / ((double)n * sq);
}

static void test_file_merge(void)
{
	static const uint64_t xa[] = {30000, 50000, 0, 20000}, xb[] = {40000, 0, 9999};
	static struct histfile a, b, ra, rb, merged;
	static struct stats all;
	uint64_t all_x[7], seq = 0;
	int all_n = 0;
	char err[256], pa[] = "/tmp/test_hist_a_XXXXXX", pb[] = "/tmp/test_hist_b_XXXXXX";
	close(mkstemp(pa));
	close(mkstemp(pb));
	stats_reset(&all);
	run_fill(&a, xa, 4, gen_fast, &seq, &all, all_x, &all_n);
	run_fill(&b, xb, 3, gen_tail, &seq, &all, all_x, &all_n);
	int ok = histfile_write(pa, &a.r) == 0 && histfile_write(pb, &b.r) == 0;
	check(ok, "two runs written with histfile_write", "%.0f", 1, ok);
	ok = histfile_read(pa, &ra, err, sizeof(err)) == 0 &&
	     histfile_read(pb, &rb, err, sizeof(err)) == 0;
	if (!ok)
		tap_note("%s", err);
	check(ok, "both files read back", "%.0f", 1, ok);
	histfile_init(&merged);
	ok = ok && histfile_merge(&merged, &ra, err, sizeof(err)) == 0 &&
	     histfile_merge(&merged, &rb, err, sizeof(err)) == 0;
	check(ok, "the two files merge", "%.0f", 1, ok);
	const struct stats *m = &merged.r.total;
	int same = memcmp(m->hist.counts, all.hist.counts, sizeof(all.hist.counts)) == 0 &&
		   m->hist.count == all.hist.count && m->hist.min_us == all.hist.min_us &&
		   m->hist.max_us == all.hist.max_us && m->hist.sum_us == all.hist.sum_us;
	check(same, "merged buckets, count, min, max, sum equal the union's", "%.0f", 1, same);
	char name[96];
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		double want = (double)hist_percentile_us(&all.hist, pcts[k].p);
		double got = (double)hist_percentile_us(&m->hist, pcts[k].p);
		snprintf(name, sizeof(name), "merged %s equals the union's exactly", pcts[k].label);
		check(got == want, name, "%.0f", want, got);
	}
	check(m->requests == 149999 && m->bytes == 14999900 && m->err[ERR_TIMEOUT] == 9,
	      "merged requests, bytes, errors are the sums", "%.0f", 149999, (double)m->requests);
	check(m->conns == 7 && m->conns_served == 5, "merged: 5 of 7 connections served", "%.0f", 5,
	      (double)m->conns_served);
	check(stats_jain(m) == jain_of(all_x, all_n), "merged Jain equals Jain over the union",
	      "%.9f", jain_of(all_x, all_n), stats_jain(m));
	check(merged.o.conns == 7 && merged.r.clients == 2 && merged.r.conn_requests &&
		  merged.r.conn_requests[4] == 40000,
	      "merged: 7 connections from 2 clients, per-connection counts concatenated", "%.0f", 7,
	      merged.o.conns);

	/* damaged files are refused with a reason */
	histfile_free(&ra);
	histfile_free(&rb);
	FILE *fp = fopen(pa, "r+");
	ok = fp && fseek(fp, -20, SEEK_END) == 0 && ftruncate(fileno(fp), ftell(fp)) == 0;
	if (fp)
		fclose(fp);
	ok = ok && histfile_read(pa, &ra, err, sizeof(err)) < 0 && strstr(err, "truncated");
	check(ok, "a truncated file is refused as truncated", "%.0f", 1, ok);
	/* a file whose buckets disagree with its lat_count */
	fp = fopen(pb, "w");
	ok = fp != NULL;
	if (fp) {
		fprintf(fp, "%s\nlat_count 3\nrequests 3\nbucket 1 1 2\nconn_requests\nend\n",
			HISTFILE_MAGIC);
		fclose(fp);
	}
	ok = ok && histfile_read(pb, &rb, err, sizeof(err)) < 0 && strstr(err, "buckets hold 2");
	check(ok, "a file whose buckets disagree with lat_count is refused", "%.0f", 1, ok);
	unlink(pa);
	unlink(pb);
	histfile_free(&a);
	histfile_free(&b);
	histfile_free(&ra);
	histfile_free(&rb);
	histfile_free(&merged);
}

int main(void)
{
	test_error_table();
	test_error_sweep();
	test_median_of_three();
	test_distributions();
	test_merge();
	test_edges();
	test_file_merge();
	return tap_done();
}

/* Output of bin/loadgen: a wrk-shaped summary on one screen (stderr) and, with
 * --csv, the runs.csv header and one row (stdout).  The row carries only what
 * the client knows; the runner fills the other columns by name. */
#include "report.h"

#include <string.h>

static const char *const csv_columns[] = {
    "experiment",
    "model",
    "variant",
    "proto",
    "workload",
    "conns",
    "rate_rps",
    "keepalive",
    "server_cpus",
    "client_cpus",
    "rep",
    "duration_s",
    "requests",
    "bytes",
    "rps",
    "lat_p50_us",
    "lat_p90_us",
    "lat_p99_us",
    "lat_p999_us",
    "lat_max_us",
    "err_connect",
    "err_read",
    "err_write",
    "err_timeout",
    "err_status",
    "err_invalid",
    "srv_user_s",
    "srv_sys_s",
    "srv_cpu_pct",
    "srv_ctxsw_vol",
    "srv_ctxsw_invol",
    "srv_rss_kb",
    "srv_threads",
    "srv_procs",
    "cli_cpu_pct",
    "client_bound",
    "client",
    "started_utc",
    "conns_served",
    "fairness_jain",
    "srv_cpu_us_per_req",
    "slow_conns",
    "pipeline",
};

#define CSV_COLUMNS (sizeof(csv_columns) / sizeof(csv_columns[0]))
#define CELL_BYTES  48

static const struct {
	const char *label;
	double p;
} summary_pcts[] = {{"50%", 50.0}, {"90%", 90.0}, {"99%", 99.0}, {"99.9%", 99.9}};

static void format_time_us(char *out, size_t cap, double us)
{
	if (us < 1000.0)
		snprintf(out, cap, "%.2fus", us);
	else if (us < 1e6)
		snprintf(out, cap, "%.2fms", us / 1e3);
	else
		snprintf(out, cap, "%.2fs", us / 1e6);
}

static void format_bytes(char *out, size_t cap, double bytes)
{
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;
	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(out, cap, "%.2f%s", bytes, units[u]);
}

/* Share of latencies within one standard deviation of the mean (wrk's +/- Stdev). */
static double within_stdev_pct(const struct hist *h)
{
	if (h->count == 0)
		return 0.0;
	double mean = hist_mean_us(h), sd = hist_stdev_us(h);
	uint64_t in = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		double mid = (double)hist_bucket_low_us(i) + (double)hist_bucket_width_us(i) / 2.0;
		if (h->counts[i] && mid >= mean - sd && mid <= mean + sd)
			in += h->counts[i];
	}
	return 100.0 * (double)in / (double)h->count;
}

static void summary_head(FILE *f, const struct run_result *r)
{
	const struct opts *o = r->o;
	char mode[96];
	if (o->rate_rps > 0)
		snprintf(mode, sizeof(mode), "open loop at %g req/s", o->rate_rps);
	else
		snprintf(mode, sizeof(mode), "closed loop");
	const char *conn_mode = o->proto == PROTO_DAYTIME ? "a connection per reply"
				: o->close_each           ? "a connection per request"
							  : "keep-alive";
	fprintf(f, "Running %.1fs test @ %s", r->duration_s, o->url);
	if (o->warmup_ms)
		fprintf(f, " (after %.1fs warmup)", (double)o->warmup_ms / 1000.0);
	if (r->interrupted)
		fprintf(f, r->measured ? " -- interrupted"
				       : " -- interrupted in the warmup: nothing measured");
	fprintf(f, "\n");
	fprintf(f, "  %d threads and %d connections, %s, %s", r->threads, o->conns, mode,
		conn_mode);
	if (r->n_src > 1)
		fprintf(f, ", %d source addresses", r->n_src);
	fprintf(f, "\n");
}

static void summary_latency(FILE *f, const struct hist *h)
{
	char avg[32], sd[32], max[32], v[32];
	format_time_us(avg, sizeof(avg), hist_mean_us(h));
	format_time_us(sd, sizeof(sd), hist_stdev_us(h));
	format_time_us(max, sizeof(max), (double)h->max_us);
	fprintf(f, "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n");
	fprintf(f, "    Latency   %8s  %8s  %8s  %7.2f%%\n", avg, sd, max, within_stdev_pct(h));
	fprintf(f, "  Latency Distribution\n");
	for (size_t k = 0; k < sizeof(summary_pcts) / sizeof(summary_pcts[0]); k++) {
		format_time_us(v, sizeof(v), (double)hist_percentile_us(h, summary_pcts[k].p));
		fprintf(f, "    %6s  %8s\n", summary_pcts[k].label, v);
	}
}

/* How long opening the connections took, and a warning when that ran into
 * the measured time (raise --warmup) or some never opened. */
static void summary_ramp(FILE *f, const struct run_result *r)
{
	const struct opts *o = r->o;
	double warmup_s = (double)o->warmup_ms / 1000.0;
	if (o->rate_rps > 0 && r->open_s < 0) {
		fprintf(f, "Connections:  %d of %d used (open loop opens them as needed)\n",
			r->conns_opened, o->conns);
		return;
	}
	if (r->open_s < 0) {
		fprintf(f, "Connections:  only %d of %d ever opened\n", r->conns_opened, o->conns);
		return;
	}
	fprintf(f, "Connections:  all %d open after %.2fs\n", o->conns, r->open_s);
	if (o->rate_rps == 0 && r->measured && r->open_s > warmup_s + 0.05 * r->duration_s)
		fprintf(f,
			"warning: connections were still opening %.2fs into the measured time: "
			"raise --warmup\n",
			r->open_s - warmup_s);
}

static void summary_fairness(FILE *f, const struct run_result *r)
{
	double jain = stats_jain(&r->total);
	fprintf(f, "Fairness:     %llu of %llu connections served",
		(unsigned long long)r->total.conns_served, (unsigned long long)r->total.conns);
	if (jain >= 0)
		fprintf(f, ", Jain's index %.4f", jain);
	fprintf(f, "\n");
}

static const char *slow_mode_name(enum slow_mode m)
{
	return m == SLOW_HEAD ? "head" : m == SLOW_IDLE ? "idle" : m == SLOW_READ ? "read" : "?";
}

/* --slow: what the slow connections met (they are in none of the counts above). */
static void summary_slow(FILE *f, const struct run_result *r)
{
	const struct slow_result *s = &r->slow;
	const struct opts *o = r->o;
	if (!o->slow_conns)
		return;
	fprintf(f, "Slow clients: %d %s", o->slow_conns, slow_mode_name(o->slow_mode));
	if (o->slow_mode != SLOW_IDLE)
		fprintf(f, ":%llu", (unsigned long long)o->slow_arg);
	fprintf(f, " (not in the figures above): %d served (%llu responses), %d closed by the "
		   "server (%llu closes), %d still open at the end",
		s->served, (unsigned long long)s->responses, s->closed,
		(unsigned long long)s->closes, s->still_open);
	if (s->connect_err)
		fprintf(f, ", %llu connects failed", (unsigned long long)s->connect_err);
	fprintf(f, "\n");
}

void report_summary(FILE *f, const struct run_result *r)
{
	const struct stats *st = &r->total;
	char bytes[32], rate[32];
	double secs = r->duration_s > 0 ? r->duration_s : 1e-9;
	summary_head(f, r);
	summary_latency(f, &st->hist);
	format_bytes(bytes, sizeof(bytes), (double)st->bytes);
	fprintf(f, "  %llu requests in %.2fs, %s read\n", (unsigned long long)st->requests,
		r->duration_s, bytes);
	fprintf(f, "  Errors:");
	for (int k = 0; k < ERR_KINDS; k++)
		fprintf(f, "%s %s %llu", k ? "," : "", err_names[k],
			(unsigned long long)st->err[k]);
	fprintf(f, "\n");
	format_bytes(rate, sizeof(rate), (double)st->bytes / secs);
	fprintf(f, "Requests/sec: %10.2f\n", (double)st->requests / secs);
	fprintf(f, "Transfer/sec: %10s\n", rate);
	fprintf(f, "Client CPU:   %9.1f%%\n", 100.0 * r->cpu_s / secs);
	summary_fairness(f, r);
	summary_slow(f, r);
	if (r->clients > 1)
		fprintf(f, "Merged:       %d clients, measured windows began %.3fs apart\n",
			r->clients, r->window_spread_s);
	else
		summary_ramp(f, r);
	if (r->start_late_s > 0.001)
		fprintf(f, "warning: the load began %.3fs after --start-at\n", r->start_late_s);
}

static void cell_set(char cells[][CELL_BYTES], const char *name, const char *fmt, double v)
{
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		if (strcmp(csv_columns[i], name) == 0)
			snprintf(cells[i], CELL_BYTES, fmt, v);
}

static void cell_str(char cells[][CELL_BYTES], const char *name, const char *s)
{
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		if (strcmp(csv_columns[i], name) == 0)
			snprintf(cells[i], CELL_BYTES, "%s", s);
}

static void cells_fill(char cells[][CELL_BYTES], const struct run_result *r)
{
	static const char *const lat_cols[] = {"lat_p50_us", "lat_p90_us", "lat_p99_us",
					       "lat_p999_us"};
	static const double lat_pcts[] = {50.0, 90.0, 99.0, 99.9};
	const struct opts *o = r->o;
	const struct stats *st = &r->total;
	char name[32];
	cell_str(cells, "proto", o->proto == PROTO_HTTP ? "http" : "daytime");
	cell_set(cells, "conns", "%.0f", o->conns);
	cell_set(cells, "rate_rps", "%.10g", o->rate_rps);
	cell_set(cells, "keepalive", "%.0f", o->proto == PROTO_HTTP && !o->close_each);
	cell_set(cells, "duration_s", "%.3f", r->duration_s);
	cell_set(cells, "requests", "%.0f", (double)st->requests);
	cell_set(cells, "bytes", "%.0f", (double)st->bytes);
	cell_set(cells, "rps", "%.1f",
		 r->duration_s > 0 ? (double)st->requests / r->duration_s : 0.0);
	for (size_t k = 0; k < 4 && st->hist.count; k++) /* no latency without a response */
		cell_set(cells, lat_cols[k], "%.0f",
			 (double)hist_percentile_us(&st->hist, lat_pcts[k]));
	if (st->hist.count)
		cell_set(cells, "lat_max_us", "%.0f", (double)st->hist.max_us);
	for (int k = 0; k < ERR_KINDS; k++) {
		snprintf(name, sizeof(name), "err_%s", err_names[k]);
		cell_set(cells, name, "%.0f", (double)st->err[k]);
	}
	cell_set(cells, "cli_cpu_pct", "%.1f",
		 r->duration_s > 0 ? 100.0 * r->cpu_s / r->duration_s : 0.0);
	if (r->measured)
		cell_set(cells, "conns_served", "%.0f", (double)st->conns_served);
	if (stats_jain(st) >= 0)
		cell_set(cells, "fairness_jain", "%.6f", stats_jain(st));
	if (r->clients > 1)
		cell_set(cells, "client", "loadgen*%.0f", r->clients);
	else
		cell_str(cells, "client", "loadgen");
	cell_str(cells, "started_utc", r->started_utc);
	cell_set(cells, "slow_conns", "%.0f", o->slow_conns);
	cell_set(cells, "pipeline", "%.0f", o->pipeline > 0 ? o->pipeline : 1);
}

void report_csv(FILE *f, const struct run_result *r)
{
	char cells[CSV_COLUMNS][CELL_BYTES];
	memset(cells, 0, sizeof(cells));
	cells_fill(cells, r);
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		fprintf(f, "%s%s", i ? "," : "", csv_columns[i]);
	fprintf(f, "\n");
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		fprintf(f, "%s%s", i ? "," : "", cells[i]);
	fprintf(f, "\n");
	fflush(f);
}

/* --hist-out files and --merge (see histfile.h; format in results/README.md).
 *
 * One table of fields (key, kind, where it lives) drives both the writer and
 * the reader, so the two cannot drift apart.  The histogram is written as its
 * raw bucket counts (only the non-empty buckets, "bucket INDEX LOW_US COUNT"),
 * so a merge sums buckets and its percentiles are those of the union of the
 * runs' latencies, never an average of percentiles.  Every count is an
 * integer and merges exactly; Jain's index merges exactly from n, sum x and
 * sum x^2. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "histfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_U64, K_INT, K_DBL, K_PROTO, K_URL, K_UTC };

struct field {
	const char *key;
	enum kind kind;
	void *p;
};

#define N_FIELDS 48

/* The file's fields in the order written.  The pointers go into f; the writer
 * only reads through them. */
static int fields_of(struct histfile *f, struct field *t)
{
	struct run_result *r = &f->r;
	struct stats *st = &r->total;
	struct opts *o = &f->o;
	int n = 0;
#define F(k, kind, ptr) (t[n++] = (struct field){k, kind, (void *)(ptr)})
	F("url", K_URL, f->url);
	F("proto", K_PROTO, &o->proto);
	F("connections", K_INT, &o->conns);
	F("close", K_INT, &o->close_each);
	F("rate_rps", K_DBL, &o->rate_rps);
	F("think_ms", K_U64, &o->think_ms);
	F("warmup_ms", K_U64, &o->warmup_ms);
	F("threads", K_INT, &r->threads);
	F("clients", K_INT, &r->clients);
	F("started_utc", K_UTC, r->started_utc);
	F("window_start_s", K_DBL, &r->window_start_s);
	F("window_spread_s", K_DBL, &r->window_spread_s);
	F("start_late_s", K_DBL, &r->start_late_s);
	F("duration_s", K_DBL, &r->duration_s);
	F("cpu_s", K_DBL, &r->cpu_s);
	F("measured", K_INT, &r->measured);
	F("interrupted", K_INT, &r->interrupted);
	F("conns_opened", K_INT, &r->conns_opened);
	F("open_s", K_DBL, &r->open_s);
	F("requests", K_U64, &st->requests);
	F("bytes", K_U64, &st->bytes);
	F("err_connect", K_U64, &st->err[ERR_CONNECT]);
	F("err_read", K_U64, &st->err[ERR_READ]);
	F("err_write", K_U64, &st->err[ERR_WRITE]);
	F("err_timeout", K_U64, &st->err[ERR_TIMEOUT]);
	F("err_status", K_U64, &st->err[ERR_STATUS]);
	F("err_invalid", K_U64, &st->err[ERR_INVALID]);
	F("conns", K_U64, &st->conns);
	F("conns_served", K_U64, &st->conns_served);
	F("req_sq_sum", K_U64, &st->req_sq_sum);
	F("lat_count", K_U64, &st->hist.count);
	F("lat_min_us", K_U64, &st->hist.min_us);
	F("lat_max_us", K_U64, &st->hist.max_us);
	F("lat_sum_us", K_U64, &st->hist.sum_us);
	F("lat_sum_sq_us", K_DBL, &st->hist.sum_sq_us);
	F("pipeline", K_INT, &o->pipeline);
	F("slow_conns", K_INT, &o->slow_conns);
	F("slow_mode", K_INT, &o->slow_mode);
	F("slow_arg", K_U64, &o->slow_arg);
	F("slow_served", K_INT, &r->slow.served);
	F("slow_closed", K_INT, &r->slow.closed);
	F("slow_still_open", K_INT, &r->slow.still_open);
	F("slow_responses", K_U64, &r->slow.responses);
	F("slow_closes", K_U64, &r->slow.closes);
	F("slow_connect_err", K_U64, &r->slow.connect_err);
#undef F
	return n;
}

void histfile_init(struct histfile *f)
{
	memset(f, 0, sizeof(*f));
	stats_reset(&f->r.total);
	f->r.o = &f->o;
	f->o.url = f->url;
}

void histfile_free(struct histfile *f)
{
	free(f->r.conn_requests);
	f->r.conn_requests = NULL;
}

static void field_write(FILE *out, const struct field *fd)
{
	fprintf(out, "%s ", fd->key);
	switch (fd->kind) {
	case K_U64: fprintf(out, "%" PRIu64 "\n", *(uint64_t *)fd->p); break;
	case K_INT: fprintf(out, "%d\n", *(int *)fd->p); break;
	case K_DBL: fprintf(out, "%.17g\n", *(double *)fd->p); break;
	case K_PROTO:
		fprintf(out, "%s\n", *(enum proto *)fd->p == PROTO_HTTP ? "http" : "daytime");
		break;
	case K_URL:
	case K_UTC: fprintf(out, "%s\n", (const char *)fd->p); break;
	}
}

int histfile_write(const char *path, const struct run_result *r)
{
	static struct histfile f; /* a copy, so the one field table serves both ways */
	struct field t[N_FIELDS];
	f.r = *r;
	f.o = *r->o;
	snprintf(f.url, sizeof(f.url), "%s", r->o->url);
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	fprintf(out, "%s\n", HISTFILE_MAGIC);
	int n = fields_of(&f, t);
	for (int i = 0; i < n; i++)
		field_write(out, &t[i]);
	fprintf(out, "hist_buckets %u\n", (unsigned)HIST_BUCKETS);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (r->total.hist.counts[i])
			fprintf(out, "bucket %u %" PRIu64 " %" PRIu64 "\n", i,
				hist_bucket_low_us(i), r->total.hist.counts[i]);
	fprintf(out, "conn_requests");
	for (uint64_t i = 0; r->conn_requests && i < r->total.conns; i++)
		fprintf(out, " %" PRIu64, r->conn_requests[i]);
	fprintf(out, "\nend\n");
	int bad = ferror(out);
	if (fclose(out) != 0 || bad)
		return -1;
	return 0;
}

/* ---- reading ---- */

struct reader {
	const char *path;
	int line;
	char *err;
	size_t err_cap;
};

static int fail(struct reader *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *rd, const char *fmt, ...)
{
	va_list ap;
	int n = rd->line ? snprintf(rd->err, rd->err_cap, "%s:%d: ", rd->path, rd->line)
			 : snprintf(rd->err, rd->err_cap, "%s: ", rd->path);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < rd->err_cap)
		vsnprintf(rd->err + n, rd->err_cap - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, end, 10);
	return errno ? -1 : 0;
}

static int field_read(struct reader *rd, const struct field *fd, char *val)
{
	char *end = val;
	switch (fd->kind) {
	case K_U64:
		if (parse_u64(val, &end, (uint64_t *)fd->p) < 0 || *end)
			return fail(rd, "%s: expected an unsigned integer, got '%s'", fd->key, val);
		return 0;
	case K_INT: {
		long v = strtol(val, &end, 10);
		if (end == val || *end || v < -1 || v > INT32_MAX)
			return fail(rd, "%s: expected an integer, got '%s'", fd->key, val);
		*(int *)fd->p = (int)v;
		return 0;
	}
	case K_DBL:
		*(double *)fd->p = strtod(val, &end);
		if (end == val || *end)
			return fail(rd, "%s: expected a number, got '%s'", fd->key, val);
		return 0;
	case K_PROTO:
		if (strcmp(val, "http") && strcmp(val, "daytime"))
			return fail(rd, "proto: expected http or daytime, got '%s'", val);
		*(enum proto *)fd->p = strcmp(val, "http") ? PROTO_DAYTIME : PROTO_HTTP;
		return 0;
	case K_URL: snprintf(fd->p, HISTFILE_URL_BYTES, "%s", val); return 0;
	case K_UTC:
		snprintf(fd->p, sizeof(((struct run_result *)0)->started_utc), "%s", val);
		return 0;
	}
	return 0;
}

static int read_bucket(struct reader *rd, struct hist *h, char *val)
{
	uint64_t idx, low, count;
	char *p = val;
	if (parse_u64(p, &p, &idx) < 0 || *p++ != ' ' || parse_u64(p, &p, &low) < 0 ||
	    *p++ != ' ' || parse_u64(p, &p, &count) < 0 || *p)
		return fail(rd, "bucket: expected 'INDEX LOW_US COUNT', got '%s'", val);
	if (idx >= HIST_BUCKETS || hist_bucket_low_us((unsigned)idx) != low)
		return fail(rd, "bucket %s: not a bucket of this loadgen's histogram layout", val);
	h->counts[idx] += count;
	return 0;
}

static int read_conn_requests(struct reader *rd, struct run_result *r, char *val, uint64_t *n_out)
{
	size_t n = 0, cap = 0;
	uint64_t *v = NULL;
	for (char *p = val; *p;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			uint64_t *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return fail(rd, "conn_requests: out of memory");
			}
			v = nv;
		}
		if (parse_u64(p, &p, &v[n++]) < 0 || (*p && *p++ != ' ')) {
			free(v);
			return fail(rd, "conn_requests: expected counts separated by spaces");
		}
	}
	free(r->conn_requests);
	r->conn_requests = v;
	*n_out = n; /* checked against the conns line at the end */
	return 0;
}

static int read_line(struct reader *rd, struct histfile *f, struct field *t, int n_t, char *line,
		     int *ended, uint64_t *n_conn_requests)
{
	char *val = strchr(line, ' ');
	if (val)
		*val++ = '\0';
	else
		val = line + strlen(line);
	if (strcmp(line, "end") == 0) {
		*ended = 1;
		return 0;
	}
	if (strcmp(line, "bucket") == 0)
		return read_bucket(rd, &f->r.total.hist, val);
	if (strcmp(line, "conn_requests") == 0)
		return read_conn_requests(rd, &f->r, val, n_conn_requests);
	if (strcmp(line, "hist_buckets") == 0)
		return strtoul(val, NULL, 10) == HIST_BUCKETS
			   ? 0
			   : fail(rd, "hist_buckets %s: this loadgen's histogram has %u buckets",
				  val, (unsigned)HIST_BUCKETS);
	for (int i = 0; i < n_t; i++)
		if (strcmp(line, t[i].key) == 0)
			return field_read(rd, &t[i], val);
	return fail(rd, "unknown key '%s'", line);
}

/* What must hold in a whole file: the counts agree with each other. */
static int file_check(struct reader *rd, const struct histfile *f, uint64_t n_conn_requests)
{
	const struct stats *st = &f->r.total;
	uint64_t sum = 0, sq = 0, served = 0, hist_n = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		hist_n += st->hist.counts[i];
	if (hist_n != st->hist.count || st->hist.count != st->requests)
		return fail(rd,
			    "the buckets hold %" PRIu64 " latencies, lat_count says %" PRIu64
			    ", requests %" PRIu64,
			    hist_n, st->hist.count, st->requests);
	if (f->r.conn_requests == NULL)
		return 0;
	if (n_conn_requests != st->conns)
		return fail(rd, "conn_requests has %" PRIu64 " slots, conns says %" PRIu64,
			    n_conn_requests, st->conns);
	for (uint64_t i = 0; i < st->conns; i++) {
		uint64_t x = f->r.conn_requests[i];
		sum += x;
		sq += x * x;
		served += x > 0;
	}
	if (sum != st->requests || sq != st->req_sq_sum || served != st->conns_served)
		return fail(rd,
			    "conn_requests (%" PRIu64 " slots) disagrees with conns, requests, "
			    "conns_served or req_sq_sum",
			    st->conns);
	return 0;
}

int histfile_read(const char *path, struct histfile *f, char *err, size_t err_cap)
{
	struct reader rd = {path, 0, err, err_cap};
	struct field t[N_FIELDS];
	histfile_init(f);
	int n_t = fields_of(f, t), ended = 0, rc = 0;
	FILE *in = fopen(path, "r");
	if (!in)
		return fail(&rd, "cannot open: %s", strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t n_conn_requests = 0;
	while (rc == 0 && !ended && (len = getline(&line, &cap, in)) >= 0) {
		rd.line++;
		if (len == 0 || line[len - 1] != '\n') {
			rc = fail(&rd, "truncated: a line without its newline");
			break;
		}
		line[--len] = '\0';
		if (rd.line == 1)
			rc = strcmp(line, HISTFILE_MAGIC) == 0
				 ? 0
				 : fail(&rd, "not a loadgen --hist-out file (no '%s' line)",
					HISTFILE_MAGIC);
		else
			rc = read_line(&rd, f, t, n_t, line, &ended, &n_conn_requests);
	}
	free(line);
	fclose(in);
	if (rc == 0 && !ended)
		rc = fail(&rd, "truncated: no 'end' line");
	if (rc == 0)
		rc = file_check(&rd, f, n_conn_requests);
	if (f->o.pipeline == 0)
		f->o.pipeline = 1; /* a file from before --pipeline */
	if (rc != 0)
		histfile_free(f);
	return rc;
}

/* ---- merging ---- */

static double min_pos(double a, double b)
{
	return a <= 0 ? b : b <= 0 ? a : a < b ? a : b;
}

static int merge_conn_requests(struct run_result *into, const struct run_result *from)
{
	if (!into->conn_requests || !from->conn_requests) {
		free(into->conn_requests);
		into->conn_requests = NULL;
		return 0;
	}
	uint64_t n = into->total.conns + from->total.conns;
	uint64_t *v = realloc(into->conn_requests, (n ? n : 1) * sizeof(*v));
	if (!v)
		return -1;
	memcpy(v + into->total.conns, from->conn_requests, from->total.conns * sizeof(*v));
	into->conn_requests = v;
	return 0;
}

int histfile_merge(struct histfile *into, const struct histfile *from, char *err, size_t err_cap)
{
	struct run_result *a = &into->r;
	const struct run_result *b = &from->r;
	if (a->clients == 0) { /* the first: its settings and the empty counts */
		into->o = from->o;
		into->o.url = into->url;
		into->o.conns = 0;
		into->o.rate_rps = 0;
		snprintf(into->url, sizeof(into->url), "%s", from->url);
		snprintf(a->started_utc, sizeof(a->started_utc), "%s", b->started_utc);
		a->measured = 1;
		a->conn_requests = calloc(1, sizeof(uint64_t));
		a->window_start_s = b->window_start_s;
		into->o.slow_conns = 0;
	} else if (into->o.proto != from->o.proto || into->o.close_each != from->o.close_each ||
		   into->o.pipeline != from->o.pipeline) {
		snprintf(err, err_cap, "cannot merge %s runs with %s runs (proto, --close, --pipeline)",
			 from->url, into->url);
		return -1;
	}
	double first = min_pos(a->window_start_s, b->window_start_s);
	double last = a->window_start_s > b->window_start_s ? a->window_start_s : b->window_start_s;
	if (strcmp(b->started_utc, a->started_utc) < 0)
		snprintf(a->started_utc, sizeof(a->started_utc), "%s", b->started_utc);
	if (merge_conn_requests(a, b) < 0) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	into->o.conns += from->o.conns;
	into->o.rate_rps += from->o.rate_rps;
	into->o.slow_conns += from->o.slow_conns;
	if (from->o.slow_conns)
		into->o.slow_mode = from->o.slow_mode, into->o.slow_arg = from->o.slow_arg;
	a->slow.conns += b->slow.conns;
	a->slow.served += b->slow.served;
	a->slow.closed += b->slow.closed;
	a->slow.still_open += b->slow.still_open;
	a->slow.responses += b->slow.responses;
	a->slow.closes += b->slow.closes;
	a->slow.connect_err += b->slow.connect_err;
	a->window_spread_s = last - first > a->window_spread_s ? last - first : a->window_spread_s;
	a->window_start_s = first;
	a->start_late_s = b->start_late_s > a->start_late_s ? b->start_late_s : a->start_late_s;
	a->duration_s = b->duration_s > a->duration_s ? b->duration_s : a->duration_s;
	a->open_s = a->open_s < 0 || b->open_s < 0 ? -1.0
		    : b->open_s > a->open_s        ? b->open_s
						   : a->open_s;
	a->cpu_s += b->cpu_s;
	a->threads += b->threads;
	a->clients += b->clients > 0 ? b->clients : 1;
	a->conns_opened += b->conns_opened;
	a->measured = a->measured && b->measured;
	a->interrupted = a->interrupted || b->interrupted;
	stats_merge(&a->total, &b->total);
	return 0;
}

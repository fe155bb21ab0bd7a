/* Command-line parsing for bin/loadgen: wrk's -c -t -d, plus the suite's flags. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: loadgen [options] URL\n"
    "  URL: http://HOST[:PORT]/PATH  or  daytime://HOST[:PORT]\n"
    "  -c, --connections N   connections kept open (default 10)\n"
    "  -t, --threads N       threads, each with its own epoll loop (default 2, at most N conns)\n"
    "  -d, --duration T      measured time: 10, 10s, 500ms, 1m (default 10s)\n"
    "  -R, --rate RPS        open loop at RPS requests/s in total; latency from each\n"
    "                        request's intended send time (default: closed loop)\n"
    "      --warmup T        run load for T first, then reset counters and measure -d\n"
    "      --close           a new connection per request (Connection: close)\n"
    "      --timeout MS      per-request timeout in ms, suffixes allowed (default 2000),\n"
    "                        from the handshake; a connect may take max(MS, 10 s)\n"
    "      --src-addrs N     spread connections over source 127.0.0.1..127.0.0.N\n"
    "                        (loopback targets; default: one per quarter of the\n"
    "                        ephemeral port range, e.g. 3 for 16384 connections)\n"
    "      --requests N      stop after exactly N requests in total: each ends as a\n"
    "                        counted response or one error (for tests)\n"
    "      --think-ms MS     closed loop: each connection waits MS ms between the end of\n"
    "                        a request (response or error) and its next request; latency\n"
    "                        excludes it, and requests/s is then limited by the offered\n"
    "                        load, about conns x 1000 / (MS + response ms).  The first\n"
    "                        requests are spread over one think time (default 0)\n"
    "      --start-at T      begin (the warmup, then -d) at CLOCK_REALTIME T, seconds\n"
    "                        since the epoch with a fraction, e.g. 1764655200.25, so\n"
    "                        clients on several hosts measure the same window; more than\n"
    "                        0.5 s in the past is an error\n"
    "      --hist-out FILE   also write the latency histogram and the totals to FILE\n"
    "                        (text, for --merge; results/README.md has the format)\n"
    "      --merge F1 F2...  read --hist-out files of clients that ran together and\n"
    "                        print their merged summary (with --csv, one row): counts and\n"
    "                        histogram buckets summed, percentiles from the merged\n"
    "                        histogram, Jain's index from the summed n, sum x, sum x^2;\n"
    "                        takes only --csv and --hist-out (writes the merged file)\n"
    "      --pipeline N      keep-alive: send N requests together on each connection\n"
    "                        and read the N responses, checked in order (wrk's pipeline\n"
    "                        script); each counts as a request, its latency from the\n"
    "                        moment the N were sent (default 1; not with --close,\n"
    "                        daytime or -R; --requests must be a multiple of N)\n"
    "      --slow K:MODE[:ARG]  K slow connections beside the -c normal ones:\n"
    "                        head:MS   send the request head one byte every MS ms, read\n"
    "                                  the response, start again\n"
    "                        idle      connect and send nothing\n"
    "                        read:BPS  send requests, read the responses at BPS bytes/s\n"
    "                                  (a small receive buffer; use --root and a big file)\n"
    "                        They connect first (the normal ones start when all have, or\n"
    "                        after 1 s).  A slow connection the server closes reconnects (after 100 ms\n"
    "                        if the connect failed).  Requests, latency, errors and\n"
    "                        fairness describe the -c normal connections only; the summary\n"
    "                        says of the slow ones how many were served, closed by the\n"
    "                        server and still open at the end (CSV slow_conns = K)\n"
    "      --io epoll|uring  the threads' loop: epoll and send/recv (default), or io_uring\n"
    "                        (batched submission, multishot receive, provided buffers;\n"
    "                        where io_uring is refused, one line and exit 2)\n"
    "  -H, --header 'K: V'   add a request header (repeatable)\n"
    "      --csv             print the runs.csv header and one row on stdout\n"
    "  -h, --help            this text\n"
    "Requests counts valid 2xx responses (daytime: valid lines); every other outcome is\n"
    "an error by kind: connect, read, write, timeout, status (non-2xx), invalid.\n"
    "Fairness (CSV conns_served, fairness_jain): a connection is one of the -c slots.\n"
    "With keep-alive a slot is one TCP connection (reopened in the same slot after an\n"
    "error or a server close); with --close and daytime, the slot's successive\n"
    "connections, one request each; with -R, requests go to the longest-idle slot.\n"
    "x_i = requests slot i completed in the measured window; conns_served = slots with\n"
    "x_i > 0; fairness_jain = (sum x_i)^2 / (n * sum x_i^2) over all n = -c slots (an\n"
    "unserved slot counts as 0): 1 = all equal, 1/n = one slot got all; empty when no\n"
    "request was counted.\n"
    "The summary goes to stderr.  Exit 0 on a finished run (also after SIGINT), 2 on bad usage\n"
    "(or a --hist-out FILE that cannot be created), 1 if writing FILE fails at the end.\n";

enum {
	OPT_WARMUP = 256,
	OPT_CLOSE,
	OPT_TIMEOUT,
	OPT_SRC_ADDRS,
	OPT_CSV,
	OPT_REQUESTS,
	OPT_THINK,
	OPT_START_AT,
	OPT_HIST_OUT,
	OPT_MERGE,
	OPT_PIPELINE,
	OPT_SLOW,
	OPT_IO,
};

static const struct option long_opts[] = {
    {"connections", required_argument, 0, 'c'},
    {"threads", required_argument, 0, 't'},
    {"duration", required_argument, 0, 'd'},
    {"rate", required_argument, 0, 'R'},
    {"header", required_argument, 0, 'H'},
    {"help", no_argument, 0, 'h'},
    {"warmup", required_argument, 0, OPT_WARMUP},
    {"close", no_argument, 0, OPT_CLOSE},
    {"timeout", required_argument, 0, OPT_TIMEOUT},
    {"src-addrs", required_argument, 0, OPT_SRC_ADDRS},
    {"csv", no_argument, 0, OPT_CSV},
    {"requests", required_argument, 0, OPT_REQUESTS},
    {"think-ms", required_argument, 0, OPT_THINK},
    {"start-at", required_argument, 0, OPT_START_AT},
    {"hist-out", required_argument, 0, OPT_HIST_OUT},
    {"merge", no_argument, 0, OPT_MERGE},
    {"pipeline", required_argument, 0, OPT_PIPELINE},
    {"slow", required_argument, 0, OPT_SLOW},
    {"io", required_argument, 0, OPT_IO},
    {0, 0, 0, 0},
};

static void usage_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "loadgen: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, " (see loadgen --help)\n");
	exit(2);
}

int64_t opts_parse_duration_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0 || *s == '-' || *s == ' ')
		return -1;
	double scale;
	if (*end == '\0' || strcmp(end, "s") == 0)
		scale = 1000.0;
	else if (strcmp(end, "ms") == 0)
		scale = 1.0;
	else if (strcmp(end, "m") == 0)
		scale = 60000.0;
	else if (strcmp(end, "h") == 0)
		scale = 3600000.0;
	else
		return -1;
	double ms = v * scale;
	if (ms > 1e12)
		return -1;
	return (int64_t)llround(ms);
}

/* A positive integer in [min, max]. */
static long long parse_count(const char *flag, const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || *s == ' ' || v < min || v > max) {
		char range[64];
		snprintf(range, sizeof(range), "an integer from %lld to %lld", min, max);
		fprintf(stderr, "loadgen: %s: bad value '%s': expected %s (see loadgen --help)\n",
			flag, s, range);
		exit(2);
	}
	return v;
}

static uint64_t parse_duration_flag(const char *flag, const char *s, int allow_zero)
{
	int64_t ms = opts_parse_duration_ms(s);
	if (ms < 0 || (ms == 0 && !allow_zero))
		usage_fail("%s: bad duration '%s': expected e.g. 10, 10s, 500ms or 1m", flag, s);
	return (uint64_t)ms;
}

/* --timeout: plain numbers are milliseconds, suffixed ones as for -d. */
static uint64_t parse_timeout_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end != s && *end == '\0' && !errno && v >= 1 && v <= 3.6e6)
		return (uint64_t)llround(v);
	int64_t ms = opts_parse_duration_ms(s);
	if (end == s || *end == '\0' || ms < 1)
		usage_fail(
		    "--timeout: bad value '%s': expected milliseconds >= 1, e.g. 2000 or 2s%s", s,
		    "");
	return (uint64_t)ms;
}

static double parse_rate(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v <= 0 || v > 1e9)
		usage_fail("-R: bad rate '%s': expected requests per second > 0%s", s, "");
	return v;
}

static double parse_start_at(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 1e9 || v > 1e11)
		usage_fail("--start-at: bad time '%s': expected CLOCK_REALTIME seconds since the "
			   "epoch, e.g. 1764655200.25%s",
			   s, "");
	return v;
}

#define SLOW_CONNS_MAX 1000000

/* --slow K:MODE[:ARG]: K from 1, MODE head:MS, idle or read:BPS. */
static void parse_slow(struct opts *o, const char *s)
{
	char *end;
	errno = 0;
	long long k = strtoll(s, &end, 10);
	if (end == s || *s < '0' || *s > '9' || errno || *end != ':' || k < 0 ||
	    k > SLOW_CONNS_MAX)
		usage_fail("--slow: bad value '%s': expected K:MODE[:ARG] with K a count from 0 to "
			   "1000000, e.g. 16:head:100, 64:idle or 8:read:1024%s",
			   s, "");
	const char *mode = end + 1, *arg = strchr(mode, ':');
	size_t mode_len = arg ? (size_t)(arg - mode) : strlen(mode);
	o->slow_conns = (int)k;
	if (mode_len == 4 && strncmp(mode, "idle", 4) == 0) {
		if (arg)
			usage_fail("--slow: bad value '%s': idle takes no argument%s", s, "");
		o->slow_mode = SLOW_IDLE;
		return;
	}
	if (mode_len == 4 && strncmp(mode, "head", 4) == 0)
		o->slow_mode = SLOW_HEAD;
	else if (mode_len == 4 && strncmp(mode, "read", 4) == 0)
		o->slow_mode = SLOW_READ;
	else
		usage_fail("--slow: bad mode in '%s': expected head:MS, idle or read:BPS%s", s, "");
	errno = 0;
	long long v = arg ? strtoll(arg + 1, &end, 10) : 0;
	if (!arg || end == arg + 1 || arg[1] < '0' || arg[1] > '9' || *end || errno || v < 1 ||
	    v > 1000000000)
		usage_fail(o->slow_mode == SLOW_HEAD
			       ? "--slow: bad value '%s': head needs MS, milliseconds between "
				 "bytes from 1, e.g. 16:head:100%s"
			       : "--slow: bad value '%s': read needs BPS, bytes per second from 1, "
				 "e.g. 8:read:1024%s",
			   s, "");
	o->slow_arg = (uint64_t)v;
}

static void parse_header(struct opts *o, const char *h)
{
	const char *colon = strchr(h, ':');
	if (!colon || colon == h || strpbrk(h, "\r\n"))
		usage_fail("-H: bad header '%s': expected 'Name: value'%s", h, "");
	if (o->n_headers == OPTS_MAX_HEADERS)
		usage_fail("-H: too many headers (at most %s)%s", "32", "");
	o->headers[o->n_headers++] = h;
}

static void copy_part(char *dst, size_t cap, const char *src, size_t n, const char *url)
{
	if (n >= cap)
		usage_fail("URL '%s': too long%s", url, "");
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void parse_url(struct opts *o, const char *url)
{
	const char *rest;
	if (strncmp(url, "http://", 7) == 0) {
		o->proto = PROTO_HTTP;
		rest = url + 7;
	} else if (strncmp(url, "daytime://", 10) == 0) {
		o->proto = PROTO_DAYTIME;
		rest = url + 10;
	} else {
		usage_fail("URL '%s': expected http://HOST:PORT/PATH or daytime://HOST:PORT%s", url,
			   "");
	}
	const char *slash = strchr(rest, '/');
	size_t hostport_len = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *host = rest, *host_end;
	if (*rest == '[') { /* [IPv6]:port */
		const char *close = memchr(rest, ']', hostport_len);
		if (!close)
			usage_fail("URL '%s': unterminated IPv6 address%s", url, "");
		host = rest + 1;
		host_end = close;
	} else {
		const char *colon = memchr(rest, ':', hostport_len);
		host_end = colon ? colon : rest + hostport_len;
	}
	copy_part(o->host, sizeof(o->host), host, (size_t)(host_end - host), url);
	if (o->host[0] == '\0')
		usage_fail("URL '%s': no host%s", url, "");
	const char *port = host_end + (*host_end == ']');
	if (port < rest + hostport_len && *port == ':') {
		copy_part(o->port, sizeof(o->port), port + 1,
			  (size_t)(rest + hostport_len - port - 1), url);
		parse_count("URL port", o->port, 1, 65535);
	} else {
		strcpy(o->port, o->proto == PROTO_HTTP ? "80" : "13");
	}
	if (o->proto == PROTO_DAYTIME && slash && slash[1])
		usage_fail("URL '%s': a daytime URL has no path%s", url, "");
	const char *path = slash ? slash : "/";
	copy_part(o->path, sizeof(o->path), path, strlen(path), url);
	if (strpbrk(o->path, " \r\n"))
		usage_fail("URL '%s': the path may not hold spaces or line breaks%s", url, "");
}

static void opts_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->conns = 10;
	o->threads = 2;
	o->duration_ms = 10000;
	o->timeout_ms = 2000;
	o->pipeline = 1;
}

static void opts_check(struct opts *o, int duration_set)
{
	if (o->think_ms && o->rate_rps > 0)
		usage_fail("--think-ms: only for the closed loop (-R sets the send times)%s%s", "",
			   "");
	if (o->max_requests && !duration_set)
		o->duration_ms = 0; /* --requests alone: run until N are done */
	if (o->max_requests && o->warmup_ms)
		usage_fail("--requests: cannot be combined with --warmup%s%s", "", "");
	if (o->proto == PROTO_DAYTIME && o->n_headers)
		usage_fail("-H: headers make no sense for a daytime URL%s%s", "", "");
	if (o->pipeline > 1 && o->proto == PROTO_DAYTIME)
		usage_fail("--pipeline: a daytime server answers once per connection%s%s", "", "");
	if (o->pipeline > 1 && o->close_each)
		usage_fail("--pipeline: needs keep-alive connections, not --close%s%s", "", "");
	if (o->pipeline > 1 && o->rate_rps > 0)
		usage_fail("--pipeline: only for the closed loop (-R sends each request at its own "
			   "time)%s%s",
			   "", "");
	if (o->pipeline > 1 && o->max_requests % (uint64_t)o->pipeline)
		usage_fail("--requests: must be a multiple of --pipeline %s%s",
			   o->pipeline_text, "");
	if (o->slow_conns && o->proto == PROTO_DAYTIME)
		usage_fail("--slow: a daytime server reads nothing from its clients%s%s", "", "");
	if (o->io == IO_URING && o->slow_conns)
		usage_fail("--slow: not with --io uring (the slow clients run in the epoll loop)%s%s",
			   "", "");
	if (o->io == IO_URING && o->pipeline > 1)
		usage_fail("--pipeline: not with --io uring (only the epoll loop pipelines)%s%s", "", "");
	if (o->threads > o->conns)
		o->threads =
		    o->conns; /* wrk refuses; one thread per connection at most is the same run */
}

/* Flags that shape a load run, which --merge does not take. */
static int opt_is_load(int c)
{
	return c != OPT_CSV && c != OPT_HIST_OUT && c != OPT_MERGE;
}

static void opts_apply(struct opts *o, int c, const char *arg, int *duration_set)
{
	switch (c) {
	case 'c': o->conns = (int)parse_count("-c", arg, 1, 10000000); break;
	case 't': o->threads = (int)parse_count("-t", arg, 1, 1024); break;
	case 'd':
		o->duration_ms = parse_duration_flag("-d", arg, 0);
		*duration_set = 1;
		break;
	case 'R': o->rate_rps = parse_rate(arg); break;
	case 'H': parse_header(o, arg); break;
	case OPT_WARMUP: o->warmup_ms = parse_duration_flag("--warmup", arg, 1); break;
	case OPT_CLOSE: o->close_each = 1; break;
	case OPT_TIMEOUT: o->timeout_ms = parse_timeout_ms(arg); break;
	case OPT_SRC_ADDRS: o->src_addrs = (int)parse_count("--src-addrs", arg, 1, 254); break;
	case OPT_CSV: o->csv = 1; break;
	case OPT_REQUESTS:
		o->max_requests = (uint64_t)parse_count("--requests", arg, 1, INT64_MAX);
		break;
	case OPT_THINK: o->think_ms = (uint64_t)parse_count("--think-ms", arg, 0, 3600000); break;
	case OPT_START_AT: o->start_at = parse_start_at(arg); break;
	case OPT_HIST_OUT: o->hist_out = arg; break;
	case OPT_MERGE: o->merge = 1; break;
	case OPT_PIPELINE:
		o->pipeline = (int)parse_count("--pipeline", arg, 1, 1024);
		o->pipeline_text = arg;
		break;
	case OPT_SLOW: parse_slow(o, arg); break;
	case OPT_IO:
		if (strcmp(arg, "epoll") != 0 && strcmp(arg, "uring") != 0)
			usage_fail("--io: bad value '%s': expected epoll or uring%s", arg, "");
		o->io = strcmp(arg, "uring") == 0 ? IO_URING : IO_EPOLL;
		break;
	default: break;
	}
}

void opts_parse(struct opts *o, int argc, char **argv)
{
	int c, duration_set = 0, load_flag = 0;
	opts_defaults(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:t:d:R:H:h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			char flag[3] = {'-', (char)optopt, 0};
			if (c == '?' && optopt > 0 && optopt < 128)
				bad = flag;
			if (c == ':')
				usage_fail("%s: missing value%s", bad, "");
			usage_fail("%s: unknown option%s", bad, "");
		}
		if (opt_is_load(c) && !load_flag)
			load_flag = optarg && optarg == argv[optind - 1] ? optind - 2 : optind - 1;
		opts_apply(o, c, optarg, &duration_set);
	}
	if (o->merge) {
		if (load_flag)
			usage_fail("--merge: takes only --csv and --hist-out, not '%s'%s",
				   argv[load_flag], "");
		if (optind >= argc)
			usage_fail("--merge: expected one or more --hist-out files%s%s", "", "");
		o->files = argv + optind;
		o->n_files = argc - optind;
		return;
	}
	if (optind != argc - 1)
		usage_fail(optind >= argc ? "missing URL%s%s"
					  : "expected one URL, got extra argument '%s'%s",
			   optind >= argc ? "" : argv[optind + 1], "");
	o->url = argv[optind];
	parse_url(o, o->url);
	opts_check(o, duration_set);
}

/* Command line of bin/loadgen (see usage in opts.c and ../../shared contract). */
#ifndef LOADGEN_OPTS_H
#define LOADGEN_OPTS_H

#include <stdint.h>

#define OPTS_MAX_HEADERS 32

enum proto { PROTO_HTTP, PROTO_DAYTIME };
enum io_kind { IO_EPOLL, IO_URING };

/* --slow K:MODE[:ARG]: what the K slow connections do (slow.c). */
enum slow_mode { SLOW_NONE, SLOW_HEAD, SLOW_IDLE, SLOW_READ };

struct opts {
	int conns;             /* -c */
	int threads;           /* -t */
	uint64_t duration_ms;  /* -d; 0 = no limit (only with --requests) */
	double rate_rps;       /* -R; 0 = closed loop */
	uint64_t warmup_ms;    /* --warmup */
	int close_each;        /* --close: a new connection per request */
	uint64_t timeout_ms;   /* --timeout, per request */
	int src_addrs;         /* --src-addrs; 0 = auto */
	int csv;               /* --csv */
	uint64_t max_requests; /* --requests; 0 = unlimited */
	uint64_t think_ms;     /* --think-ms; 0 = none */
	const char *hist_out;  /* --hist-out FILE, or NULL */
	double start_at;       /* --start-at, CLOCK_REALTIME seconds; 0 = now */
	int merge;             /* --merge: the arguments are --hist-out files */
	char **files;          /* --merge: the files */
	int n_files;
	int pipeline;             /* --pipeline N: requests sent together per connection (1) */
	const char *pipeline_text; /* as given, for messages */
	int slow_conns;           /* --slow K: slow connections beside the -c normal ones */
	enum slow_mode slow_mode; /* and what they do */
	uint64_t slow_arg;        /* head: ms between bytes; read: bytes/s */
	const char *headers[OPTS_MAX_HEADERS]; /* -H, as given */
	int n_headers;
	enum proto proto;
	enum io_kind io;       /* --io epoll|uring */
	const char *url;
	char host[256];
	char port[8];
	char path[2048];
};

/* Fills o from argv.  On a bad flag or value prints one line to stderr and
 * exits 2; on -h prints the usage to stdout and exits 0. */
void opts_parse(struct opts *o, int argc, char **argv);
/* "10", "10s", "500ms", "1m", "1h", "2.5s" -> milliseconds; -1 if malformed. */
int64_t opts_parse_duration_ms(const char *s);

#endif

/* options.h - the command line every model shares (see ../shared/contract.md).
 *
 * One parser for every model: options_parse() fills a struct server_opts or
 * prints one line on stderr naming the bad flag and why, and exits 2.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stddef.h>

enum proto { PROTO_HTTP, PROTO_DAYTIME };

#define OPT_DEFAULT_BACKLOG 4096 /* --backlog default; the kernel caps it at somaxconn */

struct server_opts {
	const char *addr;    /* -a, default 127.0.0.1 */
	int port;            /* -p, default 8080; 0 = pick a free port */
	enum proto proto;    /* --proto http|daytime */
	const char *root;    /* --root DIR, NULL = built-in "Hello, World!" */
	int root_fd;         /* O_PATH descriptor of root, -1 without --root */
	int workers;         /* --workers N (model's parallelism knob) */
	int max_conns;       /* --max-conns N (0 = model default) */
	int idle_ms;         /* --idle-ms N, default 10000 */
	int backlog;         /* --backlog N, default OPT_DEFAULT_BACKLOG */
	int spin_us;         /* --spin-us N */
	int block_us;        /* --block-us N */
	int quiet;           /* --quiet: no per-connection logging */
	int force_close;     /* set by a model (iterative): always Connection: close */
	const char *backend; /* --backend NAME (models that have several; NULL = default) */
	unsigned uring_off;  /* --uring-off LIST: URING_OFF_* bits (models with uring_knobs) */
	int min_wait_us;     /* --min-wait-us N (models with uring_knobs; 0 = none) */
	int pending_reads;   /* iocp-emul --pending-reads N, default 1 */
	int zero_byte_read;  /* iocp-emul --zero-byte-read */
	int buffer_budget;   /* iocp-emul --buffer-budget BYTES, 0 = none */
	int jitter_us;       /* iocp-emul --jitter-us N (tests): delay before handling a completion */
};

/* --uring-off's features, for the ablation (uring's --help says what each is). */
enum {
	URING_OFF_BATCH = 1,     /* one io_uring_enter per operation, not one per loop turn */
	URING_OFF_MULTISHOT = 2, /* a single-shot receive re-armed after each completion */
	URING_OFF_BUFRING = 4,   /* a buffer per connection, not the provided-buffer ring */
	URING_OFF_DEFER = 8,     /* no SINGLE_ISSUER | DEFER_TASKRUN */
	URING_OFF_FIXED = 16,    /* no registered files */
};

#define OPT_MAX_PENDING_READS 64

/* What a model tells the parser about itself. */
struct model_info {
	const char *name;    /* "thread": Server: header, log prefix */
	const char *summary; /* one line for --help */
	const char *
	    workers_help; /* what --workers means here; NULL = model has no knob (N > 1 rejected) */
	int workers_default;    /* default for --workers (1 when there is no knob) */
	int max_conns_default;  /* default --max-conns */
	int max_conns_limit;    /* hard upper bound for --max-conns, 0 = none */
	const char *extra_help; /* extra lines for --help (limits, stack size, ...), may be NULL */
	const char *backends;   /* "io_uring|epoll" if --backend is accepted, else NULL */
	int uring_knobs;        /* accepts --uring-off LIST and --min-wait-us N (uring) */
	int iocp_flags;         /* accepts --pending-reads, --zero-byte-read, --buffer-budget, --jitter-us */
};

/* Parse argv into *o; on error print one line and exit 2; on -h print help and exit 0.
 * Also opens --root (exits 2 when it is not a directory). */
void options_parse(int argc, char **argv, const struct model_info *m, struct server_opts *o);

enum { OPTIONS_OK = 0, OPTIONS_ERROR = -1, OPTIONS_HELP = 1 };

/* The same, without exiting or printing: OPTIONS_OK (root_fd opened when
 * --root was given), OPTIONS_HELP for -h, or OPTIONS_ERROR with the line
 * (without the program name) in err[0, errlen). argv may be permuted. */
int options_parse_args(int argc, char **argv, const struct model_info *m, struct server_opts *o,
		       char *err, size_t errlen);

#endif

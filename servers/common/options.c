/* options.c - the one command-line parser every model shares.
 *
 * A bad flag or value prints exactly one line on stderr, naming the flag and
 * why it is wrong, and exits 2 before anything listens. The core,
 * options_parse_args(), never exits: it returns the line (the fuzz target
 * tests/fuzz/fuzz_options.c calls it).
 */
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_PROTO = 256,
	OPT_ROOT,
	OPT_WORKERS,
	OPT_MAX_CONNS,
	OPT_IDLE_MS,
	OPT_BACKLOG,
	OPT_SPIN_US,
	OPT_BLOCK_US,
	OPT_QUIET,
	OPT_BACKEND,
	OPT_URING_OFF,
	OPT_MIN_WAIT_US,
	OPT_PENDING_READS,
	OPT_ZERO_BYTE_READ,
	OPT_BUFFER_BUDGET,
	OPT_JITTER_US,
};

static const struct option long_opts[] = {
    {"addr", required_argument, NULL, 'a'},
    {"port", required_argument, NULL, 'p'},
    {"proto", required_argument, NULL, OPT_PROTO},
    {"root", required_argument, NULL, OPT_ROOT},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"idle-ms", required_argument, NULL, OPT_IDLE_MS},
    {"backlog", required_argument, NULL, OPT_BACKLOG},
    {"spin-us", required_argument, NULL, OPT_SPIN_US},
    {"block-us", required_argument, NULL, OPT_BLOCK_US},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"uring-off", required_argument, NULL, OPT_URING_OFF},
    {"min-wait-us", required_argument, NULL, OPT_MIN_WAIT_US},
    {"pending-reads", required_argument, NULL, OPT_PENDING_READS},
    {"zero-byte-read", no_argument, NULL, OPT_ZERO_BYTE_READ},
    {"buffer-budget", required_argument, NULL, OPT_BUFFER_BUDGET},
    {"jitter-us", required_argument, NULL, OPT_JITTER_US},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Format the error into err[0, n); returns OPTIONS_ERROR. It stays one line:
 * a control character an argument brought in ("--proto $'a\nb'") becomes '?'. */
static int __attribute__((format(printf, 3, 4))) bad(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return OPTIONS_ERROR;
}

/* Parse a whole decimal integer in [lo, hi] into *out, or say why not. */
static int parse_int(const char *flag, const char *s, long lo, long hi, int *out, char *err,
		     size_t n)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return bad(err, n, "%s: '%s' is not a whole number", flag, s);
	if (v < lo || v > hi)
		return bad(err, n, "%s: %s is out of range (%ld to %ld)", flag, s, lo, hi);
	*out = (int)v;
	return OPTIONS_OK;
}

static const char *const uring_off_names[] = {"batch", "multishot", "bufring", "defer", "fixed"};

/* --uring-off LIST: a comma list of uring_off_names into URING_OFF_* bits. */
static int parse_uring_off(const char *s, unsigned *out, char *err, size_t n)
{
	*out = 0;
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		unsigned bit = 0;
		for (unsigned i = 0; i < sizeof uring_off_names / sizeof uring_off_names[0]; i++)
			if (len == strlen(uring_off_names[i]) && strncmp(p, uring_off_names[i], len) == 0)
				bit = 1u << i;
		if (!bit)
			return bad(err, n,
				   "--uring-off: '%.*s' is not one of batch, multishot, bufring, "
				   "defer, fixed",
				   (int)len, p);
		*out |= bit;
		p += len;
		if (!*p)
			return OPTIONS_OK;
	}
}

static void print_help(const struct model_info *m, const struct server_opts *o, const char *prog)
{
	printf("%s - %s\n\n", m->name, m->summary);
	printf("usage: %s [-a ADDR] [-p PORT] [--proto http|daytime] [--root DIR]\n"
	       "       %*s [--workers N] [--max-conns N] [--idle-ms N] [--backlog N]\n"
	       "       %*s [--spin-us N] [--block-us N] [--quiet]%s [-h|--help]\n\n",
	       prog, (int)strlen(prog), "", (int)strlen(prog), "",
	       m->backends ? " [--backend B]" : "");
	printf("  -a, --addr ADDR    bind address (default %s)\n", o->addr);
	printf("  -p, --port PORT    port (default %d; 0 picks a free port)\n", o->port);
	printf("  --proto P          http (default) or daytime (RFC 867)\n");
	printf(
	    "  --root DIR         serve files from DIR (default: 'Hello, World!' for any path)\n");
	if (m->workers_help)
		printf("  --workers N        %s (default %d)\n", m->workers_help,
		       m->workers_default);
	else
		printf("  --workers N        this model has no parallelism knob: only 1 is "
		       "accepted\n");
	printf("  --max-conns N      answer 503 beyond N live connections (default %d)\n",
	       m->max_conns_default);
	printf("  --idle-ms N        close a connection idle, or with an incomplete head, for N ms "
	       "(default %d)\n",
	       o->idle_ms);
	printf("  --backlog N        listen backlog (default %d)\n", o->backlog);
	printf("  --spin-us N        burn N us of CPU per request\n");
	printf("  --block-us N       block the serving kernel thread N us per request (simulated "
	       "disk miss)\n");
	printf("  --quiet            no informational logging on stderr\n");
	if (m->backends)
		printf("  --backend B        %s\n", m->backends);
	if (m->uring_knobs)
		printf("  --uring-off LIST   turn features off, for the ablation (comma list):\n"
		       "                     batch (one io_uring_enter per operation), multishot\n"
		       "                     (single-shot receives), bufring (a buffer per connection;\n"
		       "                     implies multishot), defer (no SINGLE_ISSUER|DEFER_TASKRUN),\n"
		       "                     fixed (no registered files)\n"
		       "  --min-wait-us N    once a completion has arrived, let the wait gather more for\n"
		       "                     up to N us (the kernel's min-wait, Linux >= 6.12; said and\n"
		       "                     ignored where the kernel lacks it; default 0)\n");
	if (m->iocp_flags)
		printf("  --pending-reads N  receives posted per connection (default 1, at most "
		       "%d), put back in order by sequence numbers\n"
		       "  --zero-byte-read   post a zero-length receive, read only once data is "
		       "there (no buffer held while idle)\n"
		       "  --buffer-budget B  receives fail as WSAENOBUFS past B bytes posted in all "
		       "(default: none)\n"
		       "  --jitter-us N      a worker waits a random 0..N us (as if blocked) before\n"
		       "                     it handles a completion: reordering made likely, for tests\n",
		       OPT_MAX_PENDING_READS);
	printf("  -h, --help         this help\n");
	if (m->extra_help)
		printf("\n%s\n", m->extra_help);
	printf(
	    "\nReady: prints 'listening on ADDR:PORT' on stdout. SIGINT/SIGTERM: stop, exit 0.\n");
}

static int open_root(struct server_opts *o, char *err, size_t n)
{
	struct stat st;
	int fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return bad(err, n, "--root: %s: %s", o->root,
			   e == ENOTDIR ? "not a directory" : strerror(e));
	}
	o->root_fd = fd;
	return OPTIONS_OK;
}

/* The long name of option c ("pending-reads"): a flag's value may follow it in
 * argv, so argv[optind - 1] does not always name it. */
static const char *long_name(int c)
{
	const struct option *o = long_opts;
	while (o->name && o->val != c)
		o++;
	return o->name ? o->name : "?";
}

/* One option c with its argument. */
static int apply_opt(int c, char *arg, const char *flag, const struct model_info *m,
		     struct server_opts *o, char *err, size_t n)
{
	long conns_hi = m->max_conns_limit > 0 ? m->max_conns_limit : INT_MAX;

	switch (c) {
	case 'a': o->addr = arg; return OPTIONS_OK;
	case 'p': return parse_int("-p", arg, 0, 65535, &o->port, err, n);
	case OPT_PROTO:
		if (strcmp(arg, "http") == 0)
			o->proto = PROTO_HTTP;
		else if (strcmp(arg, "daytime") == 0)
			o->proto = PROTO_DAYTIME;
		else
			return bad(err, n, "--proto: '%s' is not http or daytime", arg);
		return OPTIONS_OK;
	case OPT_ROOT: o->root = arg; return OPTIONS_OK;
	case OPT_WORKERS:
		if (parse_int("--workers", arg, 1, 100000, &o->workers, err, n))
			return OPTIONS_ERROR;
		if (!m->workers_help && o->workers > 1)
			return bad(err, n,
				   "--workers: %s has no parallelism knob (only 1 is accepted)",
				   m->name);
		return OPTIONS_OK;
	case OPT_MAX_CONNS:
		return parse_int("--max-conns", arg, 1, conns_hi, &o->max_conns, err, n);
	case OPT_IDLE_MS: return parse_int("--idle-ms", arg, 1, 86400000, &o->idle_ms, err, n);
	case OPT_BACKLOG: return parse_int("--backlog", arg, 1, 1 << 20, &o->backlog, err, n);
	case OPT_SPIN_US: return parse_int("--spin-us", arg, 0, 10000000, &o->spin_us, err, n);
	case OPT_BLOCK_US: return parse_int("--block-us", arg, 0, 10000000, &o->block_us, err, n);
	case OPT_QUIET: o->quiet = 1; return OPTIONS_OK;
	case OPT_BACKEND:
		if (!m->backends)
			return bad(err, n, "--backend: %s has only one backend", m->name);
		o->backend = arg;
		return OPTIONS_OK;
	case OPT_URING_OFF:
		if (!m->uring_knobs)
			return bad(err, n, "--uring-off: unknown option for %s (only uring has it)",
				   m->name);
		return parse_uring_off(arg, &o->uring_off, err, n);
	case OPT_MIN_WAIT_US:
		if (!m->uring_knobs)
			return bad(err, n, "--min-wait-us: unknown option for %s (only uring has it)",
				   m->name);
		return parse_int("--min-wait-us", arg, 0, 1000000, &o->min_wait_us, err, n);
	case OPT_PENDING_READS:
	case OPT_ZERO_BYTE_READ:
	case OPT_BUFFER_BUDGET:
	case OPT_JITTER_US:
		if (!m->iocp_flags)
			return bad(err, n, "--%s: unknown option for %s (only iocp-emul has it)",
				   long_name(c), m->name);
		if (c == OPT_ZERO_BYTE_READ)
			return o->zero_byte_read = 1, OPTIONS_OK;
		if (c == OPT_PENDING_READS)
			return parse_int("--pending-reads", arg, 1, OPT_MAX_PENDING_READS,
					 &o->pending_reads, err, n);
		if (c == OPT_JITTER_US)
			return parse_int("--jitter-us", arg, 0, 1000000, &o->jitter_us, err, n);
		return parse_int("--buffer-budget", arg, 1, INT_MAX, &o->buffer_budget, err, n);
	case 'h': return OPTIONS_HELP;
	case ':': return bad(err, n, "%s: missing value", flag);
	default: return bad(err, n, "%s: unknown option (see --help)", flag);
	}
}

int options_parse_args(int argc, char **argv, const struct model_info *m, struct server_opts *o,
		       char *err, size_t errlen)
{
	*o = (struct server_opts){
	    .addr = "127.0.0.1",
	    .port = 8080,
	    .proto = PROTO_HTTP,
	    .root_fd = -1,
	    .workers = m->workers_default > 0 ? m->workers_default : 1,
	    .max_conns = m->max_conns_default,
	    .idle_ms = 10000,
	    .backlog = OPT_DEFAULT_BACKLOG,
	    .pending_reads = 1,
	};
	int c, rc;

	opterr = 0;
	optind = 0; /* 0, not 1: glibc then forgets a previous parse entirely */
	while ((c = getopt_long(argc, argv, ":a:p:h", long_opts, NULL)) != -1)
		if ((rc = apply_opt(c, optarg, argv[optind - 1], m, o, err, errlen)) != OPTIONS_OK)
			return rc;
	if (optind < argc)
		return bad(err, errlen, "%s: unexpected argument (see --help)", argv[optind]);
	return o->root ? open_root(o, err, errlen) : OPTIONS_OK;
}

void options_parse(int argc, char **argv, const struct model_info *m, struct server_opts *o)
{
	char err[512];
	int rc = options_parse_args(argc, argv, m, o, err, sizeof err);
	if (rc == OPTIONS_HELP) {
		print_help(m, o, m->name);
		exit(0);
	}
	if (rc == OPTIONS_ERROR) {
		fprintf(stderr, "%s: %s\n", m->name, err);
		exit(2);
	}
}

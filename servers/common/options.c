/* options.c - the one command-line parser every model shares.
 *
 * A bad flag or value prints exactly one line on stderr, naming the flag and
 * why it is wrong, and exits 2 before anything listens.
 */
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *prog = "server";

static void __attribute__((noreturn)) die_usage(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(2);
}

/* Parse a whole decimal integer in [lo, hi] or exit 2 naming the flag. */
static int parse_int(const char *flag, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0') {
		fprintf(stderr, "%s: %s: '%s' is not a whole number\n", prog, flag, s);
		exit(2);
	}
	if (v < lo || v > hi) {
		fprintf(stderr, "%s: %s: %s is out of range (%ld to %ld)\n", prog, flag, s, lo, hi);
		exit(2);
	}
	return (int)v;
}

static void print_help(const struct model_info *m, const struct server_opts *o)
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
	printf("  -h, --help         this help\n");
	if (m->extra_help)
		printf("\n%s\n", m->extra_help);
	printf(
	    "\nReady: prints 'listening on ADDR:PORT' on stdout. SIGINT/SIGTERM: stop, exit 0.\n");
}

static void open_root(struct server_opts *o)
{
	struct stat st;
	int fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		die_usage("--root: %s: %s", o->root,
			  errno == ENOTDIR ? "not a directory" : strerror(errno));
	o->root_fd = fd;
}

void options_parse(int argc, char **argv, const struct model_info *m, struct server_opts *o)
{
	prog = m->name;
	*o = (struct server_opts){
	    .addr = "127.0.0.1",
	    .port = 8080,
	    .proto = PROTO_HTTP,
	    .root_fd = -1,
	    .workers = m->workers_default > 0 ? m->workers_default : 1,
	    .max_conns = m->max_conns_default,
	    .idle_ms = 10000,
	    .backlog = 4096,
	};
	long conns_hi = m->max_conns_limit > 0 ? m->max_conns_limit : INT_MAX;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":a:p:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 'p': o->port = parse_int("-p", optarg, 0, 65535); break;
		case OPT_PROTO:
			if (strcmp(optarg, "http") == 0)
				o->proto = PROTO_HTTP;
			else if (strcmp(optarg, "daytime") == 0)
				o->proto = PROTO_DAYTIME;
			else
				die_usage("--proto: '%s' is not http or daytime%s", optarg, "");
			break;
		case OPT_ROOT: o->root = optarg; break;
		case OPT_WORKERS:
			o->workers = parse_int("--workers", optarg, 1, 100000);
			if (!m->workers_help && o->workers > 1)
				die_usage(
				    "--workers: %s has no parallelism knob (only 1 is accepted)%s",
				    m->name, "");
			break;
		case OPT_MAX_CONNS:
			o->max_conns = parse_int("--max-conns", optarg, 1, conns_hi);
			break;
		case OPT_IDLE_MS: o->idle_ms = parse_int("--idle-ms", optarg, 1, 86400000); break;
		case OPT_BACKLOG: o->backlog = parse_int("--backlog", optarg, 1, 1 << 20); break;
		case OPT_SPIN_US: o->spin_us = parse_int("--spin-us", optarg, 0, 10000000); break;
		case OPT_BLOCK_US:
			o->block_us = parse_int("--block-us", optarg, 0, 10000000);
			break;
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_BACKEND:
			if (!m->backends)
				die_usage("--backend: %s has only one backend%s", m->name, "");
			o->backend = optarg;
			break;
		case 'h': print_help(m, o); exit(0);
		case ':': die_usage("%s: missing value", argv[optind - 1], "");
		default: die_usage("%s: unknown option (see --help)", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		die_usage("%s: unexpected argument (see --help)", argv[optind], "");
	if (o->root)
		open_root(o);
}

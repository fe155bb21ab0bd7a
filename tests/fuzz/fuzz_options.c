/* fuzz_options.c - libFuzzer target: the server command line
 * (servers/common/options.c, through its non-exiting core options_parse_args).
 *
 * Input: one byte choosing the model description (bit 0: a model with a
 * --workers knob and --backend; else one without either), then the arguments
 * separated by NUL bytes (at most 64). What aborts: a result that is none of
 * ok/help/error; an error without its one line (empty, or holding a control
 * character: the CLI prints it as the single stderr line); a parse said to be
 * ok whose values break the ranges the parser promises, or with --root and
 * no open directory descriptor (or one without --root); a leaked descriptor.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_NAME "fuzz_options"
#include "fuzz.h"
#include "options.h"

#define MAX_ARGS 64

static const struct model_info models[2] = {
    {.name = "plain", .summary = "a model without knobs", .max_conns_default = 1000},
    {.name = "knobs",
     .summary = "a model with --workers and --backend",
     .workers_help = "worker threads",
     .workers_default = 4,
     .max_conns_default = 1000,
     .max_conns_limit = 50000,
     .backends = "io_uring|epoll"},
};

static void check_ok(const struct server_opts *o, const struct model_info *m)
{
	struct stat st;
	if (o->port < 0 || o->port > 65535 || o->workers < 1 || o->max_conns < 1 ||
	    o->idle_ms < 1 || o->backlog < 1 || o->spin_us < 0 || o->block_us < 0 || !o->addr)
		FAIL("a value out of its range after a successful parse");
	if (!m->workers_help && o->workers != 1)
		FAIL("--workers %d accepted by a model without the knob", o->workers);
	if (m->max_conns_limit && o->max_conns > m->max_conns_limit)
		FAIL("--max-conns %d above the model's limit", o->max_conns);
	if (o->backend && !m->backends)
		FAIL("--backend accepted by a model with one backend");
	if (o->proto != PROTO_HTTP && o->proto != PROTO_DAYTIME)
		FAIL("proto %d", (int)o->proto);
	if (!o->root != (o->root_fd < 0))
		FAIL("root %s with root_fd %d", o->root ? o->root : "(none)", o->root_fd);
	if (o->root_fd >= 0 && (fstat(o->root_fd, &st) != 0 || !S_ISDIR(st.st_mode)))
		FAIL("root_fd %d is not an open directory", o->root_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 2], err[512];
	int argc = 0, fd0 = lowest_fd();
	struct server_opts o;

	if (size < 1)
		return 0;
	const struct model_info *m = &models[data[0] & 1];
	copy = malloc(size); /* the strings, each ending in NUL */
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	argv[argc++] = (char *)m->name;
	for (size_t i = 0; i < size - 1 && argc <= MAX_ARGS; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	argv[argc] = NULL;

	memset(err, 'X', sizeof err);
	int rc = options_parse_args(argc, argv, m, &o, err, sizeof err);
	if (rc == OPTIONS_ERROR) {
		if (!memchr(err, '\0', sizeof err) || err[0] == '\0')
			FAIL("an error without its message");
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				FAIL("the error line holds control character 0x%02x: %s",
				     (unsigned char)*p, err);
	} else if (rc == OPTIONS_OK) {
		check_ok(&o, m);
		if (o.root_fd >= 0)
			close(o.root_fd);
	} else if (rc != OPTIONS_HELP) {
		FAIL("result %d", rc);
	}
	free(copy);
	if (lowest_fd() != fd0)
		FAIL("a descriptor leaked (lowest free fd %d, was %d)", lowest_fd(), fd0);
	return 0;
}

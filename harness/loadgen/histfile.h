/* --hist-out files and --merge: a run's totals, latency histogram and
 * per-connection counts as "key value" text lines (format in
 * results/README.md), read back and merged for clients that ran together. */
#ifndef LOADGEN_HISTFILE_H
#define LOADGEN_HISTFILE_H

#include <stddef.h>

#include "opts.h"
#include "report.h"

#define HISTFILE_MAGIC     "loadgen-hist 1"
#define HISTFILE_URL_BYTES 2400

/* What a file holds besides the run_result: the run's settings. */
struct histfile {
	struct run_result r;
	struct opts o;
	char url[HISTFILE_URL_BYTES];
};

/* 0, or -1 with errno set. */
int histfile_write(const char *path, const struct run_result *r);
/* Fills f from path; 0, or -1 with a one-line reason in err. */
int histfile_read(const char *path, struct histfile *f, char *err, size_t err_cap);
/* Adds `from` into `into` (an empty histfile takes from's settings); 0, or -1
 * with a reason in err when the two runs cannot be merged. */
int histfile_merge(struct histfile *into, const struct histfile *from, char *err, size_t err_cap);
void histfile_init(struct histfile *f);
void histfile_free(struct histfile *f);

#endif

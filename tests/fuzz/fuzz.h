/* fuzz.h - what the fuzz targets share: abort with a one-line reason (a
 * finding for libFuzzer), and the lowest free descriptor (a leak check: a
 * leaked descriptor takes the lowest free slot, so the next one moves up).
 * Define FUZZ_NAME before including. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, FUZZ_NAME ": " __VA_ARGS__);                                       \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

static inline int lowest_fd(void)
{
	int fd = dup(0);
	if (fd >= 0)
		close(fd);
	return fd;
}

#endif

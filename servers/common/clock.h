/* clock.h - the monotonic clock, for every duration (never gettimeofday).
 * clock_gettime(CLOCK_MONOTONIC) is a vDSO call: no system call.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

static inline long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline long long now_us(void)
{
	return now_ns() / 1000;
}

static inline long long now_ms(void)
{
	return now_us() / 1000;
}

#endif

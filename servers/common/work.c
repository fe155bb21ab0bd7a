/* work.c - per-request work: --spin-us burns CPU, --block-us blocks the kernel thread. */
#include "work.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void (*block_before)(void);
static void (*block_after)(void);

void work_set_block_hooks(void (*before)(void), void (*after)(void))
{
	block_before = before;
	block_after = after;
}

static long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Burn CPU time (not wall time), so a preempted spinner still does its share. */
void work_spin(int us)
{
	if (us <= 0)
		return;
	long long end = thread_cpu_ns() + us * 1000LL;
	volatile unsigned long x = 0;
	while (thread_cpu_ns() < end)
		for (int i = 0; i < 64; i++)
			x += (unsigned long)i;
}

/* A real blocking system call, issued directly so that no user-level thread
 * library (Pth's syscall wrappers) can turn it into a cooperative yield. */
void work_block(int us)
{
	if (us <= 0)
		return;
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	if (block_before)
		block_before();
	while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, &ts) != 0)
		; /* EINTR: sleep the remainder */
	if (block_after)
		block_after();
}

void work_do(int spin_us, int block_us)
{
	work_spin(spin_us);
	work_block(block_us);
}

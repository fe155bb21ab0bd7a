/* test_uthread.c - the user-level thread runtime (servers/uthread/uthread.h), TAP output.
 *
 * Each case is one piece of the runtime, run in a fresh scheduler:
 *   switch: a thread runs, yields and resumes where it left off;
 *   ready queue: threads run in spawn order and a yield goes to the tail (FIFO);
 *   fd wait: a thread waiting for a socket sleeps until data arrives, written
 *   by another user thread; readiness already told is answered without a wait;
 *   timeout: a wait for a silent socket returns 0 after its timeout;
 *   sleep: sleepers wake in deadline order, not before their time;
 *   blocking offload: while one thread is in work_block (moved to a pool
 *   kernel thread by the hooks), the scheduler keeps running the others, and
 *   the blocked thread comes back to its scheduler's kernel thread.
 * Exit 0 when every case passes, 1 on a failure.
 *
 * --bench [N]: not a test; prints ns per switch (jump_fcontext, and glibc's
 * swapcontext for comparison). Count its system calls with
 *   perf stat -e raw_syscalls:sys_enter bin/tests/test_uthread --bench N
 * at two values of N: the count does not grow with N.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include "../../servers/uthread/uthread.h"
#include "clock.h"
#include "tap.h"
#include "work.h"

static char msg[256];

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond) && !msg[0])                                                            \
			snprintf(msg, sizeof msg, __VA_ARGS__);                                    \
	} while (0)

/* ---- switch and ready queue ---- */

static char order[64];
static size_t order_len;

static void note(char c)
{
	if (order_len + 1 < sizeof order)
		order[order_len++] = c, order[order_len] = '\0';
}

static void letter_twice(void *arg)
{
	note(*(char *)arg);
	uthread_yield();
	note((char)(*(char *)arg - 'a' + 'A'));
}

static void main_switch(void *unused)
{
	(void)unused;
	static char a = 'a';
	uthread_spawn(letter_twice, &a);
	note('m');
	uthread_yield();
	note('M');
	uthread_yield();
	EXPECT(strcmp(order, "maMA") == 0, "expected run order maMA, got %s", order);
}

static void main_fifo(void *unused)
{
	(void)unused;
	static char l[3] = {'a', 'b', 'c'};
	for (int i = 0; i < 3; i++)
		uthread_spawn(letter_twice, &l[i]);
	EXPECT(uthread_count() == 4, "expected 4 threads alive, got %d", uthread_count());
	while (uthread_count() > 1)
		uthread_yield();
	EXPECT(strcmp(order, "abcABC") == 0, "expected FIFO order abcABC, got %s", order);
}

/* ---- fd wait and timeout ---- */

static int sv[2];
static long long woke_after_ns;

static void writer_later(void *unused)
{
	(void)unused;
	uthread_sleep_ms(30);
	if (write(sv[1], "x", 1) != 1)
		snprintf(msg, sizeof msg, "write: %s", strerror(errno));
}

static void main_fd_wait(void *unused)
{
	(void)unused;
	char c;
	uthread_spawn(writer_later, NULL);
	long long t0 = now_ns();
	ssize_t n = uthread_read(sv[0], &c, 1, 2000);
	woke_after_ns = now_ns() - t0;
	EXPECT(n == 1 && c == 'x', "expected to read 'x', got %zd (%s)", n, strerror(errno));
	EXPECT(woke_after_ns >= 25000000LL && woke_after_ns < 1000000000LL,
	       "expected to wake after ~30 ms, woke after %lld ms", woke_after_ns / 1000000);
	/* An edge already told: poll answers at once, no wait. */
	if (write(sv[1], "yz", 2) != 2)
		snprintf(msg, sizeof msg, "write: %s", strerror(errno));
	uthread_sleep_ms(5);
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	EXPECT(uthread_poll(&p, 1, 0) == 1 && (p.revents & POLLIN),
	       "expected poll to report the pending bytes, got revents %d", p.revents);
	EXPECT(uthread_read(sv[0], &c, 1, 0) == 1, "expected a byte, got none");
}

/* Data and the peer's FIN told in one edge: a short read uses up the data,
 * and the hangup must not be forgotten with it, or the next poll waits for an
 * edge that already came (a half-closed client waited out --idle-ms). */
static void writer_then_shutdown(void *unused)
{
	(void)unused;
	uthread_sleep_ms(20);
	if (write(sv[1], "abc", 3) != 3 || shutdown(sv[1], SHUT_WR) < 0)
		snprintf(msg, sizeof msg, "write/shutdown: %s", strerror(errno));
}

static void main_hup(void *unused)
{
	(void)unused;
	char buf[64];
	uthread_spawn(writer_then_shutdown, NULL);
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	ssize_t n = uthread_read(sv[0], buf, sizeof buf, 2000); /* waits for the one edge */
	EXPECT(n == 3, "expected a short read of 3 bytes, got %zd", n);
	long long t0 = now_ns();
	int r = uthread_poll(&p, 1, 2000);
	long long ms = (now_ns() - t0) / 1000000;
	EXPECT(r == 1 && ms < 500,
	       "expected poll to report the hangup at once, got %d after %lld ms", r, ms);
	n = uthread_read(sv[0], buf, sizeof buf, 0);
	EXPECT(n == 0, "expected end of file after the hangup, got %zd", n);
	t0 = now_ns();
	r = uthread_wait_fd(sv[0], EPOLLIN, 2000);
	ms = (now_ns() - t0) / 1000000;
	EXPECT(r == 1 && ms < 500,
	       "expected wait_fd to answer at once after a hangup, got %d after %lld ms", r, ms);
}

/* A call of the caller's own (accept on a listener) saw EAGAIN: once told
 * with uthread_drained, poll waits for the next edge instead of answering
 * from the old one (the accept loop spun and starved every connection). */
static void main_drained(void *unused)
{
	(void)unused;
	char c;
	struct pollfd p = {.fd = sv[0], .events = POLLIN};
	EXPECT(uthread_poll(&p, 1, 0) == 1, "expected a fresh fd's poll to let the caller try, got none");
	EXPECT(read(sv[0], &c, 1) < 0 && errno == EAGAIN, "expected EAGAIN from an empty socket");
	uthread_drained(sv[0], EPOLLIN);
	uthread_spawn(writer_later, NULL);
	long long t0 = now_ns();
	int r = uthread_poll(&p, 1, 2000);
	long long ms = (now_ns() - t0) / 1000000;
	EXPECT(r == 1 && ms >= 25 && ms < 1000,
	       "expected poll to wait for the write ~30 ms later, got %d after %lld ms", r, ms);
}

static void main_timeout(void *unused)
{
	(void)unused;
	char c;
	long long t0 = now_ns();
	ssize_t n = uthread_read(sv[0], &c, 1, 50);
	long long ms = (now_ns() - t0) / 1000000;
	EXPECT(n < 0 && errno == ETIMEDOUT, "expected -1 ETIMEDOUT, got %zd (%s)", n,
	       strerror(errno));
	EXPECT(ms >= 50 && ms < 1000, "expected the timeout after 50 ms, came after %lld ms", ms);
	t0 = now_ns();
	int r = uthread_wait_fd(sv[0], EPOLLIN, 20);
	ms = (now_ns() - t0) / 1000000;
	EXPECT(r == 0 && ms >= 20, "expected wait_fd 0 after 20 ms, got %d after %lld ms", r, ms);
}

/* ---- sleep ---- */

static void sleeper(void *arg)
{
	int ms = *(int *)arg;
	long long t0 = now_ns();
	uthread_sleep_ms(ms);
	EXPECT((now_ns() - t0) / 1000000 >= ms, "expected to sleep %d ms, woke after %lld ms", ms,
	       (now_ns() - t0) / 1000000);
	note((char)('0' + ms / 10));
}

static void main_sleep(void *unused)
{
	(void)unused;
	static int ms[3] = {40, 10, 20};
	for (int i = 0; i < 3; i++)
		uthread_spawn(sleeper, &ms[i]);
	while (uthread_count() > 1)
		uthread_sleep_ms(5);
	EXPECT(strcmp(order, "124") == 0, "expected wake order 1,2,4 (x10 ms), got %s", order);
}

/* ---- blocking offload ---- */

static pthread_t sched_thread;
static int ticks, blocked_done, ticks_while_blocked;

static void blocker(void *unused)
{
	(void)unused;
	work_block(100000); /* 100 ms, in a pool kernel thread */
	ticks_while_blocked = ticks;
	blocked_done = 1;
	EXPECT(pthread_equal(pthread_self(), sched_thread),
	       "expected the thread back on its scheduler's kernel thread, got another");
}

static void ticker(void *unused)
{
	(void)unused;
	while (!blocked_done) {
		ticks++;
		uthread_sleep_ms(5);
	}
}

static void main_offload(void *unused)
{
	(void)unused;
	sched_thread = pthread_self();
	work_set_block_hooks(uthread_block_begin, uthread_block_end);
	uthread_spawn(blocker, NULL);
	uthread_spawn(ticker, NULL);
	long long t0 = now_ns();
	while (uthread_count() > 1)
		uthread_sleep_ms(5);
	long long ms = (now_ns() - t0) / 1000000;
	work_set_block_hooks(NULL, NULL);
	EXPECT(ticks_while_blocked >= 5,
	       "expected the ticker to run while the blocker blocked, it ticked %d times",
	       ticks_while_blocked);
	EXPECT(ms >= 100 && ms < 2000, "expected the blocker to take 100 ms, took %lld ms", ms);
}

static const struct {
	const char *name;
	void (*main)(void *);
} cases[] = {
    {"switch: yield and resume where it left off", main_switch},
    {"ready queue: spawn order, yield to the tail (FIFO)", main_fifo},
    {"fd wait: sleep until another thread writes; told edges answer at once", main_fd_wait},
    {"timeout: a silent socket's read and wait_fd time out", main_timeout},
    {"hangup: a FIN told with the data survives the short read that drains it", main_hup},
    {"drained: after the caller's own EAGAIN, poll waits for the next edge", main_drained},
    {"sleep: sleepers wake in deadline order, not early", main_sleep},
    {"blocking offload: the scheduler runs others while one blocks", main_offload},
};

static void run_case(int i)
{
	struct uthread_sched *s = uthread_sched_new();
	msg[0] = order[0] = '\0';
	order_len = 0;
	if (!s || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
		snprintf(msg, sizeof msg, "setup: %s", strerror(errno));
	} else {
		uthread_sched_run(s, cases[i].main, NULL);
		close(sv[0]);
		close(sv[1]);
	}
	uthread_pool_stop();
	if (s)
		uthread_sched_free(s);
	tap_check(!msg[0], cases[i].name, "%s", msg);
}

/* ---- micro-benchmark ---- */

static long bench_n;

static void pingpong(void *unused)
{
	(void)unused;
	for (long i = 0; i < bench_n; i++)
		uthread_yield();
}

static void main_bench(void *unused)
{
	(void)unused;
	uthread_spawn(pingpong, NULL);
	long long t0 = now_ns();
	for (long i = 0; i < bench_n; i++)
		uthread_yield();
	long long dt = now_ns() - t0;
	/* Each yield is two jumps (thread -> scheduler -> next thread). */
	printf(
	    "uthread (jump_fcontext): %.1f ns per yield (thread to thread), %.1f ns per switch\n",
	    (double)dt / (2.0 * bench_n), (double)dt / (4.0 * bench_n));
}

static ucontext_t uc_main, uc_other;

static void uc_loop(void)
{
	for (;;)
		swapcontext(&uc_other, &uc_main);
}

static void bench_swapcontext(void)
{
	static char stack[64 * 1024];
	getcontext(&uc_other);
	uc_other.uc_stack.ss_sp = stack;
	uc_other.uc_stack.ss_size = sizeof stack;
	uc_other.uc_link = NULL;
	makecontext(&uc_other, uc_loop, 0);
	long long t0 = now_ns();
	for (long i = 0; i < bench_n; i++)
		swapcontext(&uc_main, &uc_other);
	long long dt = now_ns() - t0;
	printf("glibc swapcontext: %.1f ns per switch (each calls rt_sigprocmask)\n",
	       (double)dt / (2.0 * bench_n));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		bench_n = argc > 2 ? atol(argv[2]) : 2000000;
		struct uthread_sched *s = uthread_sched_new();
		if (!s)
			return 1;
		uthread_sched_run(s, main_bench, NULL);
		uthread_sched_free(s);
		if (argc <= 3)
			bench_swapcontext();
		return 0;
	}
	alarm(60); /* a hang is a failure */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case((int)i);
	return tap_done();
}

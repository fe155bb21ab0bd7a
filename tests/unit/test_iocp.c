/* test_iocp.c - the emulated completion port (servers/iocp-emul/iocp.h), on
 * both backends (TAP output).
 *
 * Each case is one semantic of a Windows completion port or one operation,
 * and runs once per backend:
 *   the port: packets FIFO; waiters released LIFO; at most `concurrency`
 *   threads running; a thread blocking (iocp_block_begin, through
 *   work_block's hooks) releases a waiter; one posted packet per worker shuts
 *   the pool down, even with concurrency 1; iocp_get times out;
 *   the operations: accept, receive, send of several buffers, file read at an
 *   offset, disconnect (FIN and RST), a receive timeout, and failures arriving
 *   as completions;
 * and the fallback: with io_uring_setup refused (a seccomp filter in a child,
 * as containers do) iocp_create_backend picks epoll and says so.
 * io_uring cases are skipped (# SKIP) when the kernel refuses io_uring.
 * Exit 0 when every case passes (or is skipped), 1 on a failure, 77 when
 * everything was skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iocp.h"
#include "net.h"
#include "work.h"

static int test_no, failures, skips;

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A case fails with a message "expected X, got Y". */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(msg, msglen, __VA_ARGS__);                                        \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* Wait (at most 2 s) until the port reports n waiting threads. */
static int wait_waiting(struct iocp_port *p, int n)
{
	struct iocp_stats st;
	long long end = ms_now() + 2000;
	do {
		iocp_get_stats(p, &st);
		if (st.waiting == n)
			return 1;
		sleep_ms(1);
	} while (ms_now() < end);
	return 0;
}

#define KEY_EXIT 99

/* ---- the port's semantics ---- */

static int case_fifo(struct iocp_port *p, char *msg, size_t msglen)
{
	struct iocp_overlapped marker;
	for (int i = 0; i < 1000; i++)
		iocp_post(p, (uint32_t)i, (uintptr_t)(i * 3), i == 500 ? &marker : NULL);
	for (int i = 0; i < 1000; i++) {
		uint32_t bytes;
		uintptr_t key;
		struct iocp_overlapped *ov;
		int rc = iocp_get(p, &bytes, &key, &ov, 1000);
		EXPECT(rc == 0 && bytes == (uint32_t)i && key == (uintptr_t)(i * 3) &&
			   ov == (i == 500 ? &marker : NULL),
		       "expected packet %d (key %d), got rc %d bytes %u key %lu", i, i * 3, rc,
		       bytes, (unsigned long)key);
	}
	return 1;
out:
	return 0;
}

struct lifo_thread {
	struct iocp_port *p;
	int id;
	_Atomic int *order; /* order[packet] = id of the thread that got it */
	_Atomic int *got;
};

static void *lifo_main(void *arg)
{
	struct lifo_thread *t = arg;
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *ov;
	if (iocp_get(t->p, &bytes, &key, &ov, 5000) == 0 && bytes < 3) {
		t->order[bytes] = t->id;
		atomic_fetch_add(t->got, 1);
	}
	return NULL; /* exits: stops counting as running */
}

static int case_lifo(struct iocp_port *p, char *msg, size_t msglen)
{
	pthread_t th[3];
	struct lifo_thread t[3];
	_Atomic int order[3] = {-1, -1, -1}, got = 0;
	int started = 0, ok = 0;

	for (int i = 0; i < 3; i++) { /* thread 0 waits first, thread 2 last */
		t[i] = (struct lifo_thread){p, i, order, &got};
		pthread_create(&th[i], NULL, lifo_main, &t[i]);
		started++;
		EXPECT(wait_waiting(p, i + 1), "expected %d waiting threads", i + 1);
	}
	for (int i = 0; i < 3; i++) {
		iocp_post(p, (uint32_t)i, 1, NULL);
		long long end = ms_now() + 2000;
		while (got < i + 1 && ms_now() < end)
			sleep_ms(1);
		EXPECT(order[i] == 2 - i,
		       "expected packet %d to go to thread %d (the newest "
		       "waiter), got thread %d",
		       i, 2 - i, (int)order[i]);
	}
	ok = 1;
out:
	for (int i = 0; i < started; i++)
		iocp_post(p, 100, 1, NULL); /* releases any thread still waiting */
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return ok;
}

struct busy_pool {
	struct iocp_port *p;
	_Atomic int running, max_running, handled;
};

static void *busy_main(void *arg)
{
	struct busy_pool *b = arg;
	for (;;) {
		uint32_t bytes;
		uintptr_t key;
		struct iocp_overlapped *ov;
		if (iocp_get(b->p, &bytes, &key, &ov, 5000) != 0 || key == KEY_EXIT)
			return NULL;
		int now = atomic_fetch_add(&b->running, 1) + 1;
		int max = b->max_running;
		while (now > max && !atomic_compare_exchange_weak(&b->max_running, &max, now))
			;
		sleep_ms(20); /* not told to the port: still counts as running */
		atomic_fetch_sub(&b->running, 1);
		atomic_fetch_add(&b->handled, 1);
	}
}

static int case_concurrency(struct iocp_port *p, char *msg, size_t msglen)
{
	enum { THREADS = 6, PACKETS = 24 };
	struct busy_pool b = {.p = p};
	pthread_t th[THREADS];
	struct iocp_stats st;
	int conc = iocp_concurrency(p), max_stat = 0, ok = 0;

	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, busy_main, &b);
	wait_waiting(p, THREADS);
	for (int i = 0; i < PACKETS; i++)
		iocp_post(p, 0, 1, NULL);
	long long end = ms_now() + 5000;
	while (b.handled < PACKETS && ms_now() < end) {
		iocp_get_stats(p, &st);
		if (st.running > max_stat)
			max_stat = st.running;
		sleep_ms(2);
	}
	for (int i = 0; i < THREADS; i++)
		iocp_post(p, 0, KEY_EXIT, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	EXPECT(b.handled == PACKETS, "expected %d packets handled, got %d", PACKETS,
	       (int)b.handled);
	EXPECT(b.max_running == conc,
	       "expected at most (and at best) %d threads running at "
	       "once, got %d",
	       conc, (int)b.max_running);
	EXPECT(max_stat <= conc, "expected the port to count at most %d running, got %d", conc,
	       max_stat);
	ok = 1;
out:
	return ok;
}

struct blocker {
	struct iocp_port *p;
	_Atomic int phase; /* 1: holding packet 1; 2: told to block; 3: blocked done */
	_Atomic int b_got; /* the second thread got packet 2 */
	long long b_got_ms;
};

static void *blocker_a(void *arg)
{
	struct blocker *k = arg;
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *ov;
	if (iocp_get(k->p, &bytes, &key, &ov, 5000) != 0)
		return NULL;
	k->phase = 1;
	while (k->phase != 2)
		sleep_ms(1);    /* hold the only concurrency slot, not telling the port */
	work_block(300 * 1000); /* the hooks tell the port: a waiter is released */
	k->phase = 3;
	while (iocp_get(k->p, &bytes, &key, &ov, 5000) == 0 && key != KEY_EXIT)
		;
	return NULL;
}

static void *blocker_b(void *arg)
{
	struct blocker *k = arg;
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *ov;
	while (iocp_get(k->p, &bytes, &key, &ov, 5000) == 0 && key != KEY_EXIT) {
		if (bytes == 2 && !k->b_got) {
			k->b_got_ms = ms_now();
			k->b_got = 1;
		}
	}
	return NULL;
}

/* Needs a port with concurrency 1. */
static int case_block(struct iocp_port *p, char *msg, size_t msglen)
{
	struct blocker k = {.p = p};
	pthread_t a, b;
	int ok = 0;

	work_set_block_hooks(iocp_block_begin, iocp_block_end);
	pthread_create(&a, NULL, blocker_a, &k);
	wait_waiting(p, 1);
	iocp_post(p, 1, 1, NULL);
	while (k.phase != 1)
		sleep_ms(1);
	pthread_create(&b, NULL, blocker_b, &k);
	wait_waiting(p, 1);
	iocp_post(p, 2, 1, NULL);
	sleep_ms(100);
	int early = k.b_got;
	long long told = ms_now();
	k.phase = 2;
	while (!k.b_got && ms_now() < told + 2000)
		sleep_ms(1);
	long long delay = k.b_got ? k.b_got_ms - told : -1;
	int a_still_blocked = k.phase == 2;
	for (int i = 0; i < 2; i++)
		iocp_post(p, 0, KEY_EXIT, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	work_set_block_hooks(NULL, NULL);
	EXPECT(!early, "expected no second thread released while the first runs (concurrency "
		       "1), got one released");
	EXPECT(k.b_got && a_still_blocked,
	       "expected the waiter released while the first thread blocks, got %s",
	       k.b_got ? "it released only after the block" : "no release");
	EXPECT(delay < 250, "expected the release within 250 ms of the block, got %lld ms", delay);
	ok = 1;
out:
	return ok;
}

struct exit_pool {
	struct iocp_port *p;
	_Atomic int exits;
};

static void *exit_main(void *arg)
{
	struct exit_pool *e = arg;
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *ov;
	for (;;) {
		if (iocp_get(e->p, &bytes, &key, &ov, 5000) != 0)
			return NULL; /* timed out: the test sees a missing exit */
		if (key == KEY_EXIT) {
			atomic_fetch_add(&e->exits, 1);
			return NULL;
		}
	}
}

/* Needs a port with concurrency 1: each exiting thread must release the next. */
static int case_shutdown(struct iocp_port *p, char *msg, size_t msglen)
{
	enum { THREADS = 4 };
	struct exit_pool e = {.p = p};
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, exit_main, &e);
	wait_waiting(p, THREADS);
	for (int i = 0; i < 10; i++)
		iocp_post(p, 0, 1, NULL); /* work first: FIFO, so exits come after it */
	long long start = ms_now();
	for (int i = 0; i < THREADS; i++)
		iocp_post(p, 0, KEY_EXIT, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	long long took = ms_now() - start;
	EXPECT(e.exits == THREADS && took < 2000,
	       "expected %d workers to exit on %d posted "
	       "packets within 2 s, got %d in %lld ms",
	       THREADS, THREADS, (int)e.exits, took);
	return 1;
out:
	return 0;
}

static int case_get_timeout(struct iocp_port *p, char *msg, size_t msglen)
{
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *ov = (void *)1;
	long long start = ms_now();
	int rc = iocp_get(p, &bytes, &key, &ov, 50);
	long long took = ms_now() - start;
	EXPECT(rc == -ETIMEDOUT && ov == NULL, "expected -ETIMEDOUT and no ov, got %d", rc);
	EXPECT(took >= 45 && took < 1000, "expected a 50 ms wait, got %lld ms", took);
	return 1;
out:
	return 0;
}

/* ---- operations ---- */

/* Get one packet (1 s at most). */
static int get1(struct iocp_port *p, uint32_t *bytes, uintptr_t *key, struct iocp_overlapped **ov)
{
	return iocp_get(p, bytes, key, ov, 1000);
}

/* A listening socket associated with key 7, and its port number. */
/* A case's cleanup: close the client, server and listening sockets it opened. */
static void close_sockets(int cfd, int sfd, int lfd)
{
	int fds[] = {cfd, sfd, lfd};
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int listener(struct iocp_port *p, int *port_no)
{
	char err[NET_ERR_LEN];
	int fd = net_listen("127.0.0.1", 0, 64, 0, 0, port_no, err);
	if (fd >= 0)
		iocp_associate(p, fd, 7);
	return fd;
}

static int connect_to(int port_no)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port_no),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Accept one client through the port: the server side, associated with key 8. */
static int accept_one(struct iocp_port *p, int lfd, int port_no, int *client)
{
	struct iocp_overlapped ov;
	uint32_t bytes;
	uintptr_t key;
	struct iocp_overlapped *got;
	iocp_accept(p, lfd, &ov);
	*client = connect_to(port_no);
	if (get1(p, &bytes, &key, &got) != 0 || got != &ov || key != 7 || ov.res < 0)
		return -1;
	iocp_associate(p, ov.res, 8);
	return ov.res;
}

static int case_accept_recv_send(struct iocp_port *p, char *msg, size_t msglen)
{
	int port_no, lfd = listener(p, &port_no), cfd = -1, sfd = -1, ok = 0;
	struct iocp_overlapped ov, *got;
	uint32_t bytes;
	uintptr_t key;
	char buf[64];

	EXPECT(lfd >= 0, "expected a listener");
	sfd = accept_one(p, lfd, port_no, &cfd);
	EXPECT(sfd >= 0 && cfd >= 0, "expected an accept completion with key 7, got fd %d", sfd);

	iocp_recv(p, sfd, buf, sizeof(buf), &ov);
	EXPECT(write(cfd, "hello", 5) == 5, "expected the client to write");
	int rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == 0 && got == &ov && key == 8 && bytes == 5 && memcmp(buf, "hello", 5) == 0,
	       "expected a 5-byte receive with key 8, got rc %d bytes %u key %lu", rc, bytes,
	       (unsigned long)key);

	struct iovec iov[2] = {{"head+", 5}, {"body", 4}};
	iocp_send(p, sfd, iov, 2, &ov);
	rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == 0 && got == &ov && bytes == 9, "expected a 9-byte send, got rc %d bytes %u",
	       rc, bytes);
	ssize_t n = read(cfd, buf, sizeof(buf));
	EXPECT(n == 9 && memcmp(buf, "head+body", 9) == 0, "expected 'head+body', got %zd bytes",
	       n);

	/* The client closes: the receive completes with 0 bytes. */
	iocp_recv(p, sfd, buf, sizeof(buf), &ov);
	close(cfd);
	cfd = -1;
	rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == 0 && got == &ov && bytes == 0, "expected EOF (0 bytes), got rc %d bytes %u",
	       rc, bytes);
	ok = 1;
out:
	close_sockets(cfd, sfd, lfd);
	return ok;
}

static int case_many_accepts(struct iocp_port *p, char *msg, size_t msglen)
{
	enum { N = 5 };
	int port_no, lfd = listener(p, &port_no), cfd[N], fds[N], ok = 0, n = 0;
	struct iocp_overlapped ov[N], *got;
	uint32_t bytes;
	uintptr_t key;

	EXPECT(lfd >= 0, "expected a listener");
	for (int i = 0; i < N; i++)
		iocp_accept(p, lfd, &ov[i]); /* pre-posted, as Fire does */
	for (int i = 0; i < N; i++)
		cfd[i] = connect_to(port_no);
	for (n = 0; n < N; n++) {
		int rc = get1(p, &bytes, &key, &got);
		if (rc != 0 || !got)
			break;
		fds[n] = got->res;
	}
	for (int i = 0; i < N; i++)
		if (cfd[i] >= 0)
			close(cfd[i]);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	EXPECT(n == N, "expected %d accept completions, got %d", N, n);
	ok = 1;
out:
	if (lfd >= 0)
		close(lfd);
	return ok;
}

/* Four receives posted at once fill in posting order, whatever the kernel's
 * wake-up order (Windows promises it; the article's sequence numbers rely on it). */
static int case_recv_order(struct iocp_port *p, char *msg, size_t msglen)
{
	enum { N = 4 };
	int port_no, lfd = listener(p, &port_no), cfd = -1, sfd = -1, ok = 0;
	struct iocp_overlapped ov[N], *got;
	uint32_t bytes;
	uintptr_t key;
	char buf[N][2];

	EXPECT(lfd >= 0, "expected a listener");
	sfd = accept_one(p, lfd, port_no, &cfd);
	EXPECT(sfd >= 0, "expected an accepted connection");
	for (int i = 0; i < N; i++)
		iocp_recv(p, sfd, buf[i], 2, &ov[i]);
	sleep_ms(20); /* all four wait in the kernel's (or the queue's) hands */
	EXPECT(write(cfd, "aabbccdd", 8) == 8, "expected the client to write");
	for (int i = 0; i < N; i++) {
		int rc = get1(p, &bytes, &key, &got);
		EXPECT(rc == 0 && got, "expected receive %d to complete, got %d", i, rc);
	}
	for (int i = 0; i < N; i++)
		EXPECT(ov[i].res == 2 && buf[i][0] == 'a' + i && buf[i][1] == 'a' + i,
		       "expected buffer %d to hold '%c%c', got %d bytes '%.2s'", i, 'a' + i,
		       'a' + i, ov[i].res, buf[i]);
	ok = 1;
out:
	close_sockets(cfd, sfd, lfd);
	return ok;
}

/* The zero-byte read: completes with 0 bytes once data is there, takes none. */
static int case_zero_byte_read(struct iocp_port *p, char *msg, size_t msglen)
{
	int port_no, lfd = listener(p, &port_no), cfd = -1, sfd = -1, ok = 0;
	struct iocp_overlapped ov, *got;
	uint32_t bytes;
	uintptr_t key;
	char buf[8];

	EXPECT(lfd >= 0, "expected a listener");
	sfd = accept_one(p, lfd, port_no, &cfd);
	EXPECT(sfd >= 0, "expected an accepted connection");
	iocp_recv(p, sfd, NULL, 0, &ov);
	int rc = iocp_get(p, &bytes, &key, &got, 100);
	EXPECT(rc == -ETIMEDOUT && !got, "expected no completion before data, got %d", rc);
	EXPECT(write(cfd, "hi", 2) == 2, "expected the client to write");
	rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == 0 && got == &ov && bytes == 0, "expected 0 bytes once data came, got rc %d "
	       "bytes %u", rc, bytes);
	ssize_t n = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT(n == 2, "expected the 2 bytes still in the socket, got %zd", n);
	ok = 1;
out:
	close_sockets(cfd, sfd, lfd);
	return ok;
}

/* --buffer-budget: a receive past it fails at once with -ENOBUFS (WSAENOBUFS);
 * a completion gives its bytes back; a zero-byte read is never refused. */
static int case_budget(struct iocp_port *p, char *msg, size_t msglen)
{
	int port_no, lfd = listener(p, &port_no), cfd = -1, sfd = -1, ok = 0;
	struct iocp_overlapped ov[3], *got;
	struct iocp_stats st;
	uint32_t bytes;
	uintptr_t key;
	char buf[3][100];

	EXPECT(lfd >= 0, "expected a listener");
	sfd = accept_one(p, lfd, port_no, &cfd);
	EXPECT(sfd >= 0, "expected an accepted connection");
	iocp_set_budget(p, 150);
	EXPECT(iocp_recv(p, sfd, buf[0], 100, &ov[0]) == 0, "expected 100 bytes within 150");
	int rc = iocp_recv(p, sfd, buf[1], 100, &ov[1]);
	EXPECT(rc == -ENOBUFS, "expected -ENOBUFS past the budget, got %d", rc);
	EXPECT(iocp_recv(p, sfd, NULL, 0, &ov[2]) == 0, "expected a zero-byte read to start");
	iocp_get_stats(p, &st);
	EXPECT(st.posted_bytes == 100 && st.nobufs == 1,
	       "expected 100 bytes posted and 1 refusal, got %zu and %ld", st.posted_bytes,
	       st.nobufs);
	EXPECT(write(cfd, "x", 1) == 1, "expected the client to write");
	EXPECT(get1(p, &bytes, &key, &got) == 0 && got == &ov[0], "expected the receive");
	EXPECT(write(cfd, "y", 1) == 1, "expected the client to write");
	EXPECT(get1(p, &bytes, &key, &got) == 0 && got == &ov[2], "expected the zero-byte read");
	iocp_get_stats(p, &st);
	EXPECT(st.posted_bytes == 0 && st.posted_peak == 100,
	       "expected 0 bytes posted after the completion (peak 100), got %zu (peak %zu)",
	       st.posted_bytes, st.posted_peak);
	ok = 1;
out:
	close_sockets(cfd, sfd, lfd);
	return ok;
}

/* An application that gives up on a socket shuts it down: what is pending completes. */
static int case_shutdown_completes(struct iocp_port *p, char *msg, size_t msglen)
{
	int port_no, lfd = listener(p, &port_no), cfd = -1, sfd = -1, ok = 0;
	struct iocp_overlapped ov[3], *got;
	uint32_t bytes;
	uintptr_t key;
	char buf[3][16];

	EXPECT(lfd >= 0, "expected a listener");
	sfd = accept_one(p, lfd, port_no, &cfd);
	EXPECT(sfd >= 0, "expected an accepted connection");
	for (int i = 0; i < 3; i++)
		iocp_recv(p, sfd, buf[i], sizeof(buf[i]), &ov[i]);
	shutdown(sfd, SHUT_RDWR);
	for (int i = 0; i < 3; i++) {
		int rc = get1(p, &bytes, &key, &got);
		EXPECT(rc <= 0 && got == &ov[i] && bytes == 0,
		       "expected receive %d to complete empty, in order, got rc %d", i, rc);
	}
	ok = 1;
out:
	close_sockets(cfd, sfd, lfd);
	return ok;
}

static int case_file_read(struct iocp_port *p, char *msg, size_t msglen)
{
	char path[] = "/tmp/test_iocp.XXXXXX", buf[8] = {0};
	int fd = mkstemp(path), ok = 0;
	struct iocp_overlapped ov, *got;
	uint32_t bytes;
	uintptr_t key;

	EXPECT(fd >= 0 && write(fd, "0123456789", 10) == 10, "expected a temporary file");
	iocp_associate(p, fd, 9);
	iocp_read(p, fd, buf, 4, 3, &ov);
	int rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == 0 && got == &ov && key == 9 && bytes == 4 && memcmp(buf, "3456", 4) == 0,
	       "expected '3456' (4 bytes at offset 3, key 9), got rc %d bytes %u '%.4s'", rc, bytes,
	       buf);
	ok = 1;
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return ok;
}

/* A failed operation is a completion carrying -errno, as GetQueuedCompletionStatus
 * returns FALSE with lpOverlapped set. */
static int case_failure_completes(struct iocp_port *p, char *msg, size_t msglen)
{
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ok = 0;
	struct iocp_overlapped ov, *got;
	uint32_t bytes;
	uintptr_t key;
	char buf[8];

	EXPECT(dfd >= 0, "expected to open /");
	iocp_associate(p, dfd, 5);
	int rc = iocp_read(p, dfd, buf, sizeof(buf), 0, &ov);
	EXPECT(rc == 0, "expected the read to start (result as a packet), got %d", rc);
	rc = get1(p, &bytes, &key, &got);
	EXPECT(rc == -EISDIR && got == &ov && key == 5 && ov.res == -EISDIR,
	       "expected a completion with -EISDIR and key 5, got %d", rc);
	rc = iocp_recv(p, 12345, buf, sizeof(buf), &ov);
	EXPECT(rc == -EBADF, "expected -EBADF at once for a descriptor never associated, got %d",
	       rc);
	ok = 1;
out:
	if (dfd >= 0)
		close(dfd);
	return ok;
}

/* ---- the fallback ---- */

/* In a child: make io_uring_setup fail with err (seccomp), create a port,
 * report the backend. Exit 0: epoll chosen and said on stderr; 1: not;
 * 2: the named io_uring backend did not fail; 77: no seccomp. */
static int fallback_child(int err, int errpipe)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	char buf[256];
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return 77;
	struct iocp_port *named = iocp_create_backend(1, "io_uring", buf, sizeof(buf));
	if (named)
		return 2;
	dup2(errpipe, 2);
	struct iocp_port *p = iocp_create_backend(1, NULL, buf, sizeof(buf));
	return p && strcmp(iocp_backend(p), "epoll") == 0 ? 0 : 1;
}

static void fallback_case(int err, const char *errname)
{
	char name[128], said[512] = "";
	int fds[2], status = -1;
	snprintf(name, sizeof(name),
		 "io_uring refused with %s: iocp_create_backend falls back to epoll "
		 "and says so",
		 errname);
	test_no++;
	fflush(stdout);
	if (pipe(fds) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(fallback_child(err, fds[1]));
	}
	close(fds[1]);
	ssize_t n = read(fds[0], said, sizeof(said) - 1);
	said[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 77) {
		skips++;
		printf("ok %d - %s # SKIP seccomp unavailable\n", test_no, name);
	} else if (code == 0 && strstr(said, "falling back to epoll")) {
		printf("ok %d - %s\n", test_no, name);
	} else {
		failures++;
		printf("not ok %d - %s: expected the epoll backend and a message, got exit %d, "
		       "stderr '%s'\n",
		       test_no, name, code, strtok(said, "\n") ? said : "");
	}
}

/* ---- the table ---- */

struct test_case {
	const char *name;
	int concurrency;
	int (*fn)(struct iocp_port *p, char *msg, size_t msglen);
};

static const struct test_case cases[] = {
    {"packets are delivered FIFO", 2, case_fifo},
    {"waiting threads are released LIFO", 8, case_lifo},
    {"no more than concurrency (2) threads run at once", 2, case_concurrency},
    {"a worker blocking in work_block releases a waiter", 1, case_block},
    {"one posted packet per worker shuts the pool down (concurrency 1)", 1, case_shutdown},
    {"iocp_get times out with no packet", 2, case_get_timeout},
    {"accept, receive, send of two buffers, EOF", 2, case_accept_recv_send},
    {"several pre-posted accepts each complete", 2, case_many_accepts},
    {"four receives posted at once fill in posting order", 2, case_recv_order},
    {"a zero-byte read completes once data is there, taking none", 2, case_zero_byte_read},
    {"a receive past the buffer budget fails with -ENOBUFS", 2, case_budget},
    {"shutting a socket down completes its pending receives", 2, case_shutdown_completes},
    {"file read at an offset", 2, case_file_read},
    {"a failed operation arrives as a completion with -errno", 2, case_failure_completes},
};

static void run_backend(const char *backend)
{
	char err[256], msg[512], name[256];
	struct iocp_port *probe = iocp_create_backend(1, backend, err, sizeof(err));
	if (probe)
		iocp_close(probe);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s: %s", backend, cases[i].name);
		test_no++;
		if (!probe) {
			skips++;
			printf("ok %d - %s # SKIP %s backend unavailable: %s\n", test_no, name,
			       backend, err);
			continue;
		}
		struct iocp_port *p =
		    iocp_create_backend(cases[i].concurrency, backend, err, sizeof(err));
		int ok = 0;
		msg[0] = '\0';
		if (!p)
			snprintf(msg, sizeof(msg), "expected a port, got: %s", err);
		else
			ok = cases[i].fn(p, msg, sizeof(msg));
		if (p)
			iocp_close(p);
		if (ok) {
			printf("ok %d - %s\n", test_no, name);
		} else {
			failures++;
			printf("not ok %d - %s: %s\n", test_no, name, msg);
		}
		fflush(stdout);
	}
}

int main(void)
{
	alarm(120); /* a hang is a failure, not a stuck test run */
	setvbuf(stdout, NULL, _IOLBF, 0);
	run_backend("io_uring");
	run_backend("epoll");
	fallback_case(EPERM, "EPERM");
	fallback_case(ENOSYS, "ENOSYS");
	printf("1..%d\n", test_no);
	if (failures)
		return 1;
	return skips == test_no ? 77 : 0;
}

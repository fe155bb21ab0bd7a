/* st_io.c - State Threads' calls in the shape of the blocking models' I/O
 * table (serve.h), for serve_connection and the accept loop, and ST's start;
 * st_server.c adds how a connection gets its own ST thread.
 */
#include "st_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blocking.h"
#include "net.h"
#include "server.h"

st_netfd_t *netfd_of;
int netfd_slots;

/* serve.c speaks int descriptors; ST's I/O wants its handle. Reads and
 * writes wait at most --idle-ms (ST returns ETIME then). */
static st_utime_t idle_us(void)
{
	return (st_utime_t)blocking_opts->idle_ms * 1000;
}

static ssize_t read_timed(int fd, void *buf, size_t n)
{
	return st_read(netfd_of[fd], buf, n, idle_us());
}

static ssize_t writev_timed(int fd, const struct iovec *iov, int cnt)
{
	return st_writev(netfd_of[fd], iov, cnt, idle_us());
}

/* st_poll takes raw pollfds and waits on the event system: O(1) per call
 * for serve.c's one descriptor; the O(n) is the pass st_server.c describes. */
static int poll_timed(struct pollfd *p, nfds_t n, int timeout_ms)
{
	st_utime_t t = timeout_ms < 0 ? ST_UTIME_NO_TIMEOUT : (st_utime_t)timeout_ms * 1000;
	return st_poll(p, (int)n, t);
}

static int accept_fd(int lfd)
{
	return net_accept(lfd, 0); /* st_netfd_open_socket makes it non-blocking */
}

static void usleep_ms(int ms)
{
	st_usleep((st_utime_t)ms * 1000);
}

#ifdef __SANITIZE_ADDRESS__
/* ST keeps each thread's control block inside its mmap'ed stack, which
 * LeakSanitizer does not scan, so the stack descriptor (56 bytes, calloc'ed
 * by st_thread_create) of every thread alive at exit looks leaked. Suppress
 * exactly those, by their callers st_start (ST's idle thread) and
 * spawn_connection: not "st_thread_create", which is also how ST's thread
 * entry symbolizes (a static function), so it would hide every leak of a
 * connection. libst has no frame pointers: allocation stacks are unwound
 * with its unwind tables (slower mallocs, only under ASan) to reach them.
 * Checked: a malloc dropped in connection_thread is still reported.
 * Likewise conn_new's connection (and what it holds) of a thread still
 * waiting for a request at exit, referenced from that thread's stack only
 * (threads in a read learn of the stop only at --idle-ms: ST has no call to
 * wake them all). A connection the shared core leaks shows in every other
 * blocking model's leak check. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:st_start\nleak:spawn_connection\nleak:conn_new\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0"; /* a bad flag's error stays one line */
}
#endif

static st_utime_t clock_us(void)
{
	return (st_utime_t)now_us();
}

/* The best event system the library was built with: epoll (ALT) if there,
 * else poll (no FD_SETSIZE limit). Then st_init, which also raises the soft
 * RLIMIT_NOFILE to the hard limit. */
void st_start(void)
{
	if (st_set_eventsys(ST_EVENTSYS_ALT) != 0 || st_get_eventsys() != ST_EVENTSYS_ALT) {
		if (st_set_eventsys(ST_EVENTSYS_POLL) != 0)
			log_fatal("st_set_eventsys(poll): %s", strerror(errno));
	}
	if (st_set_utime_function(clock_us) != 0 || st_init() != 0)
		log_fatal("st_init: %s", strerror(errno));
	netfd_slots = st_getfdlimit();
	netfd_of = calloc((size_t)netfd_slots, sizeof *netfd_of);
	if (!netfd_of)
		log_fatal("out of memory for %d descriptors", netfd_slots);
}


const struct blocking_io st_io = {
    .read = read_timed, .writev = writev_timed, .poll = poll_timed, .accept = accept_fd,
    .sleep_ms = usleep_ms, .spawn = spawn_connection, .spawn_name = "st_thread_create",
};

/* pth_io.c - GNU Pth's calls in the shape of the blocking models' I/O table
 * (serve.h), for serve_connection and the accept loop; pth_server.c adds how
 * a connection gets its own Pth thread.
 */
#include "pth_io.h"

#include <errno.h>
#include <pth.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>

#include "blocking.h"
#include "net.h"
#include "server.h"

static int sig_fd = -1;

void pth_io_signals(void)
{
	sigset_t stop;
	server_stop_sigset(&stop);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sig_fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_fd < 0)
		log_fatal("signalfd: %s", strerror(errno));
}

/* The accept loop's wait (the listener and the stop eventfd), with the
 * signalfd beside them: a stop signal read there is a stop too. */
static int poll_accept(struct pollfd *p, int timeout_ms)
{
	struct pollfd q[3] = {p[0], p[1], {.fd = sig_fd, .events = POLLIN}};
	int r = pth_poll(q, 3, timeout_ms);
	if (r > 0 && q[2].revents)
		server_stop = 1;
	p[0].revents = q[0].revents;
	p[1].revents = q[1].revents | q[2].revents;
	return r;
}

/* pth_writev waits for writability without end (SO_SNDTIMEO means nothing to
 * it: Pth writes with the socket non-blocking), so bound it by --idle-ms. */
static ssize_t writev_timed(int fd, const struct iovec *iov, int cnt)
{
	static pth_key_t ev_key = PTH_KEY_INIT; /* one event per user thread, reused */
	int idle_ms = blocking_opts->idle_ms;
	pth_event_t ev = pth_event(PTH_EVENT_TIME | PTH_MODE_STATIC, &ev_key,
				   pth_timeout(idle_ms / 1000, idle_ms % 1000 * 1000));
	ssize_t n = pth_writev_ev(fd, iov, cnt, ev);
	if (n < 0 && errno == EINTR)
		errno = ETIMEDOUT; /* not EINTR: the caller must not retry */
	return n;
}

/* serve.c polls one descriptor for input. pth_poll() would wait on an fd_set
 * event (pth_select_ev) that Pth's scheduler merges and tests bit by bit up to
 * the highest descriptor, for every waiting thread on every pass: O(n^2), and
 * 900 keep-alive connections took 2.6 s to get one answer each. A single-fd
 * event with a timer beside it costs the scheduler O(1) per thread. The
 * accept loop's two descriptors (listener, stop) go to pth_poll: one thread,
 * low descriptors. */
static int poll_timed(struct pollfd *p, nfds_t n, int timeout_ms)
{
	static pth_key_t fd_key = PTH_KEY_INIT, time_key = PTH_KEY_INIT;
	if (n == 2 && sig_fd >= 0)
		return poll_accept(p, timeout_ms);
	if (n != 1 || p->events != POLLIN || timeout_ms < 0)
		return pth_poll(p, n, timeout_ms);
	pth_event_t ev =
	    pth_event(PTH_EVENT_FD | PTH_UNTIL_FD_READABLE | PTH_MODE_STATIC, &fd_key, p->fd);
	pth_event_t tm = pth_event(PTH_EVENT_TIME | PTH_MODE_STATIC, &time_key,
				   pth_timeout(timeout_ms / 1000, timeout_ms % 1000 * 1000));
	if (!ev || !tm)
		return -1;
	pth_wait(pth_event_concat(ev, tm, NULL));
	pth_event_isolate(tm);
	p->revents = pth_event_status(ev) == PTH_STATUS_OCCURRED ? POLLIN : 0;
	return p->revents ? 1 : 0;
}

static int accept_fd(int lfd)
{
	return net_accept(lfd, 0); /* Pth makes it non-blocking for its own calls */
}

static void nap_ms(int ms)
{
	pth_nap(pth_time(ms / 1000, ms % 1000 * 1000));
}

/* A descriptor >= FD_SETSIZE cannot be waited on (select): 503, never Pth's. */
const struct blocking_io pth_io = {
    .read = pth_read, .writev = writev_timed, .poll = poll_timed, .accept = accept_fd,
    .sleep_ms = nap_ms, .spawn = spawn_connection, .spawn_name = "pth_spawn",
    .fd_limit = FD_SETSIZE,
};

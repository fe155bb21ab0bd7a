/* ring.h - the uring model's ring: how it is set up and tuned, and its
 * listener, apart from the completion loop in uring.c that drives them.
 *
 * Apart so that uring.c holds the model and nothing else. What is here is the
 * same for any completion loop over one ring and knows no connection: its
 * set-up (over servers/common/uring_setup.h, which iocp-emul's backend and the
 * loadgen share), the provided-buffer ring, the registered files, the one wait
 * a turn, the listener (multishot accept, EMFILE pause, 503 past --max-conns),
 * the stop eventfd's poll, and the ablation's switches, each feature turned
 * off in one place:
 *   --uring-off batch      every SQE submitted at once (ring_ready)
 *   --uring-off multishot  a single-shot receive, re-armed by the loop
 *   --uring-off bufring    a receive into the connection's own buffer (implies multishot)
 *   --uring-off defer      no SINGLE_ISSUER | DEFER_TASKRUN (completion work
 *                          otherwise runs in our io_uring_enter, in a batch)
 *   --uring-off fixed      no registered files (otherwise each socket is one,
 *                          slot = fd: its receives and sends skip the fd lookup
 *                          and reference count; two io_uring_register calls a
 *                          connection); the ring's own fd is registered either way
 *   --min-wait-us N        one wait gathers completions for up to N us once one
 *                          has arrived (the kernel's min-wait, Linux >= 6.12)
 *
 * What each buys (the readiness section's ablation table): 1000 keep-alive
 * connections, closed loop, 3 alternating repetitions, medians, the server
 * process's CPU a request, on a machine loaded by other work (the server got
 * ~25% of its CPU; the lead's quiet re-run decides): everything on 8.5 us and
 * 0.075 system calls a request; batch off (one io_uring_enter per operation)
 * 13.9 us, 1.08 calls (1.6x: batching is most of the lead); multishot off
 * 9.8 us (1.15x); bufring off 9.1 (1.07x); defer off 8.1 and fixed off 8.3
 * (within the spread, ~1 us: kept, they cost nothing); --min-wait-us 50:
 * 7.5 us (0.88x, near the spread); epoll 16.8 us and 2.1 calls. At a fixed
 * 30,000/s the same order. The quiet reference run (results/reference, where
 * the client was the limit at 1000) did not confirm it: every feature off
 * was within the spread of everything on (7.9 [6.6-9.0] us), and epoll too
 * (6.9); at 30,000/s --min-wait-us 50 gave 12.9 us against 15.2 (0.85x), the
 * one gain beyond the spread. System calls a request fall as listed either way.
 */
#ifndef URING_RING_H
#define URING_RING_H

#include <liburing.h>

#include "conn.h"
#include "options.h"
#include "uring_setup.h"

/* A provided receive buffer; with --uring-off bufring, a connection's own. */
#define RING_BUF_SIZE 2048

struct ring {
	const struct server_opts *o;
	struct io_uring ring;
	struct uring_bufs bufs;
	unsigned off;         /* --uring-off: URING_OFF_* */
	unsigned min_wait_us; /* --min-wait-us, where the kernel has it */
	unsigned nslots;      /* registered file table, indexed by fd (0: none) */
	int reg_ring;
	int lfd, stop_fd;        /* the listener; the stop eventfd (SIGINT/SIGTERM) */
	int accept_on, stopping; /* a multishot accept is armed; stop_fd was readable */
	long long paused_until;  /* ms; 0 = accepting */
	uint64_t accept_tag;
};

/* The model's main(): parse the options, check that io_uring is there (else
 * exit 1 with one line, before the ready line), and run `run` in each of
 * --workers reactors of `size` bytes whose first member is their struct ring
 * (g->o, g->lfd, g->stop_fd set) and with a struct conn_loop at loop_off. */
int ring_main(int argc, char **argv, const struct model_info *m, size_t size, size_t loop_off,
	      void *(*run)(void *));
/* Set up g for g->o's switches, in the thread that will use it; fatal on failure. */
void ring_open(struct ring *g);
/* Also closes the listener. */
void ring_close(struct ring *g);
/* Arm the poll on stop_fd (its completion tagged stop_tag: then set g->stopping)
 * and the multishot accept on lfd (tagged accept_tag: hand it to ring_accepted). */
void ring_listen(struct ring *g, uint64_t accept_tag, uint64_t stop_tag);
/* An accept's completion: the new socket to serve (TCP_NODELAY), or -1 (an
 * error, a pause after EMFILE, stopping, or past --max-conns: answered 503 on
 * loop); the accept is re-armed when it has ended. */
int ring_accepted(struct ring *g, struct conn_loop *loop, int res, unsigned flags);
/* Accept again once an EMFILE pause is over. */
void ring_resume(struct ring *g, long long now);
/* An SQE tagged user_data (0: a completion to ignore); after io_uring_prep_*,
 * ring_ready: its fd the registered file of that slot when fixed (see
 * ring_fix_fd), and with --uring-off batch submitted at once. */
struct io_uring_sqe *ring_sqe(struct ring *g, uint64_t user_data);
void ring_ready(struct ring *g, struct io_uring_sqe *sqe, int fixed);
/* Cancel the operation tagged user_data; or every one on fd. */
void ring_cancel(struct ring *g, uint64_t user_data);
void ring_cancel_fd(struct ring *g, int fd, int fixed);
/* A receive on fd into the buffer ring (multishot), or into own (bufring off). */
void ring_prep_recv(struct ring *g, struct io_uring_sqe *sqe, int fd, char *own);
/* A receive's bytes: in a provided buffer (the CQE's flags say which), or in
 * own; ring_recv_done gives the provided buffer back to the kernel. */
char *ring_recv_buf(struct ring *g, unsigned flags, char *own);
void ring_recv_done(struct ring *g, unsigned flags);
/* fd as the registered file of slot fd: 1 (its SQEs may say IOSQE_FIXED_FILE),
 * or 0 (refused, or --uring-off fixed); ring_unfix_fd clears the slot. */
int ring_fix_fd(struct ring *g, int fd);
void ring_unfix_fd(struct ring *g, int fd);
/* One io_uring_enter: submit everything queued, wait for a completion or
 * wait_ms (< 0: none), and with --min-wait-us for more; fatal on a real error. */
void ring_wait(struct ring *g, int wait_ms);

#endif

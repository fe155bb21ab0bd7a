/* ring.c - the uring model's ring: set-up, feature probing, the provided-buffer
 * ring, registered files, the wait, the listener and the --uring-off switches
 * (see ring.h). Apart from uring.c, which holds the completion loop: nothing
 * here touches a connection.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "ring.h"
#include "server.h"

#define SQ_ENTRIES 4096
#define CQ_ENTRIES 65536
#define NBUFS      2048 /* provided receive buffers per ring (a power of 2) */
#define BGID       1

/* A reactor's start-up (conn_serve_reactors): its struct ring comes first. */
static void ring_setup(void *obj, int lfd, int stop_fd, void *arg)
{
	struct ring *g = obj;
	g->o = arg;
	g->lfd = lfd;
	g->stop_fd = stop_fd;
}

int ring_main(int argc, char **argv, const struct model_info *m, size_t size, size_t loop_off,
	      void *(*run)(void *))
{
	struct server_opts o;
	struct io_uring probe;
	options_parse(argc, argv, m, &o);
	log_init(m->name, o.quiet);
	int rc = io_uring_queue_init(2, &probe, 0); /* refused here: exit 1, one line */
	if (rc < 0)
		log_fatal("io_uring unavailable: io_uring_queue_init: %s", strerror(-rc));
	io_uring_queue_exit(&probe);
	conn_serve_reactors(&o, m->name, 0, size, loop_off, ring_setup, &o, run);
	log_info("stopped; %ld connections refused", conn_rejected());
	return 0;
}

void ring_open(struct ring *g)
{
	const struct server_opts *o = g->o;
	unsigned features = 0;
	g->off = o->uring_off | (o->uring_off & URING_OFF_BUFRING ? URING_OFF_MULTISHOT : 0);
	int rc = uring_ring_init(&g->ring, SQ_ENTRIES, CQ_ENTRIES,
				 g->off & URING_OFF_DEFER ? 0 : URING_DEFER, &features);
	if (rc < 0)
		log_fatal("io_uring unavailable: io_uring_queue_init: %s", strerror(-rc));
	if (!(g->off & URING_OFF_BUFRING) &&
	    (rc = uring_bufs_init(&g->ring, &g->bufs, NBUFS, RING_BUF_SIZE, BGID)) < 0)
		log_fatal("io_uring unavailable: provided buffer ring: %s", strerror(-rc));
	/* The optimisations: a refusal only costs their gain. */
	g->reg_ring = io_uring_register_ring_fd(&g->ring) == 1;
	if (!(g->off & URING_OFF_FIXED))
		g->nslots = uring_files_init(&g->ring);
	g->min_wait_us = (unsigned)o->min_wait_us;
	if (g->min_wait_us && !(features & IORING_FEAT_MIN_TIMEOUT)) {
		log_warn("--min-wait-us %u: this kernel has no min-wait (IORING_FEAT_MIN_TIMEOUT, "
			 "Linux >= 6.12): ignored",
			 g->min_wait_us);
		g->min_wait_us = 0;
	}
}

void ring_close(struct ring *g)
{
	io_uring_queue_exit(&g->ring); /* cancels the rest */
	uring_bufs_free(&g->bufs);
	close(g->lfd);
}

static void arm_accept(struct ring *g)
{
	struct io_uring_sqe *sqe = ring_sqe(g, g->accept_tag);
	io_uring_prep_multishot_accept(sqe, g->lfd, NULL, NULL, SOCK_CLOEXEC);
	g->accept_on = 1;
	ring_ready(g, sqe, 0);
}

void ring_listen(struct ring *g, uint64_t accept_tag, uint64_t stop_tag)
{
	io_uring_prep_poll_add(ring_sqe(g, stop_tag), g->stop_fd, POLLIN);
	g->accept_tag = accept_tag;
	arm_accept(g);
}

int ring_accepted(struct ring *g, struct conn_loop *loop, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE))
		g->accept_on = 0;
	if (res == -EMFILE || res == -ENFILE) {
		int fd = net_accept(g->lfd, 0); /* the reserve fd drains one pending connection */
		if (fd >= 0)
			close(fd);
		if (g->accept_on)
			ring_cancel(g, g->accept_tag);
		g->paused_until = now_ms() + CONN_PAUSE_MS;
	} else if (res < 0) {
		if (res != -ECANCELED)
			log_warn("accept: %s", strerror(-res));
	} else if (g->stopping) {
		close(res);
		res = -1;
	} else if (!conn_admit(loop)) {
		conn_reject(loop, res);
		res = -1;
	} else {
		net_set_nodelay(res);
	}
	if (!g->accept_on && !g->paused_until && !g->stopping)
		arm_accept(g);
	return res < 0 ? -1 : res;
}

void ring_resume(struct ring *g, long long now)
{
	if (g->paused_until && now >= g->paused_until) {
		g->paused_until = 0;
		if (!g->accept_on)
			arm_accept(g);
	}
}

struct io_uring_sqe *ring_sqe(struct ring *g, uint64_t user_data)
{
	return uring_sqe(&g->ring, user_data);
}

/* After io_uring_prep_* (which clears the flags). */
void ring_ready(struct ring *g, struct io_uring_sqe *sqe, int fixed)
{
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (g->off & URING_OFF_BATCH)
		io_uring_submit(&g->ring);
}

void ring_cancel(struct ring *g, uint64_t user_data)
{
	struct io_uring_sqe *sqe = ring_sqe(g, 0);
	io_uring_prep_cancel64(sqe, user_data, 0);
	ring_ready(g, sqe, 0);
}

void ring_cancel_fd(struct ring *g, int fd, int fixed)
{
	struct io_uring_sqe *sqe = ring_sqe(g, 0);
	io_uring_prep_cancel_fd(
	    sqe, fd, IORING_ASYNC_CANCEL_ALL | (fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
	ring_ready(g, sqe, 0);
}

/* A multishot receive into the buffer ring; or, turned off, a single-shot one
 * (into the ring, or into own). */
void ring_prep_recv(struct ring *g, struct io_uring_sqe *sqe, int fd, char *own)
{
	if (own) {
		io_uring_prep_recv(sqe, fd, own, RING_BUF_SIZE, 0);
		return;
	}
	if (g->off & URING_OFF_MULTISHOT)
		io_uring_prep_recv(sqe, fd, NULL, 0, 0);
	else
		io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
}

char *ring_recv_buf(struct ring *g, unsigned flags, char *own)
{
	if (!(flags & IORING_CQE_F_BUFFER))
		return own;
	return uring_bufs_addr(&g->bufs, (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT));
}

void ring_recv_done(struct ring *g, unsigned flags)
{
	if (flags & IORING_CQE_F_BUFFER)
		uring_bufs_put(&g->bufs, (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT));
}

int ring_fix_fd(struct ring *g, int fd)
{
	return (unsigned)fd < g->nslots &&
	       io_uring_register_files_update(&g->ring, (unsigned)fd, &fd, 1) == 1;
}

void ring_unfix_fd(struct ring *g, int fd)
{
	int none = -1;
	io_uring_register_files_update(&g->ring, (unsigned)fd, &none, 1);
}

void ring_wait(struct ring *g, int wait_ms)
{
	int rc = uring_wait(&g->ring, wait_ms < 0 ? -1 : wait_ms * 1000000LL, g->min_wait_us,
			    CQ_ENTRIES, g->reg_ring);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
		log_fatal("io_uring_enter: %s", strerror(-rc));
}

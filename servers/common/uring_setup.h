/* uring_setup.h - setting up an io_uring the way the suite uses it, once.
 *
 * Header-only (static inline): servers/common is linked into every model, and
 * only the programs that call these link liburing (uring, iocp-emul, loadgen).
 *   uring_ring_init   the ring: with the set-up flags asked for (URING_DEFER:
 *                     SINGLE_ISSUER | DEFER_TASKRUN), and without them where the
 *                     kernel refuses (EINVAL)
 *   uring_sqe         an SQE tagged user_data, submitting first if the SQ is full
 *   uring_bufs_init   a provided-buffer ring of n buffers (n a power of 2)
 *   uring_bufs_put    a buffer back to the kernel
 *   uring_files_init  a sparse registered-file table, slot = fd, up to the fd limit
 *   uring_flush_sq    publish the SQEs queued so far to the kernel, without a
 *                     system call: what an io_uring_enter then submits
 *   uring_wait        submit what is queued and wait for one completion, a timeout,
 *                     and (min_wait_us > 0, kernel >= 6.12, IORING_FEAT_MIN_TIMEOUT)
 *                     up to min_wait_us more for further completions once one has
 *                     arrived: one io_uring_enter either way
 * liburing 2.3 (Debian 12) has neither io_uring_setup_buf_ring nor the
 * min-wait call (2.8), so both are written out here over the kernel's ABI. */
#ifndef URING_SETUP_H
#define URING_SETUP_H

#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT (1U << 15) /* kernel 6.12: getevents_arg.min_wait_usec */
#endif

struct uring_bufs {
	struct io_uring_buf_ring *br;
	char *mem;
	unsigned n, size;
};

#define URING_DEFER (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)

/* The ring; try `flags` first (URING_DEFER: call it from the thread that will
 * use the ring, or add IORING_SETUP_R_DISABLED and enable it there), then none. */
static inline int uring_ring_init(struct io_uring *ring, unsigned sq, unsigned cq, unsigned flags,
				  unsigned *features)
{
	int rc = -EINVAL;
	for (int i = flags ? 0 : 1; i < 2 && rc == -EINVAL; i++) {
		struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE | (i == 0 ? flags : 0),
					    .cq_entries = cq};
		rc = io_uring_queue_init_params(sq, ring, &p);
		if (rc == 0 && features)
			*features = p.features;
	}
	return rc;
}

static inline struct io_uring_sqe *uring_sqe(struct io_uring *ring, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) { /* the SQ is full: submit what is there */
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	io_uring_sqe_set_data64(sqe, user_data);
	return sqe;
}

static inline int uring_bufs_init(struct io_uring *ring, struct uring_bufs *b, unsigned n,
				  unsigned size, int bgid)
{
	b->n = n;
	b->size = size;
	b->br = mmap(NULL, n * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b->mem = malloc((size_t)n * size);
	if (b->br == MAP_FAILED || !b->mem)
		return -ENOMEM;
	struct io_uring_buf_reg reg = {
	    .ring_addr = (uintptr_t)b->br, .ring_entries = n, .bgid = (unsigned short)bgid};
	int rc = io_uring_register_buf_ring(ring, &reg, 0);
	if (rc < 0)
		return rc;
	io_uring_buf_ring_init(b->br);
	for (unsigned i = 0; i < n; i++)
		io_uring_buf_ring_add(b->br, b->mem + (size_t)i * size, size, (unsigned short)i,
				      io_uring_buf_ring_mask(n), (int)i);
	io_uring_buf_ring_advance(b->br, (int)n);
	return 0;
}

static inline char *uring_bufs_addr(const struct uring_bufs *b, unsigned short bid)
{
	return b->mem + (size_t)bid * b->size;
}

static inline void uring_bufs_put(struct uring_bufs *b, unsigned short bid)
{
	io_uring_buf_ring_add(b->br, uring_bufs_addr(b, bid), b->size, bid,
			      io_uring_buf_ring_mask(b->n), 0);
	io_uring_buf_ring_advance(b->br, 1);
}

static inline void uring_bufs_free(struct uring_bufs *b)
{
	free(b->mem);
	if (b->br && b->br != MAP_FAILED)
		munmap(b->br, b->n * sizeof(struct io_uring_buf));
	b->mem = NULL;
	b->br = NULL;
}

/* A sparse registered-file table as large as the fd limit (slot = fd);
 * returns its size, 0 where refused. */
static inline unsigned uring_files_init(struct io_uring *ring)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20) &&
	    io_uring_register_files_sparse(ring, (unsigned)rl.rlim_cur) == 0)
		return (unsigned)rl.rlim_cur;
	return 0;
}

/* liburing's own flush of the SQ tail (its __io_uring_flush_sq, not exported;
 * no SQPOLL here): returns the SQEs published and not yet consumed, the count
 * to pass to io_uring_enter. The kernel takes no more than are there, so a
 * count that includes another thread's SQEs submits none twice. */
static inline unsigned uring_flush_sq(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	unsigned tail = sq->sqe_tail;
	sq->sqe_head = tail;
	io_uring_smp_store_release(sq->ktail, tail);
	return tail - io_uring_smp_load_acquire(sq->khead);
}

/* The kernel's struct io_uring_getevents_arg; min_wait_usec was `pad` before 6.12. */
struct uring_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec;
	uint64_t ts;
};

/* One io_uring_enter: submit what is queued, wait for a completion or
 * timeout_ns (< 0: no timeout), and with min_wait_us > 0 (the caller checked
 * IORING_FEAT_MIN_TIMEOUT) wait for up to `batch` completions, but return once
 * min_wait_us has passed with at least one (the kernel's rule: min_wait_usec
 * bounds the wait for min_complete once one has arrived).
 * reg_ring: the ring fd was registered (io_uring_register_ring_fd said 1).
 * Returns >= 0, or -errno (-ETIME on the timeout, -EINTR): liburing's
 * io_uring_enter2 already returns -errno. */
static inline int uring_wait(struct io_uring *ring, long long timeout_ns, unsigned min_wait_us,
			     unsigned batch, int reg_ring)
{
	if (!min_wait_us) {
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_sec = timeout_ns / 1000000000LL,
					       .tv_nsec = timeout_ns % 1000000000LL};
		return timeout_ns < 0 ? io_uring_submit_and_wait(ring, 1)
				      : io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
	}
	unsigned submit = uring_flush_sq(ring);
	struct __kernel_timespec ts = {.tv_sec = timeout_ns / 1000000000LL,
				       .tv_nsec = timeout_ns % 1000000000LL};
	struct uring_getevents_arg arg = {.sigmask_sz = _NSIG / 8,
					  .min_wait_usec = min_wait_us,
					  .ts = timeout_ns < 0 ? 0 : (uint64_t)(uintptr_t)&ts};
	unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG |
			 (reg_ring ? IORING_ENTER_REGISTERED_RING : 0);
	int rc = io_uring_enter2((unsigned)(reg_ring ? ring->enter_ring_fd : ring->ring_fd), submit,
				 io_uring_cq_ready(ring) ? 0 : batch, flags, (sigset_t *)&arg,
				 sizeof(arg));
	return rc;
}

#endif

/* uthread.h - the suite's own M:1 user-level threads: O(1) per switch and per event.
 *
 * One scheduler per kernel thread; each owns an epoll instance, a FIFO ready
 * queue and a timer list. A user thread runs until it waits (for an fd, a
 * timer, a yield, or a blocking call handed to the kernel-thread pool); the
 * scheduler runs ready threads until none is left, then one epoll_wait
 * wakes the threads whose fds are ready or whose timeouts expired.
 *
 * Every function below must be called from a user thread of a running
 * scheduler (uthread_sched_run), except uthread_sched_new/run/free and
 * uthread_pool_stop, which the kernel thread that owns the scheduler calls.
 * A user thread waits on one descriptor at a time: the last it waited on
 * stays registered in the epoll set until it is closed or the thread waits on
 * another one.
 */
#ifndef UTHREAD_H
#define UTHREAD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define UTHREAD_STACK_KB 64 /* per thread, plus one PROT_NONE guard page */
#define UTHREAD_POOL_MAX 64 /* kernel threads for blocking calls, started on demand */

struct uthread;
struct uthread_sched;

/* A scheduler (epoll instance, completion eventfd); NULL with errno on failure. */
struct uthread_sched *uthread_sched_new(void);
/* Run fn(arg) as the first user thread and every thread it spawns; return
 * when fn has returned (threads still waiting then are abandoned, not run)
 * and no thread is away in the blocking pool. */
void uthread_sched_run(struct uthread_sched *s, void (*fn)(void *), void *arg);
/* Free the scheduler, every thread left in it and every cached stack. */
void uthread_sched_free(struct uthread_sched *s);

/* A new thread at the tail of the ready queue; NULL with errno (ENOMEM). */
struct uthread *uthread_spawn(void (*fn)(void *), void *arg);
void uthread_yield(void);
/* Wake this scheduler's threads that wait (with a timeout) to read, as if
 * their time were up: on a stop, connections waiting for a request close. */
void uthread_wake_readers(void);
void uthread_sleep_ms(int ms);
/* Threads alive in the calling thread's scheduler (itself included). */
int uthread_count(void);

/* The caller saw EAGAIN on fd: wait for the next edge of events (EPOLLIN,
 * EPOLLOUT). Returns 1 ready (or error/hangup: the next call says which),
 * 0 timeout (timeout_ms < 0: none), -1 with errno when fd cannot be watched. */
int uthread_wait_fd(int fd, uint32_t events, int timeout_ms);
/* poll() for one descriptor, answered from what the thread already knows
 * when it can (no system call); waits with uthread_wait_fd otherwise. */
int uthread_poll(struct pollfd *p, nfds_t n, int timeout_ms);
/* The caller's own call on fd (accept) failed with EAGAIN: forget the
 * edge, so that the next uthread_poll waits for a new one. O(1). */
void uthread_drained(int fd, uint32_t events);
/* read/writev on a non-blocking fd, waiting up to timeout_ms for readiness
 * (0: do not wait, fail with EAGAIN; timeout: -1 with ETIMEDOUT). */
ssize_t uthread_read(int fd, void *buf, size_t n, int timeout_ms);
ssize_t uthread_writev(int fd, const struct iovec *iov, int cnt, int timeout_ms);

/* work_block's hooks: begin moves the calling user thread onto a pool kernel
 * thread (its scheduler goes on with the others), end moves it back. Outside
 * a user thread both do nothing, and the call blocks where it is. */
void uthread_block_begin(void);
void uthread_block_end(void);
/* Stop and join the pool's idle kernel threads (call when no scheduler runs). */
void uthread_pool_stop(void);

#endif

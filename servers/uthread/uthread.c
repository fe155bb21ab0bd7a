/* uthread.c - the runtime of uthread.h, in the manner of State Threads' sched.c.
 *
 * Context switch: Boost.Context's jump_fcontext (libboost_context, C linkage,
 * declared here): it saves the callee-saved registers and the x87/SSE
 * control words and swaps stack pointers, with no system call. glibc's
 * swapcontext saves and restores the signal mask with rt_sigprocmask on every
 * switch, and Debian's libpcl is built on swapcontext, so neither would do.
 * Measured (bin/tests/test_uthread --bench, 2-core machine loaded by other
 * jobs): 37-70 ns per switch here, against 580-670 ns for swapcontext; and
 * perf stat -e raw_syscalls:sys_enter counts the same 92 system calls for
 * 4 and 8 million switches (swapcontext: one per switch).
 * Every switch goes through a scheduler (or pool) context and back: thread
 * to thread is two jumps, which keeps each piece here one short function.
 *
 * Readiness: each thread's fd is registered once (EPOLL_CTL_ADD, edge
 * triggered, EPOLLIN|EPOLLOUT|EPOLLRDHUP) and never modified: no epoll_ctl per
 * request, where one-shot registration would need an EPOLL_CTL_MOD per wait.
 * Edge triggering loses no wakeup because the thread remembers the edges it
 * has been told of (fd_ready) and forgets one only when it has seen the fd
 * empty: EAGAIN, or a read shorter than asked (a stream socket's read stops
 * short only when its queue is empty). Data arriving after that raises a new
 * edge, and no epoll_wait can run between the two (M:1: the thread is running).
 * So a keep-alive request costs read, writev and a share of one epoll_wait,
 * like the epoll model.
 *
 * Sanitizers: each jump is announced to ASan (__sanitizer_start_switch_fiber /
 * __sanitizer_finish_switch_fiber) and to TSan (a fiber per thread,
 * __tsan_switch_to_fiber); without them ASan reports the other stack's frames
 * and TSan loses track. Both suites pass under them.
 * Migration: between work_block's hooks the user thread runs on a pool
 * kernel thread, so that stretch (one syscall loop in work.c) must not keep a
 * thread-local address across the hooks; everything here reads tls_* afresh.
 */
#include "uthread.h"

#include "clock.h"
#include "deadline.h"
#include "list.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_EVENTS  256
#define GUARD_BYTES 4096

typedef void *fcontext_t;
typedef struct {
	fcontext_t fctx;
	void *data;
} transfer_t;
extern transfer_t jump_fcontext(fcontext_t const to, void *vp);
extern fcontext_t make_fcontext(void *sp, size_t size, void (*fn)(transfer_t));

/* Sanitizers must be told of each stack switch (no headers installed: declared here). */
#if defined(__SANITIZE_ADDRESS__)
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
#define asan_start  __sanitizer_start_switch_fiber
#define asan_finish __sanitizer_finish_switch_fiber
#else
static inline void asan_start(void **f, const void *b, size_t s)
{
	(void)f, (void)b, (void)s;
}
static inline void asan_finish(void *f, const void **b, size_t *s)
{
	(void)f, (void)b, (void)s;
}
#endif
#if defined(__SANITIZE_THREAD__)
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#else
static inline void *__tsan_get_current_fiber(void)
{
	return NULL;
}
static inline void *__tsan_create_fiber(unsigned f)
{
	(void)f;
	return NULL;
}
static inline void __tsan_destroy_fiber(void *f)
{
	(void)f;
}
static inline void __tsan_switch_to_fiber(void *f, unsigned fl)
{
	(void)f, (void)fl;
}
#endif

enum state { T_READY, T_RUNNING, T_WAITING, T_TO_POOL, T_IN_POOL, T_FROM_POOL, T_DONE };

struct uthread {
	fcontext_t ctx, back; /* where it stopped; who resumed it */
	struct uthread_sched *sched;
	struct list_node link;  /* ready queue, pool queue, done list or free list */
	struct deadline timer;  /* in sched->timers while a timed wait is armed */
	struct list_node alive; /* every live thread of the scheduler */
	void (*fn)(void *);
	void *arg;
	char *map; /* guard page + stack */
	enum state state;
	int fd;               /* registered in sched->epfd, -1 none */
	uint32_t fd_ready;    /* edges told and not yet used up */
	uint32_t fd_hup;      /* hangup seen: these never block again (sticky) */
	uint32_t wait_events; /* waiting for these, 0 otherwise */
	int woke_by_fd;
	void *asan_fake;
	const void *back_lo; /* the resumer's stack, for ASan */
	size_t back_size;
	void *tsan_fiber, *tsan_back;
};

struct uthread_sched {
	int epfd, done_efd;
	struct list_node ready;
	struct deadline_list timers;
	struct list_node all, free_list;
	struct uthread *main;
	int live, away, main_done; /* away: threads in the pool */
	pthread_mutex_t done_lock;
	struct list_node done; /* back from the pool */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct list_node queue;
	int queued, idle, threads, stopping;
	pthread_t tids[UTHREAD_POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
	  .cond = PTHREAD_COND_INITIALIZER,
	  .queue = {&pool.queue, &pool.queue}};

static __thread struct uthread_sched *tls_sched; /* the scheduler this kernel thread runs */
static __thread struct uthread *tls_self;        /* the user thread it runs now, or NULL */

/* The first thread of a list.h queue, unlinked; NULL when it is empty. */
static struct uthread *queue_pop(struct list_node *head)
{
	struct list_node *n = list_first(head);
	if (!n)
		return NULL;
	list_remove(n);
	return list_entry(n, struct uthread, link);
}

/* ---- switch: two jumps per visit, 0 system calls ---- */

/* From a scheduler or pool context into u, until u suspends. */
static void thread_resume(struct uthread *u)
{
	void *fake;
	tls_self = u;
	u->tsan_back = __tsan_get_current_fiber();
	__tsan_switch_to_fiber(u->tsan_fiber, 0);
	asan_start(&fake, u->map + GUARD_BYTES, (size_t)UTHREAD_STACK_KB * 1024);
	transfer_t t = jump_fcontext(u->ctx, u);
	asan_finish(fake, NULL, NULL);
	u = t.data;
	u->ctx = t.fctx;
	tls_self = NULL;
}

/* From u back to whoever resumed it; returns when u is resumed (maybe on
 * another kernel thread: nothing here may keep a thread-local across it). */
static void thread_suspend(struct uthread *u)
{
	__tsan_switch_to_fiber(u->tsan_back, 0);
	asan_start(u->state == T_DONE ? NULL : &u->asan_fake, u->back_lo, u->back_size);
	transfer_t t = jump_fcontext(u->back, u);
	asan_finish(u->asan_fake, &u->back_lo, &u->back_size);
	u->back = t.fctx;
}

static void thread_entry(transfer_t t)
{
	struct uthread *u = t.data;
	u->back = t.fctx;
	asan_finish(NULL, &u->back_lo, &u->back_size);
	u->fn(u->arg);
	u->state = T_DONE;
	thread_suspend(u); /* never returns: the scheduler recycles the stack */
}

/* ---- ready queue: FIFO, O(1) (the pool queue, done list and free list are
 * list.h queues too, through the same link: a thread is in one at a time) ---- */

static void ready_push(struct uthread_sched *s, struct uthread *u)
{
	u->state = T_READY;
	list_append(&s->ready, &u->link);
}

static struct uthread *ready_pop(struct uthread_sched *s)
{
	return queue_pop(&s->ready);
}

/* ---- wait and wake: O(1) plus the timer insert, 0 system calls. Timers are
 * deadline.h's list ordered by deadline: an insert is O(1) when the new
 * deadline is the latest or the earliest (every wait of one --idle-ms is the
 * latest), else O(distance from the tail); removal and expiry O(1) each. ---- */

static void thread_wake(struct uthread *u, int by_fd)
{
	u->wait_events = 0;
	u->woke_by_fd = by_fd;
	deadline_cancel(&u->timer);
	ready_push(u->sched, u);
}

/* Suspend the running thread until thread_wake; 1 woken by its fd, 0 by time. */
static int thread_park(struct uthread *u, int timeout_ms)
{
	if (timeout_ms >= 0)
		deadline_set(&u->sched->timers, &u->timer,
			     now_ms() + timeout_ms + (timeout_ms == 0 ? 0 : 1));
	u->state = T_WAITING;
	thread_suspend(u);
	return u->woke_by_fd;
}

void uthread_wake_readers(void)
{
	struct list_node *items = &tls_sched->timers.items, *n, *next;
	for (n = items->next; n != items; n = next) {
		next = n->next; /* thread_wake takes n out of the list */
		struct uthread *u = list_entry(n, struct uthread, timer.node);
		if (u->wait_events == EPOLLIN)
			thread_wake(u, 0); /* as if its time were up */
	}
}

void uthread_yield(void)
{
	struct uthread *u = tls_self;
	ready_push(u->sched, u);
	thread_suspend(u);
}

void uthread_sleep_ms(int ms)
{
	thread_park(tls_self, ms < 0 ? 0 : ms);
}

int uthread_count(void)
{
	return tls_sched ? tls_sched->live : 0;
}

/* ---- fds: registered once per thread, edge triggered (1 epoll_ctl per connection) ---- */

static int fd_watch(struct uthread *u, int fd)
{
	if (u->fd == fd)
		return 0;
	struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = u};
	if (u->fd >= 0)
		epoll_ctl(u->sched->epfd, EPOLL_CTL_DEL, u->fd, NULL); /* may be closed: ignore */
	if (epoll_ctl(u->sched->epfd, EPOLL_CTL_ADD, fd, &e) < 0 &&
	    (errno != EEXIST || epoll_ctl(u->sched->epfd, EPOLL_CTL_MOD, fd, &e) < 0))
		return -1;
	u->fd = fd;
	u->fd_ready = EPOLLIN | EPOLLOUT; /* unknown: let the caller try */
	u->fd_hup = 0;
	return 0;
}

/* The caller saw fd empty (or full): forget that edge. */
static void fd_drained(int fd, uint32_t events)
{
	struct uthread *u = tls_self;
	if (u && u->fd == fd)
		u->fd_ready &= ~events;
}

void uthread_drained(int fd, uint32_t events)
{
	fd_drained(fd, events);
}

/* Scheduler side: an edge for u's fd. */
static void fd_event(struct uthread *u, uint32_t events)
{
	/* A hangup is told once, often in the same edge as the last bytes; the
	 * short read that drains them must not forget it (fd_drained clears
	 * fd_ready only). The peer's FIN: reads no longer block; an error or a
	 * full hangup: neither do writes. */
	if (events & (EPOLLERR | EPOLLHUP))
		u->fd_hup |= EPOLLIN | EPOLLOUT;
	else if (events & EPOLLRDHUP)
		u->fd_hup |= EPOLLIN;
	/* LAB uthread: remember the edge in fd_ready; wake u if it waits for it (an error: both) */
	uint32_t got = events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP) ? EPOLLIN | EPOLLOUT
								   : events & (EPOLLIN | EPOLLOUT);
	u->fd_ready |= got;
	if (u->wait_events & got)
		thread_wake(u, 1);
	/* END LAB uthread (starter: (void)u; (void)events;) */
}

int uthread_wait_fd(int fd, uint32_t events, int timeout_ms)
{
	struct uthread *u = tls_self;
	if (fd_watch(u, fd) < 0)
		return -1;
	if (u->fd_hup & events)
		return 1;
	u->fd_ready &= ~events;
	u->wait_events = events;
	return thread_park(u, timeout_ms);
}

int uthread_poll(struct pollfd *p, nfds_t n, int timeout_ms)
{
	struct uthread *u = tls_self;
	uint32_t want = (p->events & POLLIN ? EPOLLIN : 0) | (p->events & POLLOUT ? EPOLLOUT : 0);
	if (n != 1 || !want) {
		errno = EINVAL;
		return -1;
	}
	if (fd_watch(u, p->fd) < 0)
		return -1;
	if (!(u->fd_ready & want)) { /* uthread_wait_fd answers at once after a hangup */
		int r = uthread_wait_fd(p->fd, want, timeout_ms);
		if (r <= 0)
			return r;
	}
	p->revents = (short)(p->events & (POLLIN | POLLOUT));
	return 1;
}

/* After EAGAIN: 0 once fd is ready again; -1 when it may not wait (timeout 0:
 * errno stays EAGAIN), timed out (ETIMEDOUT) or the wait failed. */
static int wait_again(int fd, uint32_t events, int timeout_ms)
{
	if (timeout_ms == 0)
		return -1;
	int w = uthread_wait_fd(fd, events, timeout_ms);
	if (w <= 0) {
		errno = w == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	return 0;
}

ssize_t uthread_read(int fd, void *buf, size_t n, int timeout_ms)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r > 0 && (size_t)r < n)
			fd_drained(fd, EPOLLIN);
		if (r >= 0 || errno != EAGAIN)
			return r;
		fd_drained(fd, EPOLLIN);
		if (wait_again(fd, EPOLLIN, timeout_ms) < 0)
			return -1;
	}
}

ssize_t uthread_writev(int fd, const struct iovec *iov, int cnt, int timeout_ms)
{
	for (;;) {
		ssize_t r = writev(fd, iov, cnt);
		if (r >= 0 || errno != EAGAIN)
			return r;
		if (wait_again(fd, EPOLLOUT, timeout_ms) < 0)
			return -1;
	}
}

/* ---- threads: O(1) from the free list; a new stack costs mmap + mprotect ---- */

static struct uthread *thread_alloc(struct uthread_sched *s)
{
	struct uthread *u = queue_pop(&s->free_list);
	if (u)
		return u;
	size_t bytes = GUARD_BYTES + (size_t)UTHREAD_STACK_KB * 1024;
	if (!(u = calloc(1, sizeof *u)))
		return NULL;
	u->map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		      -1, 0);
	if (u->map == MAP_FAILED || mprotect(u->map, GUARD_BYTES, PROT_NONE) < 0) {
		if (u->map != MAP_FAILED)
			munmap(u->map, bytes);
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	u->tsan_fiber = __tsan_create_fiber(0);
	return u;
}

static void thread_destroy(struct uthread *u)
{
	__tsan_destroy_fiber(u->tsan_fiber);
	munmap(u->map, GUARD_BYTES + (size_t)UTHREAD_STACK_KB * 1024);
	free(u);
}

struct uthread *uthread_spawn(void (*fn)(void *), void *arg)
{
	struct uthread_sched *s = tls_sched;
	struct uthread *u = thread_alloc(s);
	if (!u)
		return NULL;
	size_t stack = (size_t)UTHREAD_STACK_KB * 1024;
	u->ctx = make_fcontext(u->map + GUARD_BYTES + stack, stack, thread_entry);
	u->sched = s;
	u->fn = fn;
	u->arg = arg;
	u->fd = -1;
	u->wait_events = 0;
	list_append(&s->all, &u->alive);
	s->live++;
	ready_push(s, u);
	return u;
}

/* A finished thread's stack goes to the free list (its fd closed itself). */
static void thread_release(struct uthread_sched *s, struct uthread *u)
{
	list_remove(&u->alive);
	s->live--;
	if (u == s->main)
		s->main_done = 1;
	list_insert_after(&s->free_list, &u->link); /* LIFO: the warmest stack first */
}

/* ---- blocking offload: the user thread migrates to a pool kernel thread
 * for the call (Capriccio's and Go's answer). Costs per call: a mutex, a
 * condition signal, an eventfd write and read. ---- */

static void *pool_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (list_empty(&pool.queue) && !pool.stopping) {
			pool.idle++;
			pthread_cond_wait(&pool.cond, &pool.lock);
			pool.idle--;
		}
		struct uthread *u = queue_pop(&pool.queue);
		if (!u)
			break;
		pool.queued--;
		pthread_mutex_unlock(&pool.lock);
		u->state = T_IN_POOL;
		thread_resume(u); /* runs the blocking call, then suspends in block_end */
		struct uthread_sched *s = u->sched;
		uint64_t one = 1;
		pthread_mutex_lock(&s->done_lock);
		list_append(&s->done, &u->link);
		pthread_mutex_unlock(&s->done_lock);
		if (write(s->done_efd, &one, sizeof one) < 0) { /* cannot fail: counter < max */
		}
		pthread_mutex_lock(&pool.lock);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* Scheduler side, after u suspended itself in block_begin; pool threads are
 * started on demand (with the stop signals blocked) up to UTHREAD_POOL_MAX.
 * With no pool thread at all and none to be had (pthread_create failing: a
 * thread or pids limit), u makes its call here, blocking this scheduler:
 * slower, but never left in a queue that no thread serves. */
static void pool_submit(struct uthread_sched *s, struct uthread *u)
{
	pthread_mutex_lock(&pool.lock);
	if (pool.queued + 1 > pool.idle && pool.threads < UTHREAD_POOL_MAX) {
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (pthread_create(&pool.tids[pool.threads], NULL, pool_main, NULL) == 0)
			pool.threads++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (pool.threads == 0) {
		pthread_mutex_unlock(&pool.lock);
		ready_push(s, u); /* runs on: block_end finds it not in the pool */
		return;
	}
	s->away++;
	list_append(&pool.queue, &u->link);
	pool.queued++;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
}

/* Scheduler side: the completion eventfd is readable. */
static void pool_collect(struct uthread_sched *s)
{
	uint64_t n;
	if (read(s->done_efd, &n, sizeof n) < 0)
		return;
	struct uthread *u;
	pthread_mutex_lock(&s->done_lock);
	while ((u = queue_pop(&s->done))) {
		s->away--;
		ready_push(s, u);
	}
	pthread_mutex_unlock(&s->done_lock);
}

void uthread_block_begin(void)
{
	/* LAB uthread: leave the scheduler (T_TO_POOL): a pool kernel thread resumes the thread */
	struct uthread *u = tls_self;
	if (!u || u->state != T_RUNNING)
		return;
	u->state = T_TO_POOL;
	/* resumes on a pool kernel thread: */
	thread_suspend(u);
	/* END LAB uthread (starter: return) */
}

void uthread_block_end(void)
{
	struct uthread *u = tls_self; /* the pool thread's: read afresh */
	if (!u || u->state != T_IN_POOL)
		return;
	u->state = T_FROM_POOL;
	thread_suspend(u); /* resumes on its scheduler */
}

void uthread_pool_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (int i = 0; i < pool.threads; i++)
		pthread_join(pool.tids[i], NULL);
	pool.threads = pool.stopping = 0;
}

/* ---- the scheduler ---- */

static char done_tag; /* epoll data of the completion eventfd */

struct uthread_sched *uthread_sched_new(void)
{
	struct uthread_sched *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	pthread_mutex_init(&s->done_lock, NULL);
	list_init(&s->ready);
	deadline_list_init(&s->timers);
	list_init(&s->all);
	list_init(&s->free_list);
	list_init(&s->done);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &done_tag};
	if (s->epfd < 0 || s->done_efd < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->done_efd, &e) < 0) {
		int err = errno;
		uthread_sched_free(s);
		errno = err;
		return NULL;
	}
	return s;
}

/* Run u once; what it asked for on the way out is done here, off its stack. */
static void sched_run_one(struct uthread_sched *s, struct uthread *u)
{
	u->state = T_RUNNING;
	thread_resume(u);
	if (u->state == T_DONE)
		thread_release(s, u);
	else if (u->state == T_TO_POOL)
		pool_submit(s, u);
}

/* One epoll_wait: wake the threads whose fds are ready, then expired timers.
 * O(events + expired); 1 system call (2 with pool completions). */
static void sched_poll(struct uthread_sched *s)
{
	struct epoll_event ev[MAX_EVENTS];
	int timeout = deadline_first(&s->timers) ? deadline_wait_ms(&s->timers, now_ms()) : -1;
	int n = epoll_wait(s->epfd, ev, MAX_EVENTS, timeout);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == &done_tag)
			pool_collect(s);
		else
			fd_event(ev[i].data.ptr, ev[i].events);
	}
	long long now = now_ms();
	struct deadline *d;
	while ((d = deadline_expired(&s->timers, now)))
		thread_wake(list_entry(d, struct uthread, timer), 0);
}

void uthread_sched_run(struct uthread_sched *s, void (*fn)(void *), void *arg)
{
	tls_sched = s;
	s->main_done = 0;
	s->main = uthread_spawn(fn, arg);
	if (!s->main)
		return;
	for (;;) {
		struct uthread *u;
		while ((u = ready_pop(s)))
			sched_run_one(s, u);
		if (s->main_done && !s->away)
			break;
		sched_poll(s);
	}
	tls_sched = NULL;
}

void uthread_sched_free(struct uthread_sched *s)
{
	struct list_node *n;
	while ((n = list_first(&s->all))) {
		list_remove(n);
		thread_destroy(list_entry(n, struct uthread, alive));
	}
	struct uthread *u;
	while ((u = queue_pop(&s->free_list)))
		thread_destroy(u);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->done_efd >= 0)
		close(s->done_efd);
	pthread_mutex_destroy(&s->done_lock);
	free(s);
}

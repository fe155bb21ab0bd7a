/* iocp.h - Windows I/O completion ports, emulated on Linux.
 *
 * A reader of the Windows documentation should recognize everything here:
 *
 *   Windows                                   here
 *   CreateIoCompletionPort(INVALID_HANDLE..)  iocp_create(concurrency)
 *   CreateIoCompletionPort(handle, port, key) iocp_associate(port, fd, key)
 *   AcceptEx                                  iocp_accept(port, listen_fd, ov)
 *   WSARecv                                   iocp_recv(port, fd, buf, len, timeout_ms, ov)
 *   WSASend (several WSABUFs)                 iocp_send(port, fd, iov, n, timeout_ms, ov)
 *   ReadFile on an overlapped file            iocp_read(port, fd, buf, len, offset, ov)
 *   DisconnectEx / TF_DISCONNECT, closesocket iocp_disconnect(port, fd, how, ov)
 *   GetQueuedCompletionStatus                 iocp_get(port, &bytes, &key, &ov, timeout_ms)
 *   PostQueuedCompletionStatus                iocp_post(port, bytes, key, ov)
 *   OVERLAPPED                                struct iocp_overlapped
 *
 * Every operation starts and returns at once; its result always arrives later
 * as a completion packet (bytes, the descriptor's key, the ov), also when it
 * failed: ov->res then holds -errno and iocp_get returns it, as
 * GetQueuedCompletionStatus returns FALSE with lpOverlapped set. An operation
 * returns an error itself (and queues nothing) only when it could not be
 * started at all: a descriptor never associated, a bad argument. An ov belongs
 * to the port from the call until its packet is dequeued: one operation per ov.
 *
 * The port's semantics, as in the Windows kernel (each has a unit test):
 *  - packets are delivered first in, first out;
 *  - waiting threads are released last in, first out: the thread that waited
 *    last has the warmest cache and stack;
 *  - no more than `concurrency` threads are released to run at once. A thread
 *    counts as running from the moment iocp_get returns a packet to it until
 *    it calls iocp_get again, blocks (below) or exits. A running thread that
 *    comes back for more takes the next packet without a context switch;
 *  - a running thread that blocks stops counting, so a waiter is released.
 *    Windows sees this in its scheduler: every kernel wait of a thread bound
 *    to a port decrements the port's count. User space cannot see a thread
 *    block in the kernel (the scheduler-activations problem: the kernel does
 *    not tell the user-level scheduler), so here the thread says so itself:
 *    iocp_block_begin() before a blocking call, iocp_block_end() after. The
 *    server hooks them into work_block() (--block-us). A blocking call made
 *    without them holds a concurrency slot while it sleeps;
 *  - shutdown is the application's: post one packet per worker with a key
 *    that means "exit". A thread that exits stops counting, so the next one
 *    is released even with concurrency 1.
 *
 * Two backends produce the completions:
 *  - io_uring (default): a true completion source. One poller thread owns
 *    the ring: it submits the operations the workers queue, waits for
 *    completions and moves each CQE into the port's queue.
 *  - epoll: readiness turned into completions, as Boost.Asio does on Linux:
 *    an operation is tried at once; when the socket is not ready it waits in
 *    a per-descriptor queue, and a poller thread performs it when epoll says
 *    ready. File reads are performed at once (a regular file is always
 *    "ready": a disk miss blocks the submitting thread).
 * iocp_create() picks io_uring and falls back to epoll when the kernel
 * refuses io_uring (EPERM, ENOSYS: seccomp in containers, sysctl
 * kernel.io_uring_disabled), saying so on stderr.
 *
 * Departures from Windows: a receive or a send may carry a timeout (a
 * Windows program runs a timer and calls CancelIoEx; here the backend's
 * poller does that) and then completes with -ETIMEDOUT (timeout_ms <= 0:
 * none); a send may complete short, like send(2), and the caller
 * sends the rest; the port owns the blocking mode of associated sockets.
 */
#ifndef IOCP_H
#define IOCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define IOCP_INFINITE (-1) /* timeout_ms: wait forever */
#define IOCP_MAX_IOV  4    /* iovecs per send */

enum iocp_op {
	IOCP_OP_NONE,
	IOCP_OP_ACCEPT,
	IOCP_OP_RECV,
	IOCP_OP_SEND,
	IOCP_OP_READ,
	IOCP_OP_DISCONNECT
};

enum iocp_disconnect_how {
	IOCP_DISCONNECT_CLOSE, /* close(): FIN after the data already sent */
	IOCP_DISCONNECT_RESET, /* abortive: SO_LINGER 0, then close (RST) */
};

struct iocp_overlapped;

/* A queued completion: what iocp_get hands out. */
struct iocp_packet {
	struct iocp_packet *next;
	uint32_t bytes;
	int res;
	uintptr_t key;
	struct iocp_overlapped *ov;
	int posted; /* allocated by iocp_post, freed when dequeued */
};

/* The OVERLAPPED: embed it in your per-operation (or per-connection) object
 * and recover the object from the pointer iocp_get returns. */
struct iocp_overlapped {
	int res; /* after completion: bytes transferred (accept: the
		    new descriptor) or -errno */
	/* Windows' Internal fields: the port's while an operation is pending. */
	struct {
		enum iocp_op op;
		int fd;
		int how;
		int timeout_ms;
		void *buf;
		size_t len;
		off_t offset;
		struct iovec iov[IOCP_MAX_IOV];
		struct msghdr msg;
		uintptr_t key;
		struct iocp_packet pkt;
		struct iocp_overlapped *next;          /* backend queues */
		struct iocp_overlapped *tprev, *tnext; /* the backend's timer list */
		long long deadline_ms;                 /* 0: not in the timer list */
		int timed_out;                         /* the backend cancelled it */
	} internal;
};

struct iocp_port;

/* A port with the default backend (io_uring, falling back to epoll).
 * concurrency 0 = the number of CPUs. NULL with errno on failure. */
struct iocp_port *iocp_create(int concurrency);
/* The same with a backend named "io_uring" or "epoll" (NULL = default).
 * A named backend does not fall back. On failure, a message in err. */
struct iocp_port *iocp_create_backend(int concurrency, const char *backend, char *err,
				      size_t errlen);
/* Stop the backend and free the port. Call it after the threads that used
 * the port have returned from iocp_get for good (joined). Operations still
 * pending are abandoned (their descriptors are the caller's to close). */
void iocp_close(struct iocp_port *port);

const char *iocp_backend(const struct iocp_port *port);
int iocp_concurrency(const struct iocp_port *port);

/* Bind fd's completions to the port with key. 0 or -errno. */
int iocp_associate(struct iocp_port *port, int fd, uintptr_t key);

/* Asynchronous operations: 0 (the result will arrive as a packet) or -errno
 * (not started, nothing will arrive). */
int iocp_accept(struct iocp_port *port, int listen_fd, struct iocp_overlapped *ov);
int iocp_recv(struct iocp_port *port, int fd, void *buf, size_t len, int timeout_ms,
	      struct iocp_overlapped *ov);
int iocp_send(struct iocp_port *port, int fd, const struct iovec *iov, int iovcnt, int timeout_ms,
	      struct iocp_overlapped *ov);
int iocp_read(struct iocp_port *port, int fd, void *buf, size_t len, off_t offset,
	      struct iocp_overlapped *ov);
/* Close fd (it must have no pending operation of its own). */
int iocp_disconnect(struct iocp_port *port, int fd, enum iocp_disconnect_how how,
		    struct iocp_overlapped *ov);

/* GetQueuedCompletionStatus. Returns 0 with a packet; or -errno with *ov set:
 * the operation on *ov failed; or -ETIMEDOUT with *ov NULL: no packet came
 * within timeout_ms (IOCP_INFINITE: wait forever). */
int iocp_get(struct iocp_port *port, uint32_t *bytes, uintptr_t *key, struct iocp_overlapped **ov,
	     int timeout_ms);

/* PostQueuedCompletionStatus: queue a packet carrying exactly these values
 * (ov may be NULL and is not touched). 0 or -ENOMEM. */
int iocp_post(struct iocp_port *port, uint32_t bytes, uintptr_t key, struct iocp_overlapped *ov);

/* The calling thread is about to block outside the port / is back. */
void iocp_block_begin(void);
void iocp_block_end(void);

/* A snapshot, for tests and logs. */
struct iocp_stats {
	int concurrency;
	int running; /* threads released and counting */
	int waiting; /* threads blocked in iocp_get */
	long queued; /* packets not yet dequeued */
};
void iocp_get_stats(struct iocp_port *port, struct iocp_stats *st);

#endif

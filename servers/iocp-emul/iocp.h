/* iocp.h - Windows I/O completion ports, emulated on Linux.
 *
 *   Windows                                   here
 *   CreateIoCompletionPort(INVALID_HANDLE..)  iocp_create_backend(concurrency, backend, ..)
 *   CreateIoCompletionPort(handle, port, key) iocp_associate(port, fd, key)
 *   AcceptEx                                  iocp_accept(port, listen_fd, ov)
 *   WSARecv (len 0: the zero-byte read)       iocp_recv(port, fd, buf, len, ov)
 *   WSASend (several WSABUFs)                 iocp_send(port, fd, iov, n, ov)
 *   ReadFile on an overlapped file            iocp_read(port, fd, buf, len, offset, ov)
 *   GetQueuedCompletionStatus                 iocp_get(port, &bytes, &key, &ov, timeout_ms)
 *   PostQueuedCompletionStatus                iocp_post(port, bytes, key, ov)
 *   OVERLAPPED                                struct iocp_overlapped
 *
 * An operation starts and returns at once; its result always arrives later
 * as a packet (bytes, the descriptor's key, the ov), also when it failed
 * (ov->res = -errno; iocp_get returns it). It returns an error itself, and
 * queues nothing, only when it could not start: a descriptor never
 * associated, a bad argument, or a receive past the buffer budget (-ENOBUFS,
 * WSAENOBUFS: every posted receive holds its buffer, as Windows locks it).
 * An ov belongs to the port from the call until its packet is dequeued.
 * Receives posted on one socket are filled in the order they were posted.
 *
 * The port, as in the Windows kernel (each rule has a unit test):
 *  - packets are delivered first in, first out;
 *  - waiting threads are released last in, first out (warmest cache first);
 *  - at most `concurrency` threads run at once: a thread runs from the moment
 *    iocp_get hands it a packet until it calls iocp_get again, blocks or
 *    exits; one that comes back takes the next packet without a switch;
 *  - a running thread that blocks stops counting and a waiter is released.
 *    User space cannot see a thread block in the kernel (the scheduler-
 *    activations problem), so the thread says so: iocp_block_begin() and
 *    iocp_block_end() around the blocking call (the server hooks them into
 *    work_block(), --block-us);
 *  - shutdown is the application's: one packet per worker with a key that
 *    means "exit".
 *
 * Backends: io_uring (default; no thread of its own: one waiting thread at a
 * time waits in the ring for the others, iocp.c) or epoll (a poller thread
 * turns readiness into completions, as
 * Boost.Asio does: an operation is tried at once, else queued on its socket
 * until epoll says ready). iocp_create_backend(.., NULL, ..) falls back to
 * epoll when the kernel refuses io_uring, and says so on stderr.
 *
 * Departures: no timeouts and no CancelIoEx: an application that gives up on
 * a socket shuts it down (shutdown(2)), which completes what is pending on
 * it; closing is the application's close(2), with nothing pending. A send
 * may complete short, like send(2). The port owns the sockets' blocking mode.
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

enum iocp_op { IOCP_OP_NONE, IOCP_OP_ACCEPT, IOCP_OP_RECV, IOCP_OP_SEND, IOCP_OP_READ };

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

/* The OVERLAPPED: embed it in your per-operation object and recover the
 * object from the pointer iocp_get returns. */
struct iocp_overlapped {
	int res; /* after completion: bytes (accept: the new descriptor) or -errno */
	struct { /* Windows' Internal fields: the port's while pending */
		enum iocp_op op;
		int fd;
		void *buf;
		size_t len;
		off_t offset;
		struct iovec iov[IOCP_MAX_IOV];
		struct msghdr msg;
		uintptr_t key;
		struct iocp_packet pkt;
		struct iocp_overlapped *next; /* backend queues */
	} internal;
};

struct iocp_port;

/* A port on backend "io_uring" or "epoll" (NULL: io_uring, else epoll);
 * concurrency 0 = iocp_cpus(). NULL with errno and a message in err. */
struct iocp_port *iocp_create_backend(int concurrency, const char *backend, char *err,
				      size_t errlen);
/* Stop the backend and free the port, after its threads are joined.
 * Operations still pending are abandoned. */
void iocp_close(struct iocp_port *port);
const char *iocp_backend(const struct iocp_port *port);
/* The CPUs this process may run on (its affinity mask: taskset counts). */
int iocp_cpus(void);
int iocp_concurrency(const struct iocp_port *port);
/* Receives fail with -ENOBUFS while their buffers would hold more than
 * bytes in all (0: no budget). */
void iocp_set_budget(struct iocp_port *port, size_t bytes);

/* Bind fd's completions to the port with key. 0 or -errno. */
int iocp_associate(struct iocp_port *port, int fd, uintptr_t key);

/* 0 (the result will arrive as a packet) or -errno (nothing will arrive). */
int iocp_accept(struct iocp_port *port, int listen_fd, struct iocp_overlapped *ov);
int iocp_recv(struct iocp_port *port, int fd, void *buf, size_t len, struct iocp_overlapped *ov);
int iocp_send(struct iocp_port *port, int fd, const struct iovec *iov, int iovcnt,
	      struct iocp_overlapped *ov);
int iocp_read(struct iocp_port *port, int fd, void *buf, size_t len, off_t offset,
	      struct iocp_overlapped *ov);

/* 0 with a packet; -errno with *ov set (that operation failed); -ETIMEDOUT
 * with *ov NULL (nothing within timeout_ms; IOCP_INFINITE waits forever). */
int iocp_get(struct iocp_port *port, uint32_t *bytes, uintptr_t *key, struct iocp_overlapped **ov,
	     int timeout_ms);
/* Queue a packet carrying exactly these values (ov may be NULL). 0 or -ENOMEM. */
int iocp_post(struct iocp_port *port, uint32_t bytes, uintptr_t key, struct iocp_overlapped *ov);

/* The calling thread is about to block outside the port / is back. */
void iocp_block_begin(void);
void iocp_block_end(void);

/* A snapshot, for tests and the exit line. */
struct iocp_stats {
	int concurrency;
	int running;          /* threads released and counting */
	int waiting;          /* threads blocked in iocp_get */
	long queued;          /* packets not yet dequeued */
	size_t posted_bytes;  /* held by posted receives now */
	size_t posted_peak;   /* ... at most */
	long nobufs;          /* receives refused by the budget */
};
void iocp_get_stats(struct iocp_port *port, struct iocp_stats *st);

#endif

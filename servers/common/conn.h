/* conn.h - the HTTP/daytime connection of every event-driven and blocking
 * model, without I/O, in the manner of sans-I/O protocol libraries (h11,
 * picohttpparser): conn.c never reads, writes, sends, receives or closes. It
 * takes the bytes that arrived and answers what to do next; a driver does the
 * I/O its own way:
 *   readiness   servers/common/reactor.c (select, epoll, libevent)
 *   blocking    servers/common/serve.c (iterative, fork, thread, pth, st, uthread)
 *   completion  servers/uring/uring.c
 *
 * Input:
 *   conn_read_span() + conn_received()   read straight into the head buffer
 *   conn_take()                          or hand over bytes read elsewhere (0 = EOF):
 *                                        what does not fit is held behind it
 *                                        (more_len: stop receiving until
 *                                        conn_advance has used it)
 * Then conn_advance() answers the buffered requests in order (pipelining) and
 * says what the connection wants:
 *   CONN_WRITE   send conn_out_iov(), then report it with conn_sent()
 *   CONN_FILE    read c->big.file_fd from offset c->big_off into
 *                c->big.body_buf + c->big_off, report it with conn_file_read()
 *   CONN_READ    wait for input (until the deadline)
 *   CONN_LINGER  the last response is out after an error: shut down the
 *                sending side, read and drop input until EOF or the deadline,
 *                then close (closing with unread input would reset the
 *                connection before the peer has read the error)
 *   CONN_CLOSE   close now
 * Call conn_advance again after each report; it is cheap when nothing changed.
 *
 * What the core decides, once for every model: keep-alive and Connection:
 * close (http.c), pipelining (answered in order; no reading ahead while 64 KiB
 * of output is queued: the backpressure; with --root one response at a time,
 * so that no connection holds a file open while its output waits),
 * half-close (what came is answered, then close), the 8 KiB head limit (431)
 * and the parser's Host rules, the lingering close, --max-conns admission
 * (conn_admit), and the deadlines:
 *   - the head deadline is total: --idle-ms from the first byte of a head,
 *     however slowly the rest arrives;
 *   - idle: --idle-ms after the last response when no new head begins;
 *   - a peer that stops reading: --idle-ms without progress of pending output.
 * Every connection of a loop has the same timeout, so its deadline list is
 * ordered for free (deadline.h): O(1) to set, O(1) to find the earliest.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <sys/uio.h>

#include "deadline.h"
#include "http.h"
#include "options.h"

enum conn_want { CONN_READ, CONN_WRITE, CONN_CLOSE, CONN_FILE, CONN_LINGER };

struct conn_loop;

struct conn {
	int fd;              /* the driver's; the core never uses it */
	enum conn_want want; /* what the last conn_advance asked for */
	int mask;            /* free for the driver (registered events) */
	void *ev;            /* free for the driver (the backend's per-fd state) */
	struct conn_loop *loop;
	struct deadline timer; /* in the loop's list: idle, head or send deadline */
	int eof;               /* the peer half-closed */
	int closing;           /* close once the output is flushed */
	int linger;            /* then shut down and drain input until EOF */
	char *out;             /* queued heads and small bodies */
	size_t out_len, out_off, out_cap;
	struct http_response big; /* a large body, sent after out (by reference) */
	int big_pending;
	size_t big_off; /* bytes of big sent; with file_wait, of its file read */
	int file_wait;  /* big is a --root file still to read (CONN_FILE) */
	char *more;     /* input beyond in[], in order (conn_take) */
	size_t more_len, more_cap;
	size_t in_len;
	char in[HTTP_MAX_HEAD + 1]; /* one more, so an oversized head is seen */
};

/* Per loop (a reactor thread, a ring, or one blocking connection). */
struct conn_loop {
	const struct server_opts *o;
	const char *server;           /* Server: header */
	struct deadline_list timers; /* of its connections, earliest first */
	int nconns;                   /* connections of this loop */
	void *data;                   /* the driver's own (its reactor) */
};

void conn_loop_init(struct conn_loop *l, const struct server_opts *o, const char *server);

/* ---- the core (conn.c: no I/O) ---- */

/* --max-conns: may one more connection be admitted? (All loops of the process.) */
int conn_admit(const struct conn_loop *l);
/* A new connection on fd: allocated and started (daytime queues its line);
 * NULL when out of memory (the caller still owns fd). */
struct conn *conn_new(struct conn_loop *l, int fd);
/* Leave the deadline list, free the buffers (a pending file is closed by
 * http_response_free); the caller closes c->fd. */
void conn_free(struct conn *c);

/* Where to read and how much (0: the core takes no input now). */
char *conn_read_span(struct conn *c, size_t *room);
/* n bytes were read into the span; 0 = EOF. */
void conn_received(struct conn *c, size_t n);
/* Bytes read elsewhere (n == 0: EOF): 0, or -1 when out of memory (close).
 * While closing, input is dropped. */
int conn_take(struct conn *c, const char *p, size_t n);
/* Answer what can be answered; what comes next (also in c->want). */
enum conn_want conn_advance(struct conn *c);
/* What to send next (0: nothing), and how much of it went. */
int conn_out_iov(struct conn *c, struct iovec iov[2]);
void conn_sent(struct conn *c, size_t n);
/* CONN_FILE: res = bytes read or -errno; 1 = read more, 0 = the response is
 * queued (go on with conn_advance). */
int conn_file_read(struct conn *c, int res);

/* Deadlines: the earliest connection if it has expired at now_ms, else NULL;
 * how long until it expires (-1: no connection); the earliest connection
 * (for a teardown: close until NULL). */
struct conn *conn_expired(struct conn_loop *l, long long now);
int conn_timeout_ms(struct conn_loop *l, long long now);
struct conn *conn_oldest(struct conn_loop *l);
/* Leave the deadline list now (a completion loop waiting for its cancelled
 * operations before conn_close); conn_free() copes. */
void conn_untime(struct conn *c);
/* Milliseconds a loop may wait: until the earliest deadline or the end of an
 * accept pause (paused_until_ms, 0 = not paused); -1 = forever. */
int conn_next_wait_ms(struct conn_loop *l, long long now, long long paused_until_ms);

/* Connections of the whole process (atomic), and those refused (conn_reject). */
int conn_count(void);
long conn_rejected(void);

/* ---- around the core: these do I/O (servers/common/reactor.c) ---- */

/* conn_new on fd, closing fd when out of memory. */
struct conn *conn_open(struct conn_loop *l, int fd);
/* conn_free, and close the fd. */
void conn_close(struct conn *c);
/* CONN_FILE done the blocking way (pread, EINTR retried); returns conn_file_read's answer. */
int conn_file_pread(struct conn *c);
/* CONN_FILE as far as the page cache holds the file, without blocking
 * (preadv2 RWF_NOWAIT): 1 = the rest must be read asynchronously (from
 * c->big_off), 0 = the response is queued (a 500 if the read failed). */
int conn_file_nowait(struct conn *c);
/* 503 (one non-blocking write, best effort; daytime: nothing) and close:
 * over --max-conns or, in select, an fd at or above FD_SETSIZE. Counted in
 * conn_rejected(). */
void conn_reject(struct conn_loop *l, int fd);
/* Default --max-conns: the fd limit minus a margin, and at most cap (0: no cap). */
int conn_default_max(int cap);

/* Accepts per listener readiness: the default backlog, all that is
 * queued. A readiness loop reports the listener once per pass over its ready
 * fds, so a small batch starves new connections when many are busy: with 64,
 * epoll and libevent served 2,300-3,000 of 16,384 connections in a 3.5 s
 * window (Jain 0.14-0.18, SEDA's file task, one CPU); with 4096, 14,000-16,384
 * (Jain 0.80-0.98), at the same server CPU per request. */
#define CONN_ACCEPT_BATCH OPT_DEFAULT_BACKLOG
#define CONN_PAUSE_MS     100 /* accepting paused after EMFILE/ENFILE */

/* Run fn(arg) for n reactors: threads for reactors 1..n-1 (with SIGINT and
 * SIGTERM blocked), reactor 0 on the calling thread; then join them all.
 * args points to n objects of size stride. */
void conn_run_reactors(int n, void *(*fn)(void *), void *args, size_t stride);

/* A reactor model's start-up after its options: o->workers zeroed objects of
 * `size` bytes, each with its own listener (SO_REUSEPORT when more than one;
 * nonblock as server_listen's) and its connection loop (the struct conn_loop
 * at byte loop_off, its data the object); setup(obj, lfd, stop_fd, arg) does
 * the model's own part of each.  Then the ready line, and fn run on every
 * object (conn_run_reactors) until they end. */
void conn_serve_reactors(struct server_opts *o, const char *server, int nonblock, size_t size,
			 size_t loop_off, void (*setup)(void *obj, int lfd, int stop_fd, void *arg),
			 void *arg, void *(*fn)(void *));

#endif

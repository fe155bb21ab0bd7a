/* conn.h - the one per-connection state machine of the event-driven models
 * (select, epoll, libevent), in the manner of eliben's servers and Redis' ae:
 * the protocol knows nothing of the event loop, and every step returns what
 * the connection wants next.
 *
 *   conn_open()          a connection was accepted: daytime queues its line
 *   conn_on_readable()   read once, parse, answer pipelined requests in order
 *                        (http_respond), queue the responses, try to flush
 *   conn_on_writable()   flush with writev, resume partial writes, then go on
 *                        with requests still buffered
 *   -> CONN_READ, CONN_WRITE or CONN_CLOSE; on CLOSE the loop forgets the fd
 *      and calls conn_close().
 *
 * Those two are the readiness side: they call read() and writev() themselves.
 * A completion loop (uring) does its own I/O and drives the same machine in
 * pieces, never while one of its operations on the connection is in flight:
 *   conn_take()      bytes that arrived (0 = EOF): copied into the head buffer,
 *                    what does not fit held behind it (more_len: the loop
 *                    should stop receiving until conn_advance has used it)
 *   conn_advance()   answer the buffered requests -> CONN_WRITE (send
 *                    conn_out_iov(), then conn_sent()), CONN_FILE (read
 *                    c->big's file, then conn_file_read()), CONN_READ, CONN_CLOSE
 *
 * While output is pending a connection wants only WRITE (no reading ahead:
 * that is the backpressure). The idle and head timeouts (--idle-ms) live in a
 * list ordered by last activity: every connection of a loop has the same
 * timeout, so the oldest is at the head and expiry is O(1).
 *
 * The file also holds what the three loops share around the connections: the
 * global connection count for --max-conns, the 503 for refused connections,
 * the stop descriptor that SIGINT/SIGTERM make readable, and the running of N
 * reactors (the calling thread is reactor 0).
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <sys/uio.h>

#include "http.h"
#include "options.h"

enum conn_want { CONN_READ, CONN_WRITE, CONN_CLOSE, CONN_FILE /* completion side only */ };

struct conn_loop;

struct conn {
	int fd;
	enum conn_want want; /* what the last step asked for */
	int mask;            /* free for the event loop (registered events) */
	void *ev;            /* free for the event loop (libevent's event) */
	struct conn_loop *loop;
	struct conn *prev, *next; /* the loop's timer list, oldest first */
	long long active_ms;      /* last activity: accept, request, write progress */
	int eof;                  /* the peer half-closed */
	int closing;              /* close once the output is flushed */
	int linger;               /* after an error: shutdown, drain input until EOF */
	char *out;                /* queued heads and small bodies */
	size_t out_len, out_off, out_cap;
	struct http_response big; /* a large body, sent after out (by reference) */
	int big_pending;
	size_t big_off;           /* bytes of big sent; with file_wait, of its file read */
	int file_wait;            /* completion side: big is a --root file still to read */
	char *more;               /* completion side: input beyond in[], in order */
	size_t more_len, more_cap;
	size_t in_len;
	char in[HTTP_MAX_HEAD + 1]; /* one more, so an oversized head is seen */
};

/* Per event loop (one per reactor thread). */
struct conn_loop {
	const struct server_opts *o;
	const char *server;       /* Server: header */
	struct conn *head, *tail; /* timer list */
	int nconns;               /* connections of this loop */
	void *data;               /* the event loop's own (its reactor) */
};

void conn_loop_init(struct conn_loop *l, const struct server_opts *o, const char *server);

/* A connection accepted on a non-blocking fd: allocate and start it.
 * Returns NULL (fd closed) when out of memory. c->want is set. */
struct conn *conn_open(struct conn_loop *l, int fd);
enum conn_want conn_on_readable(struct conn *c);
enum conn_want conn_on_writable(struct conn *c);
/* Close the fd, leave the timer list, free. */
void conn_close(struct conn *c);
/* Leave the timer list now (a completion loop waiting for its cancelled
 * operations before conn_close); conn_close() copes. */
void conn_untime(struct conn *c);

/* The completion side (see the top). conn_take: 0, or -1 when out of memory
 * (close the connection). While closing, input is dropped. */
int conn_take(struct conn *c, const char *p, size_t n);
enum conn_want conn_advance(struct conn *c);
/* What to send next (0: nothing), and how much of it went. */
int conn_out_iov(struct conn *c, struct iovec iov[2]);
void conn_sent(struct conn *c, size_t n);
/* CONN_FILE: read c->big.file_fd from offset c->big_off into
 * c->big.body_buf + c->big_off, then report res (bytes or -errno):
 * 1 = read more, 0 = the response is queued (go on with conn_advance). */
int conn_file_read(struct conn *c, int res);

/* Timers: the oldest connection if it has expired at now_ms, else NULL;
 * and how long until the oldest expires (-1: no connection). */
struct conn *conn_expired(struct conn_loop *l, long long now);
int conn_timeout_ms(struct conn_loop *l, long long now);

/* Connections of the whole process, for --max-conns (atomic). */
int conn_count(void);
/* 503 (one non-blocking write, best effort; daytime: nothing) and close:
 * over --max-conns or, in select, an fd at or above FD_SETSIZE. Counted in
 * conn_rejected(). */
void conn_reject(struct conn_loop *l, int fd);
long conn_rejected(void);

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

/* Accept up to CONN_ACCEPT_BATCH connections on the non-blocking listener lfd
 * and hand each new connection to admit(); one beyond --max-conns, or on a
 * descriptor at or above fd_limit (select: FD_SETSIZE; 0 = no limit), is
 * answered 503 instead. Returns 1 when the loop should pause accepting for
 * CONN_PAUSE_MS (EMFILE/ENFILE: the reserve-fd trick has drained one), else 0. */
int conn_accept_batch(struct conn_loop *l, int lfd, int fd_limit,
		      void (*admit)(struct conn_loop *l, struct conn *c));

/* Milliseconds the loop may wait: until the oldest connection's deadline or
 * the end of an accept pause (paused_until_ms, 0 = not paused); -1 = forever. */
int conn_next_wait_ms(struct conn_loop *l, long long now, long long paused_until_ms);

/* Run fn(arg) for n reactors: threads for reactors 1..n-1 (with SIGINT and
 * SIGTERM blocked), reactor 0 on the calling thread; then join them all.
 * args points to n objects of size stride. */
void conn_run_reactors(int n, void *(*fn)(void *), void *args, size_t stride);

#endif

/* io.c - the Fire server's operations (struct io): how each is posted to the
 * port, and how a receive's bytes reach the core. Apart from main.c so that
 * the model file holds the server's state machine (what it posts, and when)
 * and this the mechanics, with the answers to the IOCP article's hassles 1
 * and 2 (../shared/seeds/004). Every function runs under the connection's lock.
 *
 *  1. WSAENOBUFS (3.6.1): a posted receive holds its buffer; the port counts
 *     those bytes (peak and at exit: the exit line) and refuses a receive
 *     past --buffer-budget with -ENOBUFS. post_receives() then falls back to
 *     a zero-byte read (with --zero-byte-read it always posts one), and
 *     read_ready() takes what is there with a non-blocking recv into the
 *     worker's stack: no buffer held, and never a hang.
 *  2. Package reordering (3.6.2): with --pending-reads N > 1, a connection's
 *     receives complete on any worker in any order. post_receive() stamps
 *     each with a sequence number; on_receive() (the article's
 *     GetNextReadBuffer) keeps early ones in a list sorted by number, the map
 *     of early buffers, and hands the core bytes in posting order only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fire.h"
#include "server.h"
#include "work.h"

#define RECV_BUF  4096  /* a posted receive's buffer: a page */
#define READY_BUF 16384 /* the non-blocking read after a zero-byte read */

_Atomic long zero_fallbacks;
_Atomic long early_receives;

/* ---- accepts, sends and file reads (main.c keeps one of each in flight at most) ---- */

static void started(int rc, const char *what)
{
	if (rc < 0)
		log_fatal("%s: %s", what, strerror(-rc));
}

void post_accept(struct connection *c)
{
	c->inflight++;
	started(iocp_accept(port, listen_fd, &c->accept.ov), "accept");
}

void post_send(struct connection *c)
{
	struct iovec iov[2];
	int n = conn_out_iov(c->core, iov);
	c->sending = 1;
	c->inflight++;
	started(iocp_send(port, c->core->fd, iov, n, &c->send.ov), "send");
}

/* CONN_FILE: read the rest of the --root file. What the page cache holds is
 * read at once, with no packet (Windows: a ReadFile that completes at once on
 * a handle set to FILE_SKIP_COMPLETION_PORT_ON_SUCCESS); the rest through
 * the port. A cached read posted to the port completed at once too, but its
 * packet queued behind every other, with the file open: at 16,384
 * connections 3,900 files were open at once, the fd limit was reached and
 * requests failed. */
void post_file_read(struct connection *c)
{
	struct http_response *b = &c->core->big;
	if (!conn_file_nowait(c->core))
		return;
	size_t off = c->core->big_off; /* a read from off may follow a short one */
	int rc = iocp_associate(port, b->file_fd, KEY_IO);
	if (rc == 0)
		rc = iocp_read(port, b->file_fd, b->body_buf + off, b->body_len - off, (off_t)off,
			       &c->file.ov);
	if (rc < 0) {
		conn_file_read(c->core, rc); /* a 500 is queued */
		return;
	}
	c->filing = 1;
	c->inflight++;
}

/* ---- receives: sequence numbers (hassle 2) and the budget (hassle 1) ---- */

static int post_receive(struct connection *c, size_t len)
{
	int slot = 0;
	while (c->rx[slot]) /* fewer than --pending-reads <= OPT_MAX_PENDING_READS held */
		slot++;
	struct io *r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	*r = (struct io){.c = c, .kind = IO_RECV, .seq = c->post_seq, .slot = slot, .len = len};
	r->buf = (char *)(r + 1);
	int rc = iocp_recv(port, c->core->fd, r->buf, len, &r->ov);
	if (rc < 0) {
		free(r);
		return rc;
	}
	c->rx[slot] = r; /* its completion waits for our lock: no race */
	c->post_seq++;
	c->recvs++;
	c->inflight++;
	return 0;
}

/* Receives completed ahead of their turn: each still holds its buffer. */
static int early_count(const struct connection *c)
{
	int n = 0;
	for (const struct io *r = c->early; r; r = r->next)
		n++;
	return n;
}

/* Keep --pending-reads receives posted; past the budget, a zero-byte read. */
void post_receives(struct connection *c)
{
	struct conn *k = c->core;
	if (c->closing || k->eof || k->more_len) /* more_len: the core is behind */
		return;
	if (opts.zero_byte_read) {
		if (!c->recvs)
			post_receive(c, 0);
		return;
	}
	/* Early receives count too: one whose turn has not come holds its
	 * buffer, so a connection never holds more than --pending-reads. (Counting
	 * only those still posted let a starved completion's successors pile up
	 * behind it: UBSan saw the 65th slot under load.) */
	while (c->recvs + early_count(c) < opts.pending_reads) {
		int rc = post_receive(c, RECV_BUF);
		if (rc == -ENOBUFS && !c->recvs) { /* WSAENOBUFS: hold no buffer */
			atomic_fetch_add(&zero_fallbacks, 1);
			rc = post_receive(c, 0);
		}
		if (rc < 0)
			break; /* those pending will do; with none, the idle timeout */
	}
}

/* A zero-byte read completed: read what is there without a posted buffer. */
static void read_ready(struct connection *c)
{
	char buf[READY_BUF];
	for (;;) {
		ssize_t n = recv(c->core->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				shut(c);
			return;
		}
		if (conn_take(c->core, buf, (size_t)n) < 0)
			shut(c);
		if ((size_t)n < sizeof(buf) || c->closing || c->core->more_len)
			return;
	}
}

/* One receive's bytes, in posting order. */
static void consume(struct connection *c, struct io *r)
{
	int res = r->ov.res;
	if (c->closing)
		return;
	if (res < 0)
		shut(c);
	else if (r->len == 0)
		read_ready(c);
	else if (conn_take(c->core, r->buf, (size_t)res) < 0) /* res 0: EOF */
		shut(c);
}

/* The article's GetNextReadBuffer: hand on receives in sequence order. */
void on_receive(struct connection *c, struct io *r)
{
	struct io **pp = &c->early;
	c->recvs--;
	if (r->seq != c->next_seq) /* completed ahead of its turn: the exit line counts them */
		atomic_fetch_add_explicit(&early_receives, 1, memory_order_relaxed);
	/* LAB iocp-emul: hassle 2: keep early receives sorted by sequence number, hand them on in order */
	while (*pp && (int)((*pp)->seq - r->seq) < 0)
		pp = &(*pp)->next;
	r->next = *pp;
	*pp = r;
	while ((r = c->early) && r->seq == c->next_seq) {
		c->early = r->next;
		c->next_seq++;
		consume(c, r);
		c->rx[r->slot] = NULL;
		free(r);
	}
	/* END LAB iocp-emul (starter: (void)pp; consume(c, r); c->rx[r->slot] = NULL; free(r);) */
}

/* --jitter-us N, for tests: before a worker takes the connection's lock, it
 * blocks a random 0..N us, as one that faults or is descheduled after
 * GetQueuedCompletionStatus; the port runs another worker meanwhile. Another
 * receive of the same connection then often gets the lock first: hassle 2's
 * reordering, made likely on any number of CPUs (the lab's check needs it). */
void jitter(void)
{
	static _Thread_local unsigned seed;
	if (!opts.jitter_us)
		return;
	if (!seed)
		seed = (unsigned)now_ms() ^ (unsigned)(uintptr_t)&seed;
	work_block(rand_r(&seed) % (opts.jitter_us + 1));
}

/* The connection is released (or the server stops): no receive is pending. */
void receives_free(struct connection *c)
{
	for (int i = 0; i < OPT_MAX_PENDING_READS; i++) {
		free(c->rx[i]);
		c->rx[i] = NULL;
	}
	c->early = NULL;
	c->post_seq = c->next_seq = 0;
}

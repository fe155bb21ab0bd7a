/* main.c - the iocp-emul model: Tom R. Dial's Fire web server (Dr. Dobb's,
 * 2007) on an emulated Windows I/O completion port (iocp.h).
 *
 * The model: a fixed array of connection objects, each its own OVERLAPPED,
 * each pre-posting an accept (AcceptEx) on the listening socket; a pool of
 * worker threads (--workers, default 2 x CPUs) loops on iocp_get, and the
 * port lets at most `concurrency` (= CPUs) of them run at once. A completion
 * drives its connection through Fire's states:
 *
 *   WAIT_ACCEPT -> WAIT_REQUEST -> [WAIT_FILE] -> WAIT_TRANSMIT -> WAIT_RESET -> WAIT_ACCEPT
 *                      ^--------- keep-alive, pipelined ------------'
 *
 * WAIT_FILE is the --root file read through the port (Fire's TransmitFile
 * reads and sends in one operation; here the read is its own). WAIT_RESET
 * is a lingering close: shutdown(SHUT_WR), read until the client closes
 * (200 ms at most) so unread input cannot turn our last response into a
 * RST, then the asynchronous close; the object then accepts again.
 *
 * The two thorny IOCP hassles of the CodeProject article are solved by
 * construction: each connection has exactly one operation in flight
 * (`pending`, checked), and a handler issues the next operation as its last
 * act, so one connection's completions can neither be reordered nor handled
 * by two workers at once (package reordering); and the objects live in an
 * array freed only after the workers are joined, so a late completion never
 * finds its context gone (access violation).
 *
 * Cost per connection: one object (~1 KB) for each of --max-conns, plus an
 * 8 KiB input buffer allocated at its first accept and kept; one accept
 * pending in the kernel per idle object. Limits: at most --max-conns
 * (default 10000, below the descriptor limit) clients are served at once;
 * a few more objects (REJECTORS) accept while all are busy and answer 503,
 * so a client beyond the limit gets 503 rather than waiting in the backlog.
 * The idle and head timeout (--idle-ms) is a timeout on each receive and
 * send (the backend's poller cancels what passes its deadline). A worker in
 * --block-us tells the port (work_block's hooks), which releases a waiter.
 *
 * Shutdown: SIGINT/SIGTERM wake the main thread, which posts one exit packet
 * per worker (Fire's COMPLETION_KEY_SHUTDOWN), joins them, closes the port
 * (pending operations are cancelled) and every descriptor, and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "daytime.h"
#include "http.h"
#include "iocp.h"
#include "net.h"
#include "options.h"
#include "serve.h"
#include "server.h"
#include "work.h"

#define KEY_IO       1
#define KEY_SHUTDOWN 2
#define REJECTORS    4 /* objects beyond --max-conns: they answer 503 */
#define LINGER_MS    200
#define IN_CAP       (HTTP_MAX_HEAD + 1) /* one more, so an oversized head is seen */

enum state { WAIT_ACCEPT, WAIT_REQUEST, WAIT_FILE, WAIT_TRANSMIT, WAIT_RESET };

struct connection {
	struct iocp_overlapped ov; /* first: the connection is its OVERLAPPED */
	enum state state;
	_Atomic int pending; /* operations in flight: 0 or 1 */
	int fd;
	int closing;           /* WAIT_RESET: the close itself is in flight */
	long long deadline_ms; /* idle/head timeout, or the end of lingering */
	char *in;              /* request bytes not yet answered */
	size_t in_len;
	struct http_response resp;
	struct iovec iov[2]; /* what is left of resp to send */
	int iovcnt;
	size_t file_off;
};

static struct server_opts opts;
static const char *server_name = "iocp-emul";
static struct iocp_port *port;
static int listen_fd;
static _Atomic int busy; /* objects serving a client */

static void process_input(struct connection *c);

/* ---- issuing operations ----
 * One operation per connection at a time, and issuing it is the handler's
 * last act: its completion may be running on another worker before the call
 * returns. begin() checks the first rule; started() treats an operation the
 * port refused to start as the bug it is. */

static void begin(struct connection *c, enum state next)
{
	c->state = next;
	int was = atomic_fetch_add(&c->pending, 1);
	if (was != 0)
		log_fatal("connection %p: operation issued with %d pending", (void *)c, was);
}

static void started(int rc, const char *what)
{
	if (rc < 0)
		log_fatal("%s: %s", what, strerror(-rc));
}

static int timeout_left(struct connection *c)
{
	long long left = c->deadline_ms - now_ms();
	return left > 0 ? (int)left : 1;
}

static void issue_accept(struct connection *c)
{
	c->fd = -1;
	begin(c, WAIT_ACCEPT);
	started(iocp_accept(port, listen_fd, &c->ov), "accept");
}

static void issue_recv(struct connection *c)
{
	begin(c, WAIT_REQUEST);
	started(
	    iocp_recv(port, c->fd, c->in + c->in_len, IN_CAP - c->in_len, timeout_left(c), &c->ov),
	    "receive");
}

/* Read what is left of the file (a short read reads on). */
static void issue_read(struct connection *c)
{
	struct http_response *r = &c->resp;
	begin(c, WAIT_FILE);
	started(iocp_read(port, r->file_fd, r->body_buf + c->file_off, r->body_len - c->file_off,
			  (off_t)c->file_off, &c->ov),
		"read");
}

/* Send what is left of c->iov: head and body together, in one sendmsg. */
static void issue_send(struct connection *c)
{
	begin(c, WAIT_TRANSMIT);
	started(iocp_send(port, c->fd, c->iov, c->iovcnt, opts.idle_ms, &c->ov), "send");
}

static void transmit(struct connection *c)
{
	c->iovcnt = http_response_iov(&c->resp, c->iov);
	issue_send(c);
}

/* Fire's IssueReset. Graceful (after our last response): stop sending, read
 * what the client still sends until it closes or LINGER_MS pass, then close.
 * Not graceful (EOF, error, timeout): close at once. */
static void issue_reset(struct connection *c, int graceful)
{
	http_response_free(&c->resp);
	c->in_len = 0;
	c->closing = !graceful;
	if (graceful) {
		shutdown(c->fd, SHUT_WR);
		c->deadline_ms = now_ms() + LINGER_MS;
		begin(c, WAIT_RESET);
		started(iocp_recv(port, c->fd, c->in, IN_CAP, timeout_left(c), &c->ov), "receive");
	} else {
		begin(c, WAIT_RESET);
		started(iocp_disconnect(port, c->fd, IOCP_DISCONNECT_CLOSE, &c->ov), "disconnect");
	}
}

/* ---- completions ---- */

static void complete_accept(struct connection *c, int res)
{
	if (res < 0) {
		if (res == -EMFILE || res == -ENFILE) {
			/* Out of descriptors: pause this object, let the others run. */
			iocp_block_begin();
			net_accept_backoff();
			iocp_block_end();
		} else if (res != -ECONNABORTED && res != -EINTR) {
			log_warn("accept: %s", strerror(-res));
		}
		issue_accept(c);
		return;
	}
	if (atomic_fetch_add(&busy, 1) >= opts.max_conns) {
		atomic_fetch_sub(&busy, 1);
		serve_reject(res, server_name); /* over --max-conns: 503 */
		issue_accept(c);
		return;
	}
	c->fd = res;
	if (iocp_associate(port, c->fd, KEY_IO) < 0 || (!c->in && !(c->in = malloc(IN_CAP)))) {
		close(c->fd); /* cannot serve it: drop it, accept the next */
		atomic_fetch_sub(&busy, 1);
		issue_accept(c);
		return;
	}
	net_set_nodelay(c->fd);
	c->in_len = 0;
	c->deadline_ms = now_ms() + opts.idle_ms;
	if (opts.proto == PROTO_DAYTIME) { /* the line is the whole response */
		c->resp.close = 1;
		c->iov[0].iov_base = c->in;
		c->iov[0].iov_len = daytime_format(c->in, IN_CAP);
		c->iovcnt = 1;
		issue_send(c);
		return;
	}
	issue_recv(c);
}

static void complete_recv(struct connection *c, int res)
{
	if (res <= 0) { /* EOF (all that was asked is answered), timeout, error */
		issue_reset(c, 0);
		return;
	}
	c->in_len += (size_t)res;
	process_input(c);
}

/* Answer the first buffered request, or ask for more. */
static void process_input(struct connection *c)
{
	struct http_request req;
	struct http_response *r = &c->resp;
	int n = c->in_len ? http_parse_request(c->in, c->in_len, &req) : HTTP_PARTIAL;

	if (n == HTTP_PARTIAL) {
		issue_recv(c);
		return;
	}
	if (n == HTTP_ERROR) {
		http_error(r, req.status, server_name);
		transmit(c);
		return;
	}
	http_prepare(&req, &opts, r);
	c->in_len -= (size_t)n;
	memmove(c->in, c->in + n, c->in_len); /* pipelined requests wait here */
	work_do(opts.spin_us, opts.block_us);
	if (r->file_fd >= 0 && r->body_len > 0 && iocp_associate(port, r->file_fd, KEY_IO) == 0 &&
	    (r->body_buf = malloc(r->body_len)) != NULL) {
		c->file_off = 0;
		issue_read(c); /* the --root file, through the port */
		return;
	}
	http_read_file(r); /* an empty file; or no memory: 500 */
	http_finish(r, server_name);
	transmit(c);
}

static void complete_read(struct connection *c, int res)
{
	struct http_response *r = &c->resp;
	if (res <= 0) { /* the file shrank or could not be read: 500, and close */
		http_response_free(r);
		http_error(r, 500, server_name);
		transmit(c);
		return;
	}
	c->file_off += (size_t)res;
	if (c->file_off < r->body_len) {
		issue_read(c);
		return;
	}
	close(r->file_fd);
	r->file_fd = -1;
	r->body = r->body_buf;
	http_finish(r, server_name);
	transmit(c);
}

static void complete_send(struct connection *c, int res)
{
	if (res < 0) { /* EPIPE, ECONNRESET, a reader stuck for --idle-ms */
		issue_reset(c, 0);
		return;
	}
	size_t n = (size_t)res;
	int i = 0;
	while (i < c->iovcnt && n >= c->iov[i].iov_len)
		n -= c->iov[i++].iov_len;
	if (i < c->iovcnt) { /* a partial send: send the rest */
		memmove(c->iov, c->iov + i, sizeof(c->iov[0]) * (size_t)(c->iovcnt - i));
		c->iovcnt -= i;
		c->iov[0].iov_base = (char *)c->iov[0].iov_base + n;
		c->iov[0].iov_len -= n;
		issue_send(c);
		return;
	}
	if (c->resp.close) {
		issue_reset(c, 1);
		return;
	}
	http_response_free(&c->resp);
	c->deadline_ms = now_ms() + opts.idle_ms;
	process_input(c); /* the next pipelined request, or a receive */
}

static void complete_reset(struct connection *c, int res)
{
	if (!c->closing) { /* lingering: read on until EOF, an error or the deadline */
		if (res > 0) {
			begin(c, WAIT_RESET);
			started(iocp_recv(port, c->fd, c->in, IN_CAP, timeout_left(c), &c->ov),
				"receive");
			return;
		}
		c->closing = 1;
		begin(c, WAIT_RESET);
		started(iocp_disconnect(port, c->fd, IOCP_DISCONNECT_CLOSE, &c->ov), "disconnect");
		return;
	}
	atomic_fetch_sub(&busy, 1);
	issue_accept(c); /* Fire's CompleteReset: ready for the next client */
}

/* Fire's Connection::OnIoComplete. */
static void on_complete(struct connection *c)
{
	int was = atomic_fetch_sub(&c->pending, 1);
	if (was != 1)
		log_fatal("connection %p: completion with %d pending", (void *)c, was);
	switch (c->state) {
	case WAIT_ACCEPT: complete_accept(c, c->ov.res); break;
	case WAIT_REQUEST: complete_recv(c, c->ov.res); break;
	case WAIT_FILE: complete_read(c, c->ov.res); break;
	case WAIT_TRANSMIT: complete_send(c, c->ov.res); break;
	case WAIT_RESET: complete_reset(c, c->ov.res); break;
	}
}

/* Fire's WorkerProc. */
static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		uint32_t bytes;
		uintptr_t key;
		struct iocp_overlapped *ov;
		iocp_get(port, &bytes, &key, &ov, IOCP_INFINITE);
		if (key == KEY_SHUTDOWN && !ov)
			break;
		if (ov)
			on_complete((struct connection *)ov);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int limit = conn_default_max(0);
	struct model_info m = {
	    .name = server_name,
	    .summary = "Windows I/O completion port semantics emulated over io_uring (epoll "
		       "fallback), worker pool, Fire web server state machine",
	    .workers_help = "worker threads on the port (concurrency = CPUs)",
	    .workers_default = (int)(ncpu > 0 ? 2 * ncpu : 2),
	    .max_conns_default = conn_default_max(10000),
	    .max_conns_limit = limit,
	    .extra_help = "  connection objects = --max-conns + 4 (the extra ones answer 503)\n",
	    .backends = "io_uring (default; falls back to epoll when refused) or epoll",
	};
	char err[256];
	sigset_t stop_set, old_set;

	options_parse(argc, argv, &m, &opts);
	log_init(server_name, opts.quiet);
	if (opts.backend && strcmp(opts.backend, "io_uring") != 0 &&
	    strcmp(opts.backend, "epoll") != 0) {
		fprintf(stderr, "%s: --backend: '%s' is not io_uring or epoll\n", server_name,
			opts.backend);
		return 2;
	}
	server_signals();
	work_set_block_hooks(iocp_block_begin, iocp_block_end);

	/* No --backend: io_uring, or epoll when the kernel refuses io_uring (said on stderr). */
	port = iocp_create_backend(0, opts.backend, err, sizeof(err));
	if (!port)
		log_fatal("cannot create the completion port: %s", err);

	int nconns = opts.max_conns + REJECTORS;
	struct connection *conns = calloc((size_t)nconns, sizeof(*conns));
	pthread_t *workers = calloc((size_t)opts.workers, sizeof(*workers));
	if (!conns || !workers)
		log_fatal("out of memory for %d connections", nconns);

	listen_fd = server_listen(&opts, 0, 0);
	iocp_associate(port, listen_fd, KEY_IO);

	/* Workers inherit SIGINT/SIGTERM blocked: only the main thread takes them. */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);
	for (int i = 0; i < opts.workers; i++) {
		int rc = pthread_create(&workers[i], NULL, worker, NULL);
		if (rc)
			log_fatal("pthread_create: %s", strerror(rc));
	}
	for (int i = 0; i < nconns; i++) {
		http_response_init(&conns[i].resp);
		issue_accept(&conns[i]); /* Fire's Connection constructor */
	}

	fprintf(stderr, "%s: backend %s, %d workers, concurrency %d, %d connections\n", server_name,
		iocp_backend(port), opts.workers, iocp_concurrency(port), opts.max_conns);
	net_announce(opts.addr, opts.port);

	while (!server_stop)
		sigsuspend(&old_set);

	for (int i = 0; i < opts.workers; i++)
		iocp_post(port, 0, KEY_SHUTDOWN, NULL);
	for (int i = 0; i < opts.workers; i++)
		pthread_join(workers[i], NULL);
	iocp_close(port);
	close(listen_fd);
	for (int i = 0; i < nconns; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		http_response_free(&conns[i].resp);
		free(conns[i].in);
	}
	free(conns);
	free(workers);
	log_info("stopped");
	return 0;
}

/* fire.h - the Fire server's objects (main.c), shared with io.c, where its
 * operations are posted and a receive's bytes taken in order (the IOCP
 * article's hassles 1 and 2). The port's own interface is iocp.h.
 */
#ifndef FIRE_H
#define FIRE_H

#include <pthread.h>
#include <stdatomic.h>

#include "conn.h"
#include "iocp.h"
#include "options.h"

#define KEY_IO 1 /* the completion key of every descriptor the server associates */

enum io_kind { IO_ACCEPT, IO_RECV, IO_SEND, IO_FILE };

struct io {                        /* one operation: the article's CIOCPBuffer */
	struct iocp_overlapped ov; /* first: the io is its OVERLAPPED */
	struct connection *c;
	enum io_kind kind;
	unsigned seq;    /* receives: the number given when posted */
	int slot;        /* receives: index in c->rx */
	size_t len;      /* receives: the buffer's size (0: a zero-byte read) */
	struct io *next; /* the list of early receives */
	char *buf;
};

struct connection { /* the article's ClientContext */
	pthread_mutex_t lock;
	struct io accept, send, file;
	struct io *rx[OPT_MAX_PENDING_READS]; /* posted receives, by slot */
	struct conn_loop loop;                /* the core's; one connection each */
	struct conn *core;                    /* NULL while no client */
	int inflight;                         /* operations posted, not completed */
	int recvs;                            /* receives among them */
	unsigned post_seq, next_seq;          /* next to post, next to hand on */
	struct io *early;                     /* completed ahead of next_seq */
	int closing, sending, filing;
	_Atomic long long deadline_ms; /* 0: no client; read by main */
	int accept_paused;             /* EMFILE: main posts the accept at deadline_ms */
};

extern struct server_opts opts;
extern struct iocp_port *port;
extern int listen_fd;
extern _Atomic long zero_fallbacks; /* zero-byte reads posted because of the budget */
extern _Atomic long early_receives; /* receives handled ahead of their turn (hassle 2) */

/* main.c: give up on the client (what is pending completes, then release). */
void shut(struct connection *c);

/* io.c, with c's lock held: post an accept, a send of what the core has queued,
 * a read of the rest of a --root file (CONN_FILE); keep --pending-reads
 * receives posted; take one's completion (in sequence order); free them all
 * when c is released. */
void post_accept(struct connection *c);
void post_send(struct connection *c);
void post_file_read(struct connection *c);
void post_receives(struct connection *c);
void on_receive(struct connection *c, struct io *r);
void receives_free(struct connection *c);
void jitter(void); /* before a completion is handled: --jitter-us */

#endif

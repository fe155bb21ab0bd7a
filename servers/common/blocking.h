/* blocking.h - the one accept loop of the blocking models: iterative, fork,
 * thread, pth, st and uthread.
 *
 * A model says only how a connection gets its own flow of control (its
 * blocking_io's spawn: inline, fork, pthread_create, pth_spawn,
 * st_thread_create, uthread_spawn) and through which calls that flow does
 * its I/O (serve.h's table). Everything else is here, once: admission
 * (--max-conns live connections, 503 beyond), the EMFILE/ENFILE back-off,
 * the stop, the drain ("give connections a second") and the exit line.
 *
 * The stop: the loop waits in io->poll for the non-blocking listener and the
 * stop eventfd (server_stop_fd: readable from the first SIGINT/SIGTERM on,
 * in every process and thread), so it wakes at once; no tick.
 */
#ifndef BLOCKING_H
#define BLOCKING_H

#include "options.h"
#include "serve.h"

/* Connections accepted per wake-up of the listener: the backlog's default,
 * all that is queued (one accept per pass of a user-level scheduler made the
 * 1000th client wait seconds under Pth; ST's 16384 clients saw SYN drops). */
#define BLOCKING_ACCEPT_BATCH OPT_DEFAULT_BACKLOG
#define BLOCKING_PAUSE_MS     10 /* accepting paused after EMFILE/ENFILE */
#define BLOCKING_DRAIN_MS     1000 /* connections' time to finish after the stop */

/* What every blocking model's main() does first: parse the command line
 * (exits 2 on a bad one), log as m->name, set up the stop (server_stop_fd:
 * SIGINT/SIGTERM handled, SIGPIPE ignored), and remember o and io for the
 * loop and for blocking_serve. */
void blocking_start(int argc, char **argv, const struct model_info *m, struct server_opts *o,
		    const struct blocking_io *io);

/* The options blocking_start parsed (a package's I/O reads --idle-ms here). */
extern const struct server_opts *blocking_opts;

/* Accept on the non-blocking listener lfd until the stop, handing each
 * connection to io->spawn (another table than blocking_start's may be given:
 * a pool serves inline). Any number of flows may run it on one listener. */
void blocking_accept(int lfd, const struct blocking_io *io);

/* A connection's flow of control: serve fd (serve_connection), count it out. */
void blocking_serve(int fd);
/* io->spawn that serves right here, in the accepting flow (iterative, pools). */
int blocking_inline(int fd);

/* Live connections: counted in by the loop before io->spawn, out by
 * blocking_serve, or by blocking_conn_done (fork's SIGCHLD handler: it is
 * async-signal-safe). */
int blocking_live(void);
void blocking_conn_start(void);
void blocking_conn_done(void);

/* After the loop: close lfd (stop accepting), then give live connections up
 * to BLOCKING_DRAIN_MS, sleeping with the table's sleep_ms. */
void blocking_drain(int lfd);

/* The exit line (connections refused because spawn failed); returns 0, for
 * main's return. */
int blocking_exit(void);

/* libc's accept side: a blocking connection fd, and nanosleep. */
int blocking_accept_fd(int lfd);
void blocking_sleep_ms(int ms);
/* libc's I/O, each connection served inline by the flow that accepted it:
 * the iterative server, and the thread and fork pools' members. */
extern const struct blocking_io blocking_io_inline;

#endif

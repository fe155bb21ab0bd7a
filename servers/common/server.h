/* server.h - what every model's main() does the same way: logging, signals,
 * the listening socket and the ready line.
 */
#ifndef SERVER_H
#define SERVER_H

#include <signal.h>
#include <stdatomic.h>

#include "clock.h" /* now_ms, now_us: every model has them through server.h */
#include "options.h"

/* Set by SIGINT/SIGTERM; atomic (lock-free, so a handler may store it) because
 * worker threads read it while the main thread's handler writes it. */
extern atomic_int server_stop;

/* SIGINT and SIGTERM set server_stop (no SA_RESTART, so blocking calls
 * return EINTR); SIGPIPE ignored. */
void server_signals(void);
/* The same, and the returned eventfd becomes readable, forever, at the first
 * stop signal, in every thread and (inherited) every child process: the event
 * loops and the blocking models' accept loop (blocking.c) wait for it beside
 * their listener, so a stop needs no polling tick. */
int server_stop_fd(void);
/* *set = {SIGINT, SIGTERM}: to block in threads that must not take them. */
void server_stop_sigset(sigset_t *set);

/* Listen on o->addr:o->port (exits 2 with a message on failure); when o->port
 * is 0, sets it to the port chosen so further listeners (SO_REUSEPORT) share it. */
int server_listen(struct server_opts *o, int reuseport, int nonblock);

/* Logging to stderr, "model: message". log_info is silent under --quiet. */
void log_init(const char *model, int quiet);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));


#endif

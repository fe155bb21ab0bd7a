/* uthread_io.h - the runtime's calls in the shape of the blocking models' I/O table. */
#ifndef UTHREAD_IO_H
#define UTHREAD_IO_H

#include "serve.h"

/* uthread_read, uthread_writev (bounded by --idle-ms), uthread_poll,
 * a non-blocking accept and uthread_sleep_ms; spawn is uthread_server.c's
 * spawn_connection. */
extern const struct blocking_io uthread_io;
int spawn_connection(int fd);

/* --workers schedulers, each a kernel thread (the first the caller's) with
 * its own epoll instance and listener (SO_REUSEPORT when several), running
 * the accept loop in its first user thread and, beside it, a user thread
 * that waits for the stop eventfd and then shuts the listener down (a user
 * thread waits for one descriptor at a time: this wakes the loop). Returns
 * when every scheduler has drained and ended; the blocking pool is stopped. */
void uthread_serve(struct server_opts *o);

#endif

/* thread_io.h - libc's calls in the shape of the blocking models' I/O table,
 * and the thread model's accept side (a pool with --workers). */
#ifndef THREAD_IO_H
#define THREAD_IO_H

#include <pthread.h>

#include "options.h"
#include "serve.h"

#define STACK_KB 256 /* each thread's stack (pthread_attr_setstacksize) */

/* libc's read, writev, poll, accept and nanosleep; spawn is thread.c's
 * spawn_connection, which creates its threads with thread_attr: STACK_KB,
 * detached, SIGINT and SIGTERM blocked (the main thread is interrupted). */
extern const struct blocking_io thread_io;
extern pthread_attr_t thread_attr;
int spawn_connection(int fd);

/* Listen, then run the accept loop on the main thread: a thread per
 * connection (thread_io), or with --workers N a pool of N threads (the main
 * thread and N - 1 more) each serving what it accepts itself; then the
 * drain. */
void thread_serve(struct server_opts *o);

#endif

/* pth_io.h - GNU Pth's calls in the shape of the blocking models' I/O table. */
#ifndef PTH_IO_H
#define PTH_IO_H

#include "serve.h"

/* Pth's read, writev (bounded by --idle-ms) and poll (O(1) for one
 * descriptor), accept and nap; spawn is pth_server.c's spawn_connection. */
extern const struct blocking_io pth_io;
int spawn_connection(int fd);

/* The stop signals reach a Pth server two ways: our handler (the stop
 * eventfd), should Pth's scheduler leave them unblocked, and, since its
 * per-thread masks are not always initialised (under ASan SIGINT stayed
 * blocked and SIGTERM not, and a SIGINT never arrived), a signalfd the
 * accept loop's wait reads beside the listener. Call before pth_init. */
void pth_io_signals(void);

#endif

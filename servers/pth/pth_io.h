/* pth_io.h - GNU Pth's calls in the shape of the blocking models' I/O table. */
#ifndef PTH_IO_H
#define PTH_IO_H

#include "serve.h"

/* Pth's read, writev (bounded by --idle-ms) and poll (O(1) for one
 * descriptor), accept and nap; spawn is pth_server.c's spawn_connection. */
extern const struct blocking_io pth_io;
int spawn_connection(int fd);

#endif

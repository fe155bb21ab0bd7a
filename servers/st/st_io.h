/* st_io.h - State Threads' calls in the shape of the blocking models' I/O table. */
#ifndef ST_IO_H
#define ST_IO_H

#include <st.h>

#include "serve.h"

/* ST's read, writev and poll on each descriptor's st_netfd_t (waiting at
 * most --idle-ms), accept and usleep; spawn is st_server.c's
 * spawn_connection, which opens netfd_of[fd]. */
extern const struct blocking_io st_io;
extern st_netfd_t *netfd_of; /* ST's handle of each descriptor, by fd */
extern int netfd_slots;
int spawn_connection(int fd);

/* The best event system, ST's clock on CLOCK_MONOTONIC, st_init (which
 * raises the soft RLIMIT_NOFILE to the hard limit), the netfd table. */
void st_start(void);

#endif

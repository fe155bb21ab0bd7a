/* net.h - socket helpers in the spirit of Redis' anet.c.
 *
 * Functions return a descriptor or 0 on success and -1 on error, with a
 * message in err (NET_ERR_LEN bytes). They close what they opened on every
 * failure path and retry EINTR.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>

#define NET_ERR_LEN 256

/* Comer's passiveTCPsock done right: socket, SO_REUSEADDR (set here and only
 * here), optional SO_REUSEPORT, bind, listen(backlog). *port_out receives the
 * real port (useful with port 0). nonblock: make the listener O_NONBLOCK;
 * otherwise accept() on it times out every 250 ms (EAGAIN), so a thread
 * blocking in accept() sees its stop flag (iocp-emul's acceptor; the blocking
 * models wait in poll() for the listener and the stop eventfd instead,
 * blocking.c). */
int net_listen(const char *addr, int port, int backlog, int reuseport, int nonblock, int *port_out,
	       char *err);

/* Print the contract's ready line "listening on ADDR:PORT" to stdout and flush. */
void net_announce(const char *addr, int port);

/* Accept one connection. Retries EINTR and ECONNABORTED. Returns the new fd
 * (with TCP_NODELAY set, and O_NONBLOCK when nonblock), or -1 with errno:
 *   EAGAIN         nothing pending (non-blocking), or the 250 ms tick (blocking)
 *   EMFILE/ENFILE  after the reserve-fd trick: the pending connection was
 *                  accepted and closed at once so the backlog drains, and the
 *                  caller should pause accepting briefly (blocking.c's
 *                  BLOCKING_PAUSE_MS, the loops' CONN_PAUSE_MS).
 * Any other errno: the caller logs it and goes on. */
int net_accept(int lfd, int nonblock);

/* Keep one descriptor in reserve for the EMFILE trick (called once by net_listen). */
void net_reserve_fd(void);

int net_set_nonblock(int fd, int on);
int net_set_nodelay(int fd);

#endif

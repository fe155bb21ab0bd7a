/* iterative.c - Comer's iterative server: accept, serve, close, repeat.
 *
 * Model: one thread, one connection at a time, in accept order: the blocking
 * models' accept loop (blocking.c) serving each connection inline. Each
 * connection gets one answer with "Connection: close" (a keep-alive client
 * must not hold the only server) and is closed; the next waits in the listen
 * backlog meanwhile.
 * Cost per connection: nothing beyond the socket; no concurrency at all, so a
 * slow client (or --block-us) delays everyone queued behind it, for up to
 * --idle-ms.
 * Limits: --workers is not accepted; --max-conns has no meaning (one at a time).
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable and interrupt the
 * connection in hand, if any (its wait returns EINTR); exit 0.
 */
#include "blocking.h"
#include "net.h"
#include "server.h"

int main(int argc, char **argv)
{
	static const struct model_info model = {
	    .name = "iterative",
	    .summary = "Comer's iterative server: one connection at a time, in accept order",
	    .workers_default = 1,
	    .max_conns_default = 1,
	    .extra_help = "Every response carries 'Connection: close'.",
	};
	struct server_opts opts;

	blocking_start(argc, argv, &model, &opts, &blocking_io_inline);
	opts.force_close = 1;
	int listen_fd = server_listen(&opts, 0, 1);
	net_announce(opts.addr, opts.port);

	blocking_accept(listen_fd, &blocking_io_inline);
	blocking_drain(listen_fd);
	return blocking_exit();
}

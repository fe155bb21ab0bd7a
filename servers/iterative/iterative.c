/* iterative.c - Comer's iterative server: accept, serve, close, repeat.
 *
 * Model: one thread, one connection at a time, in accept order. Each
 * connection gets one answer with "Connection: close" (a keep-alive client
 * must not hold the only server) and is closed; the next waits in the listen
 * backlog meanwhile.
 * Cost per connection: nothing beyond the socket; no concurrency at all, so a
 * slow client (or --block-us) delays everyone queued behind it, for up to
 * --idle-ms.
 * Limits: --workers is not accepted; --max-conns has no meaning (one at a time).
 * Shutdown: SIGINT/SIGTERM interrupt accept(); the connection in hand, if
 * any, is finished; exit 0.
 */
#include <errno.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"
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

	options_parse(argc, argv, &model, &opts);
	opts.force_close = 1;
	log_init(model.name, opts.quiet);
	server_signals();
	int listen_fd = server_listen(&opts, 0, 0);
	net_announce(opts.addr, opts.port);

	while (!server_stop) {
		int fd = net_accept(listen_fd, 0);
		if (fd >= 0)
			serve_connection(fd, &opts, model.name, &blocking_io_libc);
		else if (errno == EMFILE || errno == ENFILE)
			net_accept_backoff();
	}
	close(listen_fd);
	return 0;
}

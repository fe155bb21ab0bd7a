/* fork.c - a process per connection (the lectures' "fork" server).
 *
 * Model: the parent blocks in accept(); each connection is served by a child
 * process running the shared serve_connection() and exiting. A SIGCHLD handler
 * reaps children with waitpid(-1, WNOHANG) in a loop (saving errno), so none
 * is left a zombie; accept() interrupted by SIGCHLD is simply restarted.
 * With --workers N: N pre-forked children, each blocking in accept() on the
 * shared listener (UNP's prefork server); one that dies is replaced.
 *
 * Cost per connection: fork() (page tables copied, pages shared copy-on-
 * write), a process, exit and reaping; no memory shared after the fork.
 * Limits: --max-conns live children (503 beyond, from the parent). The pid
 * table is scanned linearly by the SIGCHLD handler (fine at these sizes).
 * Shutdown: SIGINT/SIGTERM stop accepting; every child is sent SIGTERM, and
 * after 1.5 s SIGKILL; all are reaped before the parent exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "serve.h"
#include "server.h"

static struct server_opts opts;
static int listen_fd;
static pid_t *kids; /* live children; 0 = free slot */
static int kids_len;
static volatile sig_atomic_t live_kids;

static void on_sigchld(int sig)
{
	/* LAB fork: reap every exited child (a WNOHANG loop), free its slot; keep errno */
	int saved = errno;
	pid_t pid;
	(void)sig;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < kids_len; i++) {
			if (kids[i] == pid) {
				kids[i] = 0;
				live_kids--;
				break;
			}
		}
	}
	errno = saved;
	/* END LAB fork (starter: (void)sig;) */
}

static void sigchld_block(int block)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void child_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigchld_block(0);
}

/* Fork a child running fn(fd); the pid is recorded with SIGCHLD blocked, so
 * the handler always finds it. Returns -1 when fork fails. */
static int spawn(void (*fn)(int), int fd)
{
	/* LAB fork: fork with SIGCHLD blocked; the child runs fn(fd), the parent records it */
	sigchld_block(1);
	pid_t pid = fork();
	if (pid == 0) {
		child_signals();
		fn(fd);
		_exit(0);
	}
	if (pid > 0) {
		for (int i = 0; i < kids_len; i++) {
			if (kids[i] == 0) {
				kids[i] = pid;
				live_kids++;
				break;
			}
		}
	}
	sigchld_block(0);
	return pid < 0 ? -1 : 0;
	/* END LAB fork (starter: (void)fn; (void)fd; return -1;) */
}

static void serve_child(int fd)
{
	close(listen_fd);
	serve_connection(fd, &opts, "fork", &blocking_io_libc);
}

static void prefork_child(int unused)
{
	(void)unused;
	for (;;) {
		int fd = net_accept(listen_fd, 0);
		if (fd >= 0)
			serve_connection(fd, &opts, "fork", &blocking_io_libc);
		else if (errno == EMFILE || errno == ENFILE)
			net_accept_backoff();
	}
}

static void accept_loop(void)
{
	while (!server_stop) {
		int fd = net_accept(listen_fd, 0);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				net_accept_backoff();
			continue; /* EINTR (SIGCHLD or a stop signal): look at server_stop */
		}
		/* LAB fork: the cap: 503 beyond --max-conns live children, else spawn */
		if (live_kids >= opts.max_conns || spawn(serve_child, fd) < 0)
			serve_reject(fd, "fork");
		else
			close(fd);
		/* END LAB fork (starter: serve_connection(fd, &opts, "fork", &blocking_io_libc)) */
	}
}

static void prefork_loop(void)
{
	while (!server_stop) {
		while (live_kids < opts.workers && !server_stop)
			if (spawn(prefork_child, -1) < 0) {
				log_warn("fork: %s", strerror(errno));
				break;
			}
		usleep(50000); /* cut short by SIGCHLD (replace a child) or a stop signal */
	}
}

static void stop_children(void)
{
	long long deadline = now_ms() + 1500;
	sigchld_block(1);
	for (int i = 0; i < kids_len; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	sigchld_block(0);
	while (live_kids > 0 && now_ms() < deadline)
		usleep(5000);
	sigchld_block(1);
	for (int i = 0; i < kids_len; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	}
	sigchld_block(0);
}

int main(int argc, char **argv)
{
	static const struct model_info model = {
	    .name = "fork",
	    .summary = "a child process per connection, reaped by a SIGCHLD handler",
	    .workers_help = "N > 1: N pre-forked children blocking in accept() "
			    "(default 1: fork a child per connection)",
	    .workers_default = 1,
	    .max_conns_default = 4096,
	    .max_conns_limit = 100000,
	};
	struct sigaction sa;

	options_parse(argc, argv, &model, &opts);
	log_init(model.name, opts.quiet);
	server_signals();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	kids_len = opts.workers > 1 ? opts.workers : opts.max_conns;
	kids = calloc((size_t)kids_len, sizeof *kids);
	if (!kids)
		log_fatal("cannot allocate the table of %d children", kids_len);
	listen_fd = server_listen(&opts, 0, 0);
	net_announce(opts.addr, opts.port);

	if (opts.workers > 1)
		prefork_loop();
	else
		accept_loop();
	close(listen_fd);
	stop_children();
	return 0;
}

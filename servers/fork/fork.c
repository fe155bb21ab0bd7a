/* fork.c - a process per connection (the lectures' "fork" server).
 *
 * Model: the parent runs the blocking models' accept loop (blocking.c); each
 * connection is served by a child process running the shared
 * serve_connection() and exiting. A SIGCHLD handler reaps children with
 * waitpid(-1, WNOHANG) in a loop (saving errno), so none is left a zombie,
 * and counts each out of the live connections; the loop's wait interrupted
 * by SIGCHLD simply waits again.
 * With --workers N: N pre-forked children, each running the accept loop on
 * the shared listener and serving what it accepts itself (UNP's prefork
 * server); the parent waits for a SIGCHLD or the stop and replaces a child
 * that died.
 *
 * Cost per connection: fork() (page tables copied, pages shared copy-on-
 * write), a process, exit and reaping; no memory shared after the fork.
 * Limits: --max-conns live children (503 beyond, from the parent). The pid
 * table is scanned linearly by the SIGCHLD handler (fine at these sizes).
 * Shutdown: SIGINT/SIGTERM make the stop eventfd readable, in the parent and
 * (the same eventfd, inherited) in the pre-forked children, whose loops
 * return; the parent closes the listener, gives children up to 1 s to
 * finish, sends the rest SIGTERM and reaps all of them before it exits 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blocking.h"
#include "net.h"
#include "server.h"

static struct server_opts opts;
static int listen_fd;
static pid_t *kids; /* live children; 0 = free slot */
static int kids_len;

static void on_sigchld(int sig)
{
	/* LAB fork: reap every exited child (a WNOHANG loop), free its slot, count it out; keep errno */
	int saved = errno;
	pid_t pid;
	(void)sig;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < kids_len; i++) {
			if (kids[i] == pid) {
				kids[i] = 0;
				blocking_conn_done();
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
	blocking_serve(fd);
}

/* A child per connection; the parent closes its copy of fd. */
static int spawn_connection(int fd)
{
	if (spawn(serve_child, fd) < 0)
		return -1;
	close(fd);
	return 0;
}

static const struct blocking_io fork_io = {
    .read = read, .writev = writev, .poll = poll, .accept = blocking_accept_fd,
    .sleep_ms = blocking_sleep_ms, .spawn = spawn_connection, .spawn_name = "fork",
};

static void prefork_child(int unused)
{
	(void)unused;
	blocking_accept(listen_fd, &blocking_io_inline);
}

/* Keep --workers children; wait for a SIGCHLD (one died) or the stop. */
static void prefork_loop(void)
{
	struct pollfd stop = {.fd = server_stop_fd(), .events = POLLIN};
	sigset_t waiting;
	sigchld_block(1); /* until ppoll: a child that dies meanwhile is not missed */
	sigprocmask(SIG_BLOCK, NULL, &waiting);
	sigdelset(&waiting, SIGCHLD);
	while (!server_stop) {
		while (blocking_live() < opts.workers && !server_stop) {
			blocking_conn_start();
			int failed = spawn(prefork_child, -1);
			sigchld_block(1);
			if (failed) {
				blocking_conn_done();
				log_warn("fork: %s", strerror(errno));
				break;
			}
		}
		ppoll(&stop, 1, NULL, &waiting);
	}
	sigchld_block(0);
}

static void stop_children(void)
{
	sigchld_block(1);
	for (int i = 0; i < kids_len; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGTERM);
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

	blocking_start(argc, argv, &model, &opts, &fork_io);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	kids_len = opts.workers > 1 ? opts.workers : opts.max_conns;
	kids = calloc((size_t)kids_len, sizeof *kids);
	if (!kids)
		log_fatal("cannot allocate the table of %d children", kids_len);
	listen_fd = server_listen(&opts, 0, 1);
	net_announce(opts.addr, opts.port);

	if (opts.workers > 1)
		prefork_loop();
	else
		blocking_accept(listen_fd, &fork_io);
	blocking_drain(listen_fd);
	stop_children();
	return blocking_exit();
}

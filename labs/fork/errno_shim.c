/* errno_shim.c - the fork lab's probe of the student's SIGCHLD handler
 * (LD_PRELOAD, built by labs/lab.py; not part of any server).
 *
 * It wraps sigaction() and signal(): when the server installs a SIGCHLD
 * handler, the shim installs its own in front of it. On each SIGCHLD the
 * shim sets errno to a sentinel, calls the student's handler, and appends
 * one line to the file named by $LAB_ERRNO_LOG: "kept" when errno came back
 * unchanged, "changed N" when the handler left errno = N (the main program
 * would then see a wrong errno after an interrupted call). The real errno is
 * restored afterwards either way, so the probe does not change the server.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENTINEL 0x5eed

static void (*student_handler)(int);
static void (*student_action)(int, siginfo_t *, void *);
static int log_fd = -1;

static void log_line(int changed_to)
{
	char buf[32] = "kept\n";
	size_t n = 5;
	if (changed_to != SENTINEL) {
		char digits[12];
		int d = 0;
		unsigned v = (unsigned)changed_to;
		memcpy(buf, "changed ", 8);
		n = 8;
		do {
			digits[d++] = (char)('0' + v % 10);
			v /= 10;
		} while (v && d < 11);
		while (d)
			buf[n++] = digits[--d];
		buf[n++] = '\n';
	}
	if (log_fd >= 0 && write(log_fd, buf, n) < 0)
		return;
}

static void probe(int sig, siginfo_t *info, void *uc)
{
	int real = errno;
	errno = SENTINEL;
	if (student_action)
		student_action(sig, info, uc);
	else if (student_handler)
		student_handler(sig);
	log_line(errno);
	errno = real;
}

static int (*real_sigaction(void))(int, const struct sigaction *, struct sigaction *)
{
	return (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT,
										 "sigaction");
}

static int install(const struct sigaction *act, struct sigaction *old)
{
	struct sigaction wrapped = *act;
	if (log_fd < 0 && getenv("LAB_ERRNO_LOG"))
		log_fd = open(getenv("LAB_ERRNO_LOG"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (act->sa_flags & SA_SIGINFO) {
		student_action = act->sa_sigaction;
		student_handler = NULL;
	} else {
		student_handler = act->sa_handler;
		student_action = NULL;
	}
	wrapped.sa_flags |= SA_SIGINFO;
	wrapped.sa_sigaction = probe;
	return real_sigaction()(SIGCHLD, &wrapped, old);
}

static int is_function(const struct sigaction *act)
{
	if (act->sa_flags & SA_SIGINFO)
		return act->sa_sigaction != NULL;
	return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig == SIGCHLD && act && is_function(act))
		return install(act, old);
	return real_sigaction()(sig, act, old);
}

sighandler_t signal(int sig, sighandler_t fn)
{
	struct sigaction act, old;
	memset(&act, 0, sizeof act);
	act.sa_handler = fn;
	act.sa_flags = SA_RESTART; /* glibc's signal(): BSD semantics */
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)old.sa_sigaction : old.sa_handler;
}

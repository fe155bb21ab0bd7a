/* test_uring.c - the completion side of the shared state machine (conn.c's
 * conn_take / conn_advance / conn_out_iov / conn_sent, what servers/uring
 * drives) and the uring binary's refusal: with io_uring_setup refused by a
 * seccomp filter (EPERM, ENOSYS), bin/uring exits 1 with one clear line.
 * TAP on stdout. Exit 0 when every case passes (or is skipped), 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn.h"
#include "tap.h"

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(msg, msglen, __VA_ARGS__);                                        \
			return 0;                                                                  \
		}                                                                                  \
	} while (0)

static const char GET[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

static struct server_opts opts = {.addr = "127.0.0.1", .root_fd = -1, .workers = 1,
				  .max_conns = 100, .idle_ms = 10000};

/* A connection over one end of a socketpair (conn_close closes it). */
static struct conn *pair_conn(struct conn_loop *l)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	close(sv[1]);
	conn_loop_init(l, &opts, "test");
	return conn_open(l, sv[0]);
}

/* All of what is queued, as one string; n responses counted by "HTTP/1.1 ". */
static int queued_responses(struct conn *c, size_t *bytes)
{
	struct iovec iov[2];
	int cnt = conn_out_iov(c, iov), n = 0;
	if (cnt == 0)
		*bytes = 0;
	*bytes = 0;
	for (int i = 0; i < cnt; i++) {
		*bytes += iov[i].iov_len;
		for (char *p = iov[i].iov_base; (p = memmem(p, iov[i].iov_len - (size_t)(p - (char *)iov[i].iov_base),
							     "HTTP/1.1 ", 9));
		     p++)
			n++;
	}
	return n;
}

/* Requests held behind a full head buffer are answered once it drains. */
static int case_held(char *msg, size_t msglen)
{
	struct conn_loop l;
	struct conn *c = pair_conn(&l);
	static char many[400 * (sizeof GET - 1)];
	size_t bytes, total = 0;
	EXPECT(c, "a connection, got none");
	for (size_t i = 0; i < 400; i++)
		memcpy(many + i * (sizeof GET - 1), GET, sizeof GET - 1);
	EXPECT(conn_take(c, many, sizeof many) == 0 && c->more_len > 0, "input held beyond the head buffer");
	int answered = 0;
	for (int turn = 0; turn < 1000 && conn_advance(c) == CONN_WRITE; turn++) {
		answered += queued_responses(c, &bytes);
		total += bytes;
		conn_sent(c, bytes);
	}
	EXPECT(answered == 400, "400 pipelined requests answered in order, got %d", answered);
	EXPECT(c->want == CONN_READ && c->more_len == 0 && c->in_len == 0, "then CONN_READ, nothing held");
	conn_close(c);
	return 1;
}

static int case_pipelined(char *msg, size_t msglen)
{
	struct conn_loop l;
	struct conn *c = pair_conn(&l);
	char two[2 * sizeof GET];
	size_t bytes;
	EXPECT(c, "a connection, got none");
	snprintf(two, sizeof two, "%s%s", GET, GET);
	EXPECT(conn_take(c, two, strlen(two)) == 0 && c->more_len == 0, "all bytes taken");
	EXPECT(conn_advance(c) == CONN_WRITE, "CONN_WRITE after two requests, got %d", c->want);
	EXPECT(queued_responses(c, &bytes) == 2, "two responses queued in one send");
	conn_sent(c, 10); /* a partial send */
	size_t left;
	queued_responses(c, &left);
	EXPECT(left == bytes - 10, "%zu bytes left after 10 of %zu sent, got %zu", bytes - 10, bytes, left);
	conn_sent(c, left);
	EXPECT(queued_responses(c, &left) == 0 && left == 0, "nothing left to send");
	EXPECT(conn_advance(c) == CONN_READ, "CONN_READ once sent, got %d", c->want);
	EXPECT(conn_take(c, NULL, 0) == 0 && conn_advance(c) == CONN_CLOSE, "EOF: CONN_CLOSE");
	conn_close(c);
	return 1;
}

static int case_partial_and_full(char *msg, size_t msglen)
{
	struct conn_loop l;
	struct conn *c = pair_conn(&l);
	static char big[HTTP_MAX_HEAD + 100];
	size_t bytes;
	EXPECT(c, "a connection, got none");
	const char *start = "GET / HTTP/1.1\r\nX: ";
	size_t n0 = strlen(start);
	EXPECT(conn_take(c, start, n0) == 0 && conn_advance(c) == CONN_READ, "half a head: CONN_READ");
	memset(big, 'a', sizeof big);
	EXPECT(conn_take(c, big, sizeof big) == 0, "the bytes taken");
	EXPECT(c->in_len == sizeof c->in && c->more_len == n0 + sizeof big - sizeof c->in,
	       "the head buffer full (%zu of %zu) and %zu held behind it, got %zu", c->in_len, sizeof c->in,
	       n0 + sizeof big - sizeof c->in, c->more_len);
	EXPECT(conn_advance(c) == CONN_WRITE, "an oversized head: an error to send");
	EXPECT(queued_responses(c, &bytes) == 1, "one response");
	struct iovec iov[2];
	conn_out_iov(c, iov);
	EXPECT(strncmp(iov[0].iov_base, "HTTP/1.1 431", 12) == 0, "431, got %.12s", (char *)iov[0].iov_base);
	EXPECT(c->more_len == 0, "what was held dropped once closing");
	EXPECT(conn_take(c, big, 100) == 0 && c->in_len == 0 && c->more_len == 0,
	       "while closing, input is dropped");
	conn_close(c);
	return 1;
}

/* ---- the refusal ---- */

static void refused_case(int err, const char *errname)
{
	char name[128], exe[PATH_MAX], said[1024] = "";
	int fds[2], status = -1;
	snprintf(name, sizeof name, "uring with io_uring refused (%s): exit 1, one line saying so", errname);
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 16);
	if (k <= 0 || pipe(fds) < 0) {
		tap_check(0, name, "expected readlink and pipe to work");
		return;
	}
	exe[k] = '\0';
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/../uring", dirname(exe)); /* BIN/tests/test_uring -> BIN/uring */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_filter f[] = {
		    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(77);
		dup2(fds[1], 2);
		close(fds[0]);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(path, "uring", "-p", "0", (char *)NULL);
		_exit(76);
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof said - 1 && (n = read(fds[0], said + got, sizeof said - 1 - got)) > 0)
		got += (size_t)n;
	said[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	char *nl = strchr(said, '\n');
	int one_line = nl && nl[1] == '\0';
	if (code == 77) {
		tap_skip(name, "seccomp unavailable");
		return;
	}
	if (nl && !one_line)
		*nl = '\0';
	tap_check(code == 1 && one_line && strstr(said, "io_uring unavailable") && strstr(said, strerror(err)),
		  name,
		  "expected exit 1 and one line 'uring: io_uring unavailable: ... %s', got exit %d "
		  "(76: exec %s failed), stderr '%s'%s",
		  strerror(err), code, path, said, one_line || !nl ? "" : " (and more lines)");
}

static void run_case(const char *name, int (*fn)(char *, size_t))
{
	char msg[512] = "";
	int ok = fn(msg, sizeof msg);
	tap_check(ok, name, "expected %s", msg);
}

int main(void)
{
	opts.max_conns = 100;
	run_case("completion side: two pipelined requests, one send, a partial send resumed, EOF",
		 case_pipelined);
	run_case("completion side: 400 pipelined requests held beyond the head buffer all answered",
		 case_held);
	run_case("completion side: a full head buffer takes what fits; an oversized head gets 431",
		 case_partial_and_full);
	refused_case(EPERM, "EPERM");
	refused_case(ENOSYS, "ENOSYS");
	return tap_done();
}

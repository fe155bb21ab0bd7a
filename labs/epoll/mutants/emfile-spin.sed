# Its own accept loop, without the reserve fd and without pausing: on EMFILE the connection stays in
# the backlog, the level-triggered listener stays readable, and the loop spins at 100% CPU.
# file: epoll.c
# expect: EMFILE under a 64-fd limit
# hint: take it out of the epoll set
/#include <sys\/epoll.h>/a #include <sys/socket.h>
/^static void \*reactor_run(void \*arg)$/i\
static void accept_all(struct reactor *r) /* until accept fails; on EMFILE: try again later */\
{\
	int fd;\
	while ((fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {\
		struct conn *c = conn_open(&r->loop, fd);\
		if (c)\
			admit(&r->loop, c);\
	}\
}\

s|if (conn_accept_batch(&r->loop, r->lfd, 0, admit))|accept_all(r);|
s|^\t*pause_accepting(r, 1);$|\t\t\t\t\t(void)pause_accepting;|

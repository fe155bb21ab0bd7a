# A select-era table of FD_SETSIZE (1024) connection slots: a connection whose fd does not fit is closed.
# file: epoll.c
# expect: fds past 1024
# hint: FD_SETSIZE
/#include <sys\/epoll.h>/a #include <sys/select.h>
/LAB epoll: close, or watch/a\	if (c->fd >= FD_SETSIZE) { /* no slot for it */\n\t\tconn_close(c);\n\t\treturn;\n\t}

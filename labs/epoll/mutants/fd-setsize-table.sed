# A select-era limit: a descriptor at or above FD_SETSIZE (1024) is refused, so its connection is closed.
# file: epoll.c
# expect: fds past 1024
# hint: FD_SETSIZE
/#include <sys\/epoll.h>/a #include <sys/select.h>
/LAB epoll: watch fd/a\	if (fd >= FD_SETSIZE) /* no slot for it */\n\t\treturn -1;

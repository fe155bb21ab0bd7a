# epoll_wait without a timeout: nothing wakes the loop to close an idle connection.
# file: epoll.c
# expect: an idle keep-alive connection is closed
# hint: the epoll_wait timeout
s|epoll_wait(s->epfd, s->ev, max, timeout_ms)|epoll_wait(s->epfd, s->ev, max, -1)|

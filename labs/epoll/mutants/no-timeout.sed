# epoll_wait without a timeout: nothing wakes the loop to close an idle connection.
# file: epoll.c
# expect: an idle keep-alive connection is closed
# hint: the epoll_wait timeout
s|int wait_ms = conn_next_wait_ms(&r->loop, now, r->paused_until);|int wait_ms = -1;|

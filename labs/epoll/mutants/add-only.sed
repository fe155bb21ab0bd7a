# Always EPOLL_CTL_ADD: a connection that switches from EPOLLIN to EPOLLOUT gets EEXIST, and the loop
# drops it, so a response larger than the socket buffer never finishes.
# file: epoll.c
# expect: 8 MiB to a slow reader
# hint: EPOLL_CTL_MOD
s|\*slot ? EPOLL_CTL_MOD : EPOLL_CTL_ADD|EPOLL_CTL_ADD|

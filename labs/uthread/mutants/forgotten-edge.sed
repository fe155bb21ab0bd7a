# An edge that arrives while the thread runs is not remembered: edge-triggered epoll reports it once, and
# the thread then waits for one that already passed.
# file: uthread.c
# expect: unit:test_uthread
# hint: remember the edge in fd_ready
/^\tu->fd_ready |= got;$/d

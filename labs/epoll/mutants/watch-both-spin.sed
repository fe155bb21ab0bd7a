# Every fd watched for EPOLLIN and EPOLLOUT at once: an idle connection's socket is always writable,
# so every epoll_wait returns at once and the loop spins at 100% CPU while nothing happens.
# file: epoll.c
# expect: EMFILE under a 64-fd limit
# hint: only what it wants
s/\.events = mask & RW_READ ? EPOLLIN : EPOLLOUT/.events = EPOLLIN | EPOLLOUT/

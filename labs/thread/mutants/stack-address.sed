# The fd handed to the new thread by address, on the accepting thread's stack: the next accept
# overwrites it before the thread reads it, so two threads serve one fd and a client waits forever.
# file: thread.c
# expect: 200 concurrent keep-alive connections
# hint: the argument you pass to pthread_create
s/connection_thread, (void \*)(intptr_t)fd);/connection_thread, \&fd);/
s/blocking_serve((int)(intptr_t)arg);/blocking_serve(*(int *)arg);/

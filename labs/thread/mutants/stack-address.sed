# The fd handed to the new thread by address, on the accepting thread's stack: the next accept
# overwrites it before the thread reads it, so two threads serve one fd and a client waits forever.
# file: thread.c
# expect: 200 concurrent keep-alive connections
# hint: the argument you pass to pthread_create
s/int \*arg = malloc(sizeof \*arg);/int *arg = \&fd;/
/^\t*free(arg);$/d

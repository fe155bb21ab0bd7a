# The accepting thread runs the connection itself instead of creating a thread for it: one connection
# at a time, so a client that never finishes its head stops everyone (Comer's iterative server).
# file: thread.c
# expect: one client that never finishes its head
# hint: served one at a time
s/errno = pthread_create(&tid, &thread_attr, connection_thread, (void \*)(intptr_t)fd);/connection_thread((void *)(intptr_t)fd); \/* serve it right here *\/\n\t(void)tid;\n\terrno = 0;/

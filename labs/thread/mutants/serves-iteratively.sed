# The accepting thread runs the connection itself instead of creating a thread for it: one connection
# at a time, so a client that never finishes its head stops everyone (Comer's iterative server).
# file: thread.c
# expect: one client that never finishes its head
# hint: served one at a time
s/int err = pthread_create(&tid, &attr, connection_thread, arg);/int err = 0; \/* serve it right here *\/\n\t(void)tid;\n\tconnection_thread(arg);/

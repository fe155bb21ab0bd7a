# The waiter is handed a packet and counted as running, but never signalled: it sleeps on until its
# timeout (or for ever), a lost wakeup.
# file: iocp.c
# expect: unit:test_iocp
# hint: no waiter woke up
/^\t\tsem_post(&w->sem);$/d

# The ready queue as a stack: the thread that yielded runs again at once; the others wait.
# file: uthread.c
# expect: unit:test_uthread
# hint: push at the tail
/^static void ready_push(/,/^}/s/^\tlist_append(&s->ready, &u->link);$/\tlist_insert_after(\&s->ready, \&u->link); \/* newest first *\//

# The ready queue as a stack: the thread that yielded runs again at once; the others wait.
# file: uthread.c
# expect: unit:test_uthread
# hint: push at the tail
/^static void ready_push(/,/^}/{
/^\tu->next = NULL;$/,/^\ts->ready_tail = u;$/c\
	u->next = s->ready_head; /* newest first */\
	s->ready_head = u;\
	if (!s->ready_tail)\
		s->ready_tail = u;
}

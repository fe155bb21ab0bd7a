# Packets pushed at the head: the newest completion is handed out first (a stack, not a queue).
# file: iocp.c
# expect: unit:test_iocp
# hint: look at queue_push()
/^\tpk->next = NULL;$/,/^\tp->tail = pk;$/c\
	pk->next = p->head; /* newest first */\
	p->head = pk;\
	if (!p->tail)\
		p->tail = pk;

# Package reordering (the article's hassle 2): receives handed to the parser in the order their
# completions were handled, not the order they were posted; no sequence numbers, no early list.
# file: io.c
# expect: 3 pipelined requests split at every byte boundary
# hint: package reordering
/^\twhile (\*pp && (int)((\*pp)->seq - r->seq) < 0)$/,/^\t}$/c\
	(void)pp;\
	c->next_seq++;\
	consume(c, r);\
	c->rx[r->slot] = NULL;\
	free(r);

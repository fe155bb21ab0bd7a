# The concurrency value ignored: every waiting thread is released, however many already run.
# file: iocp.c
# expect: unit:test_iocp
# hint: running >= concurrency
s/while (p->head \&\& p->waiters \&\& p->running < p->concurrency) {/while (p->head \&\& p->waiters) {/
s/if (p->head \&\& p->running < p->concurrency) {/if (p->head) {/

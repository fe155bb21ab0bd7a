# work_block's hook does nothing: the blocking call runs on the scheduler's kernel thread and stalls
# every user thread of that scheduler.
# file: uthread.c
# expect: unit:test_uthread
# hint: leave its scheduler
/^void uthread_block_begin(void)$/,/^}/s/^\tu->state = T_TO_POOL;$/\treturn; \/* block right here *\//

"""checks.py - the uthread lab's checks (see labs/checks.py for what a check is)."""

from checks import basics, Lab, check, slow_client_blocks_nobody, own

UNIT_HINTS = [
    ("switch", "look at ready_push() and ready_pop(): a thread that yields goes to the tail of a FIFO (push "
               "at the tail, pop at the head), so the others run before it runs again"),
    ("FIFO", "look at ready_push() and ready_pop(): a FIFO, push at the tail, pop at the head"),
    ("fd wait", "look at fd_event(): remember the edge in fd_ready, and wake the thread if it waits for it"),
    ("offload", "look at uthread_block_begin(): the thread must leave its scheduler (T_TO_POOL, suspend) so "
                "the scheduler runs the others while the call blocks on a pool kernel thread"),
]


def uthread_checks():
    h = ("look at fd_event(): a thread waiting for its fd must be woken by the edge, and an edge that came "
         "while it ran must be remembered (fd_ready) or the thread waits for one that already passed")
    return [
        *basics(h),
        check("16 pipelined requests", h),
        check("8 MiB to a slow reader", "look at fd_event(): a thread waiting for EPOLLOUT must be woken"),
        own("one client that never finishes its head does not stop a second client", slow_client_blocks_nobody, h),
        check("concurrent clients all served", h),
        check("an idle keep-alive connection is closed after --idle-ms", "look at the timers: a wait with a "
              "timeout must wake when it expires"),
        check("5000 concurrent keep-alive connections", h, quick=False),
    ]


LAB = Lab("uthread", "uthread", "ousterhout", uthread_checks, unit="test_uthread", unit_hints=UNIT_HINTS)

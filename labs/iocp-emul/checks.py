"""checks.py - the iocp-emul lab's checks (see labs/checks.py for what a check is)."""

from checks import basics, Lab, check


IOCP_UNIT_HINTS = [
    ("FIFO", "look at queue_push(): append at the tail; queue_pop() takes the oldest from p->head"),
    ("LIFO", "look at release_waiters() and iocp_get(): the newest waiter (top of p->waiters) gets the packet; "
             "'thread -1' means no waiter woke up: is it woken (sem_post) once released?"),
    ("shuts the pool down", "look at release_waiters(): every posted packet must wake a waiter "
                            "(sem_post after released = 1)"),
    ("blocking", "look at iocp_block_begin(): a thread that blocks stops counting as running, and "
                 "release_waiters() may then wake a waiter"),
    ("concurrency", "look at release_waiters() and iocp_get()'s fast path: no packet goes out while "
                    "running >= concurrency"),
    ("", "look at release_waiters(): a released waiter must be signalled (a lost wakeup leaves it asleep "
         "with a packet); and at queue_push()"),
]


def iocp_checks():
    h = ("look at queue_push() and release_waiters(): a completion (an accept, a receive) is a packet "
         "queued and handed to a waiting worker")
    return [
        *basics(h, ("--backend", "epoll")),
        check("concurrent clients all served", h, variant=("--backend", "epoll")),
        check("GET / -> 200 with body", h, variant=("--backend", "io_uring")),
        check("1 MiB to a slow reader", h, variant=("--backend", "io_uring"), quick=False),
        *[check("3 pipelined requests split at every byte boundary",
                "package reordering (hassle 2): look at on_receive(): with several receives posted, workers "
                "handle their completions in any order; keep early ones sorted by sequence number and hand "
                "the core only c->next_seq",
                variant=("--backend", b, "--pending-reads", "8", "--workers", "8", "--jitter-us", "200"),
                quick=False) for b in ("io_uring", "epoll")],
        check("resets while 4 receives are pending",
              "the access violation (hassle 4): look at drive() and release(): a connection may be reused "
              "only when its last operation has completed (c->inflight == 0)", quick=False),
        check("SIGTERM: exit 0 within 2 s", "look at release_waiters(): shutdown posts one packet per worker; "
              "each must wake one", variant=("--backend", "epoll"), quick=False),
    ]


LAB = Lab("iocp-emul", "iocp-emul", "blocking", iocp_checks, unit="test_iocp",
          unit_hints=IOCP_UNIT_HINTS)

"""checks.py - the epoll lab's checks (see labs/checks.py for what a check is)."""

from lib import expect, tally_text
from checks import basics, GET_KEEP, Lab, check, half_request_blocks_nobody, own


def fds_past_1024(ctx):
    s = ctx.start_default()
    crowd = ctx.crowd(1100, s.port)
    crowd.connect(timeout=20)
    crowd.exchange(GET_KEEP, timeout=15)
    bad = [i for i, r in enumerate(crowd.results) if not (r and r[0] == "ok" and r[1] == 200)]
    late = [i for i in bad if i >= 1000]
    expect(not bad, "all 1100 keep-alive connections answered 200 (the server's fds pass 1024)",
           "%d not answered, %d of them among the last 100 (fd > 1024): %s" % (
               len(bad), len(late), tally_text(crowd.tally())))


def epoll_checks():
    h_loop = ("look at api_watch() and api_wait(): watch registers the fd (ADD the first time, MOD after), "
              "and wait reports the data pointer of every ready fd (epoll_event.data.ptr)")
    h_idle = ("look at the epoll_wait timeout in api_wait(): wait no longer than timeout_ms (the loop's "
              "earliest deadline), or nothing wakes the loop to close an idle connection")
    return [
        *basics(h_loop),
        check("request sent byte by byte", h_loop + " (a partial head is read again at the next readiness)"),
        check("16 pipelined requests", h_loop),
        check("8 MiB to a slow reader", "look at api_watch(): a connection that wants to WRITE must be watched "
              "for EPOLLOUT, then back to EPOLLIN: EPOLL_CTL_MOD on a registered fd (ADD gives EEXIST)"),
        own("a client stalled mid-request does not hold up the next", half_request_blocks_nobody, h_loop),
        check("an idle keep-alive connection is closed after --idle-ms", h_idle),
        check("a half-sent head is closed after --idle-ms", h_idle),
        check("EMFILE under a 64-fd limit", "look at api_watch() and api_unwatch(): watch each fd for only what it "
              "wants (an idle socket is always writable), and on EMFILE, when the loop pauses accepting, "
              "take the level-triggered listener out of the epoll set (EPOLL_CTL_DEL)"),
        own("1100 keep-alive connections: fds past 1024 (FD_SETSIZE) served", fds_past_1024,
            "look for a fixed table of FD_SETSIZE (1024) slots or a check against FD_SETSIZE: epoll has no "
            "such limit, only the fd limit"),
        check("5000 concurrent keep-alive connections", "look at the limits: no fixed-size table, "
              "--max-conns is the only cap", quick=False),
        check("--max-conns 10 with 20 connections", "look at api_watch(): the loop answers 503 beyond "
              "--max-conns; an admitted connection must be watched", quick=False),
    ]


LAB = Lab("epoll", "epoll", "seda", epoll_checks)

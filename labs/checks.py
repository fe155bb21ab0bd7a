"""checks.py - what each lab's checker runs: a table per lab of checks, each a case of
the suite (tests/conformance.py, tests/robustness.py) or one of the lab's own below,
with the hint a student gets when it fails ("look at ...").

A check: (name, case, hint, variant, quick). variant = extra server flags (the pool:
["--workers", "4"]); quick = part of the short selection `make test` runs on the
reference and the starter. The first check of a lab is the smoke test: when the server
does not answer a plain GET, the checks after it are reported as not run.
"""

import importlib.util
import os
import time

import lib
import conformance
import robustness
from lib import Case, CaseFail, expect, request_bytes, tally_text

GET_CLOSE = request_bytes("GET", "/", headers=["Connection: close"])
GET_KEEP = request_bytes("GET", "/")
HERE = os.path.dirname(os.path.abspath(__file__))


class Check:
    def __init__(self, case, hint, variant=(), quick=True):
        self.case = case
        self.name = case.name + (" [%s]" % " ".join(variant) if variant else "")
        self.hint = hint
        self.variant = list(variant)
        self.quick = quick


def suite(name):
    """The suite's case whose name starts with `name` (a renamed case fails the self-test)."""
    for case in conformance.CASES + robustness.CASES:
        if case.name.startswith(name):
            return case
    raise KeyError("no case named %r in tests/conformance.py or tests/robustness.py" % name)


def check(name, hint, variant=(), quick=True):
    return Check(suite(name), hint, variant, quick)


def own(name, fn, hint, variant=(), quick=True, server=None):
    return Check(Case(name, fn, server=server), hint, variant, quick)


def basics(hint, variant=()):
    """The first checks of every server: a plain GET (the smoke test) and keep-alive."""
    return [check("GET / -> 200 with body", hint, variant), check("HTTP/1.1 keep-alive: 3 requests", hint, variant)]


# ---------------------------------------------------------------- shared own checks

SLOW_IDLE_MS = 6000


def slow_client_blocks_nobody(ctx):
    """Comer's point (issue 18): one client that never finishes its request head must not stop a second
    client; the second is answered well before --idle-ms would close the first."""
    s = ctx.start_default("--idle-ms", str(SLOW_IDLE_MS))
    slow = ctx.conn(s.port)
    slow.send(b"GET / HTTP/1.1\r\nHost: x\r\nUser-Ag")       # a head that never ends
    time.sleep(0.2)
    limit_s = lib.scaled(1.5)
    c = ctx.conn(s.port, timeout=1.5)       # lib.Conn scales it (scaled twice: 6 s under ASan, past --idle-ms)
    started = time.monotonic()
    c.send(GET_CLOSE)
    try:
        r = c.read_response()
    except CaseFail:
        raise CaseFail("expected the second client answered within %.1f s while a slow client holds an unfinished "
                       "head (--idle-ms %d), got no answer: connections are served one at a time, as by the "
                       "iterative server, so every client waits behind the slow one until --idle-ms closes it"
                       % (limit_s, SLOW_IDLE_MS))
    waited = time.monotonic() - started
    expect(r.status == 200, "200 for the second client", r.status)
    expect(waited < SLOW_IDLE_MS / 2000.0, "the second client answered well before --idle-ms (%d ms)" % SLOW_IDLE_MS,
           "after %.1f s: it waited behind the slow client" % waited)


half_request_blocks_nobody = slow_client_blocks_nobody   # the name the epoll lab imports


def crowd_each_answered(n):
    """n keep-alive connections at once, each with its own request: every one answered on its own
    connection (a thread that serves the wrong fd leaves another client waiting)."""
    def fn(ctx):
        s = ctx.start_default()
        crowd = ctx.crowd(n, s.port)
        crowd.connect()
        crowd.exchange(GET_KEEP, timeout=4)
        t = crowd.tally()
        expect(t.get("200", 0) == n, "each of %d concurrent connections answered 200 on its own connection "
               "within %.0f s" % (n, lib.scaled(4)),
               tally_text(t))
    return fn


class Lab:
    def __init__(self, name, model, experiment, checks, unit=None, unit_hints=()):
        self.name = name
        self.model = model            # servers/<model>/, bin/<model>
        self.experiment = experiment  # lab-bench: harness/runner.py --experiments
        self.checks = checks          # a function: the table is built when the lab is used
        self.unit = unit              # a unit test built against the student's files
        self.unit_hints = unit_hints  # (substring of a unit case's name, hint), first match wins

    def model_dir(self, root):
        return os.path.join(root, "servers", self.model)


def discover():
    """Every labs/<lab>/checks.py that defines LAB: a new lab is a folder (and markers in its model)."""
    labs = []
    for name in sorted(os.listdir(HERE)):
        path = os.path.join(HERE, name, "checks.py")
        if not os.path.isfile(path):
            continue
        spec = importlib.util.spec_from_file_location("lab_" + name.replace("-", "_"), path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        labs.append(mod.LAB)
    return labs


LABS = discover()


def find(name):
    for lab in LABS:
        if lab.name == name:
            return lab
    return None

#!/usr/bin/env python3
"""fuzz.py - run the libFuzzer targets of tests/fuzz/ (`make fuzz`, and the `fuzz` part of
tests/run_tests.py).

    python3 tests/fuzz/fuzz.py [--seconds N] [--jobs] [TARGET ...]

Each target bin/fuzz/fuzz_<target> (built by `make fuzz-build`, clang, ASan + UBSan) runs
for N seconds, one after another, on a working corpus (build/fuzz/corpus/<target>/, kept
between runs) seeded from the committed tests/fuzz/corpus/<target>/, with the target's
dictionary. A crash is written to tests/fuzz/findings/<target>/ (ignored by git) and
printed with the command that reproduces it. One line per target:
"<target>: N executions in S s (E exec/s), no crash" or "... CRASH: <file>". Exit 1 if
any target crashed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGETS = ["request", "resp", "options"]
DICTS = {"request": "http.dict", "resp": "http.dict", "options": "options.dict"}


class Result:
    def __init__(self, target):
        self.target = target
        self.execs = None
        self.exec_s = None
        self.seconds = None
        self.crash = None       # path of the crashing input
        self.error = None       # why it did not run (or died without a crash file)
        self.log = None

    def ok(self):
        return self.crash is None and self.error is None

    def line(self):
        runs = "%s executions in %s s (%s exec/s)" % (
            self.execs if self.execs is not None else "?", self.seconds if self.seconds is not None else "?",
            self.exec_s if self.exec_s is not None else "?")
        if self.crash:
            return "%s: CRASH after %s: %s\n    reproduce: %s %s\n    log: %s" % (
                self.target, runs, rel(self.crash), rel(binary(self.target)), rel(self.crash), rel(self.log))
        if self.error:
            return "%s: FAILED: %s (log: %s)" % (self.target, self.error, rel(self.log) if self.log else "-")
        return "%s: %s, no crash" % (self.target, runs)


def rel(path):
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return path


def fuzz_bin():
    return os.environ.get("FUZZ_BIN") or os.path.join(ROOT, "bin", "fuzz")


def binary(target):
    return os.path.join(fuzz_bin(), "fuzz_" + target)


def missing_reason(target):
    """None when the target is built, else why not (for a skip line)."""
    if os.access(binary(target), os.X_OK):
        return None
    if not shutil.which(os.environ.get("FUZZ_CC", "clang")):
        return "clang not found (make deps installs clang and libclang-rt-14-dev)"
    return "%s not built (make fuzz-build; it needs clang's libFuzzer, libclang-rt-14-dev)" % rel(binary(target))


def parse_log(res, text):
    m = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    if m:
        res.execs = int(m[-1])
    m = re.findall(r"stat::average_exec_per_sec:\s*(\d+)", text)
    if m:
        res.exec_s = int(m[-1])
    m = re.findall(r"Done (\d+) runs in (\d+) second", text)
    if m:
        res.execs = res.execs or int(m[-1][0])
        res.seconds = int(m[-1][1])
    if res.execs is None:   # a crash: the last status line says how far it got
        m = re.findall(r"^#(\d+)\s.*exec/s: (\d+)", text, re.M)
        if m:
            res.execs, res.exec_s = int(m[-1][0]), int(m[-1][1])
    m = re.findall(r"Test unit written to (\S+)", text)
    if m:
        res.crash = m[-1]


def run(target, seconds, corpus=None, jobs=False, timeout=None, work=None):
    """Run one target for `seconds`; returns a Result. corpus: the working corpus
    (default build/fuzz/corpus/<target>); the committed seeds are read, never written.
    work: where its log and scratch files go (default build/fuzz/<target>); a crash's
    log is copied beside the crash file."""
    res = Result(target)
    why = missing_reason(target)
    if why:
        res.error = why
        return res
    work = work or os.path.join(ROOT, "build", "fuzz", target)
    corpus = corpus or os.path.join(ROOT, "build", "fuzz", "corpus", target)
    findings = os.path.join(HERE, "findings", target)
    tmp = os.path.join(work, "tmp")
    for d in (work, corpus, findings, tmp):
        os.makedirs(d, exist_ok=True)
    argv = [binary(target), "-max_total_time=%d" % seconds, "-timeout=10", "-print_final_stats=1",
            "-artifact_prefix=%s/" % findings, "-dict=%s" % os.path.join(HERE, DICTS[target]),
            corpus, os.path.join(HERE, "corpus", target)]
    if jobs:
        argv.insert(1, "-jobs=1")
    res.log = os.path.join(work, "fuzz-0.log" if jobs else "fuzz.log")
    env = dict(os.environ, TMPDIR=tmp)
    with open(os.path.join(work, "fuzz.log"), "wb") as log:
        try:
            p = subprocess.run(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                               timeout=timeout or seconds * 3 + 60)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = None
    text = ""
    for name in {"fuzz.log", os.path.basename(res.log)}:
        with open(os.path.join(work, name), "rb") as f:
            text += f.read().decode("utf-8", "replace")
    parse_log(res, text)
    if res.crash and os.path.exists(res.crash):
        shutil.copyfile(res.log, res.crash + ".log")
        res.log = res.crash + ".log"
    if res.seconds is None and res.execs is not None and not res.crash:
        res.seconds = seconds
    if rc is None:
        res.error = "still running after %d s (killed)" % (seconds * 3 + 60)
    elif rc != 0 and not res.crash:
        res.error = "exit status %d without a crash file" % rc
    shutil.rmtree(tmp, ignore_errors=True)
    return res


def main(argv):
    ap = argparse.ArgumentParser(description="Run the libFuzzer targets one after another.")
    ap.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    ap.add_argument("--jobs", action="store_true", help="run each as libFuzzer -jobs=1 (log: fuzz-0.log)")
    ap.add_argument("targets", nargs="*", default=TARGETS, help="default: %s" % " ".join(TARGETS))
    args = ap.parse_args(argv)
    bad = [t for t in args.targets if t not in TARGETS]
    if bad:
        ap.error("unknown target(s) %s; known: %s" % (", ".join(bad), ", ".join(TARGETS)))
    failed = 0
    for t in args.targets:
        print("fuzz: running %s for %d s ..." % (t, args.seconds), flush=True)
        res = run(t, args.seconds, jobs=args.jobs)
        print(res.line(), flush=True)
        failed += not res.ok()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

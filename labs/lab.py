#!/usr/bin/env python3
"""lab.py - the course labs: starters generated from the reference servers, a checker,
a QUICK benchmark beside the reference, and the tarball an instructor hands out.

    lab.py starters                       build/labs/<lab>/starter/ for every lab
    lab.py check LAB SRC [--quick] [--only S] [--fail-fast] [--out DIR]
                                          build SRC (a student's servers/<model>/) and check it
    lab.py bench LAB SRC                  the lab's experiment, QUICK, student beside reference
    lab.py dist LAB                       build/labs/<lab>.tar.gz: handout + starter

Markers in a reference file (one-line comments; the code between them is ordinary code):
    /* LAB <lab>: what goes here */
    ...the reference...
    /* END LAB <lab> (starter: the stub that keeps it compiling;) */
The starter has the region replaced by a TODO comment saying what goes there, and the stub.
The checks themselves are in labs/checks.py.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

import lib  # noqa: E402
import conformance  # noqa: E402
import run_tests  # noqa: E402
import checks  # noqa: E402

START_RE = re.compile(r"^(\s*)/\* LAB (\S+): (.*?) \*/\s*$")
END_RE = re.compile(r"^(\s*)/\* END LAB (\S+)(?: \(starter: (.*)\))? \*/\s*$")
SOURCE_EXT = (".c", ".h")


def rel(path):
    return os.path.relpath(path, ROOT)


def lab_or_exit(name):
    lab = checks.find(name or "")
    if not lab:
        sys.exit("lab: unknown LAB=%r; labs: %s (make lab-check LAB=fork SRC=build/labs/fork/starter)"
                 % (name or "", ", ".join(l.name for l in checks.LABS)))
    if not os.path.isdir(lab.model_dir(ROOT)):
        sys.exit("lab: the %s lab's model servers/%s/ is not in this tree yet" % (lab.name, lab.model))
    return lab


# ---------------------------------------------------------------- starters

def strip_regions(text, lab, path):
    """The file with each `LAB <lab>` region replaced by its TODO comment and stub."""
    out, region, n = [], None, 0
    for no, line in enumerate(text.splitlines(keepends=True), 1):
        m = START_RE.match(line)
        if m and m.group(2) == lab:
            if region:
                raise ValueError("%s:%d: LAB %s region opened inside the one at line %d" % (path, no, lab, region[0]))
            region = (no, m.group(1), m.group(3))
            continue
        m = END_RE.match(line)
        if m and m.group(2) == lab:
            if not region:
                raise ValueError("%s:%d: END LAB %s without its LAB line" % (path, no, lab))
            _, indent, what = region
            out.append("%s/* TODO (lab %s): %s */\n" % (indent, lab, what))
            stub = m.group(3)
            if stub:
                stub += "" if stub.endswith((";", "}")) else ";"   # the last ';' may be left out
                out.append("%s%s /* stub: replace */\n" % (indent, stub))
            region, n = None, n + 1
            continue
        if not region:
            out.append(line)
    if region:
        raise ValueError("%s:%d: LAB %s region never closed (END LAB %s)" % (path, region[0], lab, lab))
    return "".join(out), n


def write_starter(lab, dest):
    src = lab.model_dir(ROOT)
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    regions = 0
    for f in sorted(os.listdir(src)):
        path = os.path.join(src, f)
        if not os.path.isfile(path):
            continue
        with open(path) as fh:
            text = fh.read()
        if f.endswith(SOURCE_EXT):
            text, n = strip_regions(text, lab.name, rel(path))
            regions += n
        with open(os.path.join(dest, f), "w") as fh:
            fh.write(text)
    if regions == 0:
        raise ValueError("servers/%s/ has no /* LAB %s: ... */ regions" % (lab.model, lab.name))
    return regions


def starter_dir(lab):
    return os.path.join(ROOT, "build", "labs", lab.name, "starter")


def cmd_starters(args):
    for lab in checks.LABS:
        if not os.path.isdir(lab.model_dir(ROOT)):
            print("labs: %s: servers/%s/ not in this tree, no starter" % (lab.name, lab.model))
            continue
        dest = starter_dir(lab)
        try:
            n = write_starter(lab, dest)
        except ValueError as e:
            sys.exit("labs: %s" % e)
        print("labs: %s (%d regions to fill in)" % (rel(dest), n))
    return 0


# ---------------------------------------------------------------- building

def sanitize_tag():
    s = os.environ.get("SANITIZE", "")
    return s.replace(",", "-").replace("thread", "tsan") if s else "plain"


def compiler_errors(text, n=4):
    lines = [l.strip() for l in text.splitlines()
             if " error: " in l or "error:" in l[:8] or "undefined reference" in l or "fatal error" in l]
    return " | ".join(lines[:n]) if lines else " | ".join(text.strip().splitlines()[-n:])


def sync_sources(src, copy):
    """copy/ becomes src's *.c and *.h; a file whose bytes did not change keeps its time, so make
    recompiles only what changed since the last check."""
    os.makedirs(copy, exist_ok=True)
    wanted = {f for f in os.listdir(src) if f.endswith(SOURCE_EXT) and os.path.isfile(os.path.join(src, f))}
    for f in os.listdir(copy):
        if f not in wanted:
            os.unlink(os.path.join(copy, f))
    for f in wanted:
        with open(os.path.join(src, f), "rb") as fh:
            data = fh.read()
        dest = os.path.join(copy, f)
        if os.path.exists(dest):
            with open(dest, "rb") as fh:
                if fh.read() == data:
                    continue
        with open(dest, "wb") as fh:
            fh.write(data)


def build(lab, src, out):
    """Copy the student's sources into out/src and build them with the Makefile's own rules into
    out/bin. Returns (None, bindir) or (error message, None)."""
    model_files = sorted(f for f in os.listdir(lab.model_dir(ROOT)) if f.endswith(".c"))
    given = sorted(f for f in os.listdir(src) if f.endswith(".c"))
    missing = [f for f in model_files if f not in given]
    if missing:
        return ("expected the files of servers/%s/ (%s), got %s missing from %s"
                % (lab.model, " ".join(model_files), " ".join(missing), src), None)
    copy = os.path.join(out, "src")
    sync_sources(src, copy)
    objdir = os.path.join("build", "labs", "obj", sanitize_tag())
    bindir = os.path.join(out, "bin")
    targets = [os.path.join(rel(bindir), lab.model)]
    if lab.unit:
        targets.append(os.path.join(rel(bindir), "tests", lab.unit))
        # its object depends on the student's header: never reuse another copy's
        for ext in (".o", ".d"):
            stale = os.path.join(ROOT, objdir, "tests", "unit", lab.unit + ext)
            if os.path.exists(stale):
                os.unlink(stale)
    argv = ["make", "--no-print-directory", "-j2", "SRC_%s=%s" % (lab.model, rel(copy)),
            "BUILD=" + objdir, "BIN=" + rel(bindir)] + targets
    if os.environ.get("SANITIZE"):
        argv.append("SANITIZE=" + os.environ["SANITIZE"])
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return ("expected %s to compile against servers/common, got: %s"
                % (" ".join(given), compiler_errors((p.stdout + p.stderr).replace(rel(copy) + "/", ""))), None)
    warnings = [l.strip() for l in (p.stdout + p.stderr).splitlines() if "warning:" in l and rel(copy) in l]
    for w in warnings[:5]:
        print("# compiler: " + w.replace(rel(copy) + "/", ""))
    shim = os.path.join(HERE, lab.name, "errno_shim.c")
    if os.path.exists(shim):
        so = os.path.join(out, "errno_shim.so")
        p = subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-o", so, shim, "-ldl"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return ("the lab's own probe %s did not build (not your code): %s"
                    % (rel(shim), compiler_errors(p.stderr)), None)
    return None, bindir


# ---------------------------------------------------------------- checking

class LabOut:
    """One line per check: "ok - name" or "not ok - name: expected X, got Y; look at ..."."""

    def __init__(self):
        self.passed = self.failed = 0
        self.hint = None

    def result(self, kind, who, msg=None):
        if kind == "skip":
            print("skip - %s: %s" % (who, msg))
            sys.stdout.flush()
            return
        if kind == "ok":
            self.passed += 1
            line = "ok - %s" % who
        else:
            self.failed += 1
            line = "not ok - %s: %s" % (who, msg or "failed")
            if self.hint and "look at" not in line:
                line += "; " + self.hint
        print(line.replace("\n", " "))
        sys.stdout.flush()

    def write(self, line):
        print(line)

    def flush(self):
        sys.stdout.flush()


def unit_hint(lab, who):
    for key, hint in lab.unit_hints:
        if key in who:
            return hint
    return None


def run_unit(lab, bindir, out, args):
    """The lab's unit test (TAP), built against the student's files: one check per case. Streamed, so a
    hang still reports the cases before it; with --quick it stops at the first failing case."""
    path = os.path.join(bindir, "tests", lab.unit)
    name = "unit:" + lab.unit
    timeout = lib.scaled(60)
    p = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, errors="replace", start_new_session=True)
    timer = threading.Timer(timeout, lambda: run_tests.kill_session(p.pid))
    timer.daemon = True
    timer.start()
    last, failed = None, 0
    try:
        for line in p.stdout:
            m = run_tests.TAP_RE.match(line.rstrip("\n"))
            if not m:
                continue
            text = m.group(3).strip()
            skip = re.search(r"#\s*skip\b\s*(.*)$", text, re.I)
            i = text.find(": expected")
            case, msg = (text[:i], text[i + 2:]) if i >= 0 else (text, "the case failed")
            if skip:
                out.result("skip", "%s %s" % (name, text[:skip.start()].strip()), skip.group(1))
            elif m.group(1) == "ok":
                out.hint = None
                out.result("ok", "%s %s" % (name, case))
            else:
                failed += 1
                out.hint = unit_hint(lab, case)
                out.result("not ok", "%s %s" % (name, case), msg)
                if args.quick:
                    break
            last = case
        rc = p.wait() if not (args.quick and failed) else 0
    finally:
        timer.cancel()
        run_tests.kill_session(p.pid)
        p.stdout.close()
    if args.quick and failed:
        print("# %s stopped at its first failure (--quick)" % name)
    elif rc < 0 or rc not in (0, 1, 77):
        out.hint = unit_hint(lab, "")
        out.result("not ok", name, "expected the test to finish within %.0f s, got it %s after the case '%s' "
                   "(the next case hung or crashed)" % (timeout, "killed" if rc == -9 else
                                                         lib.describe_status(rc), last or "(none)"))
    elif rc == 1 and not failed:
        out.hint = None
        out.result("not ok", name, "expected exit 0, got 1 with no failing case printed")


def run_checks(lab, bindir, table, out, args, tmp):
    fixture = conformance.make_fixture(tmp)
    binary = os.path.join(bindir, lab.model)
    contexts = {}
    smoke_failed = {}     # label -> the name of its first check, which failed
    for chk in table:
        if args.fail_fast and out.failed:
            print("# stopped at the first failure (--fail-fast)")
            break
        label = " ".join([lab.name] + chk.variant)
        if label in smoke_failed:
            out.hint = None
            out.result("not ok", "%s %s" % (label, chk.case.name), "not run: the first check of %s failed "
                       "(%s); make a plain GET work first" % (label, smoke_failed[label]))
            continue
        ctx = contexts.get(label)
        first = ctx is None
        if first:
            ctx = run_tests.Context(label, lab.model, binary, chk.variant, fixture, args, out)
            ctx.lab_tmp = tmp
            ctx.errno_shim = os.path.join(os.path.dirname(bindir), "errno_shim.so")
            contexts[label] = ctx
        out.hint = chk.hint
        before = out.failed
        run_tests.run_case(ctx, chk.case)
        if first and out.failed > before and not args.only:
            smoke_failed[label] = chk.case.name
    out.hint = "look at shutdown: on SIGTERM the server stops accepting, ends its connections and exits 0"
    for ctx in contexts.values():
        try:
            run_tests.shutdown_shared(ctx)
        finally:
            for s in ctx.shared.values():
                s.kill()


class StopChecks(Exception):
    pass


def cmd_check(args):
    lab = lab_or_exit(args.lab)
    if not args.src:
        sys.exit("lab: SRC= is missing: make lab-check LAB=%s SRC=<your copy of servers/%s>" % (lab.name, lab.model))
    src = os.path.abspath(args.src)
    if not os.path.isdir(src):
        sys.exit("lab: SRC=%s is not a directory (it holds your version of servers/%s/)" % (args.src, lab.model))
    out_dir = os.path.abspath(args.out or os.path.join(ROOT, "build", "labs", lab.name, "check"))
    os.makedirs(out_dir, exist_ok=True)
    lib.configure(os.environ.get("SANITIZE", ""))
    run_tests.raise_nofile()
    table = lab.checks()
    if args.only:
        table = [c for c in table if args.only in c.name]
    elif args.quick:
        table = [c for i, c in enumerate(table) if i == 0 or c.quick]
    print("# lab %s: checking %s (built into %s)" % (lab.name, args.src, rel(os.path.join(out_dir, "bin"))))
    sys.stdout.flush()
    out = LabOut()
    err, bindir = build(lab, src, out_dir)
    if err:
        out.hint = "fix the first error first: the compiler names the file and line"
        out.result("not ok", "%s builds against servers/common" % lab.name, err)
        out.hint = None
        for c in table:
            out.result("not ok", "%s %s" % (lab.name, c.name), "not run: the server does not build")
    else:
        out.hint = None
        out.result("ok", "%s builds against servers/common" % lab.name)
        ns = types.SimpleNamespace(verbose=False, k=None, bin=bindir, only=args.only, quick=args.quick,
                                   fail_fast=args.fail_fast)
        tmp = tempfile.mkdtemp(prefix="labcheck-")
        try:
            if lab.unit and (not args.only or args.only in "unit:" + lab.unit):
                run_unit(lab, bindir, out, ns)
            if args.fail_fast and out.failed:
                print("# stopped at the first failure (--fail-fast)")
                raise StopChecks
            run_checks(lab, bindir, table, out, ns, tmp)
        except StopChecks:
            pass
        except KeyboardInterrupt:
            lib.kill_all_servers()
            print("# interrupted")
            return 130
        finally:
            lib.kill_all_servers()
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (out.passed, out.failed))
    return 1 if out.failed else 0


# ---------------------------------------------------------------- dist

def cmd_dist(args):
    lab = lab_or_exit(args.lab)
    dest = starter_dir(lab)
    write_starter(lab, dest)
    tarball = os.path.join(ROOT, "build", "labs", lab.name + ".tar.gz")
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(os.path.join(HERE, lab.name, "README.md"), arcname="%s/README.md" % lab.name)
        tar.add(dest, arcname="%s/starter" % lab.name)
    print("lab-dist: %s (%s/README.md, %s/starter/: copy it over servers/%s/ or check it with "
          "make lab-check LAB=%s SRC=...)" % (rel(tarball), lab.name, lab.name, lab.model, lab.name))
    return 0


# ---------------------------------------------------------------- bench

def cmd_bench(args):
    lab = lab_or_exit(args.lab)
    if not args.src or not os.path.isdir(args.src):
        sys.exit("lab: SRC=%r is not a directory: make lab-bench LAB=%s SRC=<your servers/%s copy>"
                 % (args.src or "", lab.name, lab.model))
    out_dir = os.path.join(ROOT, "build", "labs", lab.name, "bench")
    err, bindir = build(lab, os.path.abspath(args.src), out_dir)
    if err:
        sys.exit("lab-bench: %s" % err)
    student = os.path.join(bindir, lab.model)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    argv = [sys.executable, os.path.join(ROOT, "harness", "runner.py"), "--quick",
            "--experiments", lab.experiment, "--models", lab.model,
            "--extra-model", "student=" + student,
            "--out", os.path.join(ROOT, "results", "%s_lab-%s" % (stamp, lab.name))]
    print("lab-bench: " + " ".join(["python3"] + [rel(a) if os.path.isabs(a) else a for a in argv[1:]]))
    sys.stdout.flush()
    return subprocess.call(argv, cwd=ROOT)


def main(argv):
    ap = argparse.ArgumentParser(description="Course labs: starters, checker, benchmark, tarball.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("starters", help="write build/labs/<lab>/starter/ for every lab")
    c = sub.add_parser("check", help="build a student's folder and check it")
    c.add_argument("lab")
    c.add_argument("src", nargs="?")
    c.add_argument("--quick", action="store_true", help="the short selection (what make test runs)")
    c.add_argument("--only", metavar="SUBSTRING", help="only the checks whose name contains SUBSTRING")
    c.add_argument("--fail-fast", action="store_true", help="stop at the first failing check")
    c.add_argument("--out", help="build and scratch directory (default build/labs/<lab>/check)")
    b = sub.add_parser("bench", help="the lab's QUICK experiment, student beside reference")
    b.add_argument("lab")
    b.add_argument("src", nargs="?")
    d = sub.add_parser("dist", help="handout + starter as build/labs/<lab>.tar.gz")
    d.add_argument("lab")
    args = ap.parse_args(argv)
    return {"starters": cmd_starters, "check": cmd_check, "bench": cmd_bench, "dist": cmd_dist}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""test_labs.py - the labs' checkers are themselves checked (run_tests.py part `labs`).

For every lab whose model is in the tree (labs/checks.py):
  - the reference (servers/<model>/) passes its checker;
  - the untouched starter (build/labs/<lab>/starter/, written here) builds and fails it;
  - each mutant, labs/<lab>/mutants/*.sed (a classic bug the lecture warns about, applied
    with sed to a copy of the reference), fails the check its header names ("# expect:")
    with a message that contains its "# hint:" text, i.e. points at the bug.
The checker runs with --quick (the short selection; the unit test stops at its first
failure), the starter with --fail-fast, a mutant only the check it targets; every run of a
lab builds in one directory, so make recompiles only the files a variant changed. Prints "ok - ..." / "not ok - ...: ..."
per case, exit 1 if any failed. Optional argument: a substring of the case names to run.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "labs"))
sys.path.insert(0, HERE)

import checks  # noqa: E402
import lab as labtool  # noqa: E402

LAB_PY = os.path.join(ROOT, "labs", "lab.py")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)
FAILED = 0


def say(kind, who, msg=None):
    global FAILED
    FAILED += kind == "not ok"
    print("%s - %s%s" % (kind, who, ": " + msg if msg else ""))
    sys.stdout.flush()


def run_check(lab, src, out, *extra):
    argv = [sys.executable, LAB_PY, "check", lab.name, src, "--quick", "--out", out] + list(extra)
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, errors="replace", timeout=900)
    m = SUMMARY_RE.search(p.stdout)
    summary = (int(m.group(1)), int(m.group(2))) if m else None
    return p.returncode, p.stdout, p.stderr, summary


def failing_lines(stdout, n=3):
    lines = [l for l in stdout.splitlines() if l.startswith("not ok")]
    return " | ".join(l[:240] for l in lines[:n]) or "(no failing line)"


def mutant_header(path):
    head = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^# (file|expect|hint): (.*)$", line.rstrip("\n"))
            if m:
                head[m.group(1)] = m.group(2)
    return head


def case_reference(lab, scratch):
    t0 = time.monotonic()
    rc, out, err, summary = run_check(lab, os.path.join("servers", lab.model), os.path.join(scratch, "check"))
    who = "labs %s: the reference servers/%s/ passes its checker" % (lab.name, lab.model)
    if rc == 0 and summary and summary[1] == 0:
        say("ok", "%s (%d checks, %.0f s)" % (who, summary[0], time.monotonic() - t0))
    else:
        say("not ok", who, "expected exit 0 and '0 failed', got exit %d, %s; %s%s" % (
            rc, summary, failing_lines(out), (" stderr: " + err.strip()[-300:]) if err.strip() else ""))


def case_starter(lab, scratch):
    t0 = time.monotonic()
    dest = labtool.starter_dir(lab)
    labtool.write_starter(lab, dest)
    rc, out, err, summary = run_check(lab, labtool.rel(dest), os.path.join(scratch, "check"), "--fail-fast")
    who = "labs %s: the starter builds and fails its checker (--fail-fast)" % lab.name
    built = "ok - %s builds against servers/common" % lab.name in out
    if rc == 1 and built and summary and summary[1] > 0:
        say("ok", "%s (%d of %d failed, %.0f s)" % (who, summary[1], sum(summary), time.monotonic() - t0))
    else:
        say("not ok", who, "expected it to build and then exit 1 with failures, got exit %d, built: %s, %s; %s%s"
            % (rc, built, summary, failing_lines(out), (" stderr: " + err.strip()[-300:]) if err.strip() else ""))


def case_mutant(lab, path, scratch):
    t0 = time.monotonic()
    name = os.path.basename(path)[:-len(".sed")]
    head = mutant_header(path)
    who = "labs %s: mutant %s fails '%s'" % (lab.name, name, head.get("expect"))
    if not all(k in head for k in ("file", "expect", "hint")):
        say("not ok", who, "expected '# file:', '# expect:' and '# hint:' lines in %s, got %s" % (path, head))
        return
    src = os.path.join(scratch, "mutant-" + name, "src")
    shutil.rmtree(os.path.dirname(src), ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "servers", lab.model), src)
    target = os.path.join(src, head["file"])
    before = open(target).read()
    p = subprocess.run(["sed", "-i", "-f", path, target], capture_output=True, text=True)
    if p.returncode != 0 or open(target).read() == before:
        say("not ok", who, "expected the sed script to change %s, got %s (the reference moved on: update the "
            "mutant)" % (head["file"], p.stderr.strip() or "no change"))
        return
    rc, out, err, summary = run_check(lab, src, os.path.join(scratch, "check"), "--only", head["expect"])
    hits = [l for l in out.splitlines() if l.startswith("not ok") and head["expect"] in l]
    pointed = [l for l in hits if head["hint"] in l]
    if rc == 1 and pointed:
        say("ok", "%s, pointing at the bug (%.0f s)" % (who, time.monotonic() - t0))
    elif not hits:
        say("not ok", who, "expected the check '%s' to fail, got exit %d, %s; %s" % (
            head["expect"], rc, summary, failing_lines(out)))
    else:
        say("not ok", who, "expected its message to say '%s', got: %s" % (head["hint"], hits[0][:300]))


def case_compile_error(lab, scratch):
    """A folder that does not compile: one failed check quoting the compiler, the rest not run."""
    src = os.path.join(scratch, "broken", "src")
    shutil.rmtree(os.path.dirname(src), ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "servers", lab.model), src)
    victim = sorted(f for f in os.listdir(src) if f.endswith(".c"))[0]
    with open(os.path.join(src, victim), "a") as f:
        f.write("\nint lab_selftest_broken(void) { return undeclared_name; }\n")
    rc, out, err, summary = run_check(lab, src, os.path.join(scratch, "check"), "--only", "GET /")
    who = "labs %s: a folder that does not compile fails with the compiler's error" % lab.name
    line = [l for l in out.splitlines() if l.startswith("not ok - %s builds" % lab.name)]
    if rc == 1 and line and "undeclared_name" in line[0] and "Traceback" not in out + err:
        say("ok", who)
    else:
        say("not ok", who, "expected exit 1 and 'not ok - %s builds ...' quoting 'undeclared_name', got exit %d: "
            "%s%s" % (lab.name, rc, failing_lines(out), (" stderr: " + err.strip()[-300:]) if err.strip() else ""))


def case_dist(lab):
    p = subprocess.run([sys.executable, LAB_PY, "dist", lab.name], cwd=ROOT, capture_output=True, text=True)
    tarball = os.path.join(ROOT, "build", "labs", lab.name + ".tar.gz")
    who = "labs %s: lab-dist packs the handout and the starter" % lab.name
    try:
        with tarfile.open(tarball) as t:
            names = t.getnames()
    except (OSError, tarfile.TarError) as e:
        names = ["(%s)" % e]
    want = ["%s/README.md" % lab.name] + ["%s/starter/%s" % (lab.name, f) for f in os.listdir(lab.model_dir(ROOT))]
    missing = [w for w in want if w not in names]
    if p.returncode == 0 and not missing:
        say("ok", "%s (%d files)" % (who, len(names)))
    else:
        say("not ok", who, "expected exit 0 and %s, got exit %d, missing %s; %s" % (
            labtool.rel(tarball), p.returncode, missing, p.stderr.strip()[-200:]))


def main(argv):
    only = argv[0] if argv else None
    scratch = os.path.join(ROOT, "build", "labs", "selftest")
    for lab in checks.LABS:
        if not os.path.isdir(lab.model_dir(ROOT)):
            say("skip", "labs %s" % lab.name, "servers/%s/ not in this tree" % lab.model)
            continue
        here = os.path.join(scratch, lab.name)
        cases = [("reference", lambda: case_reference(lab, here)),
                 ("starter", lambda: case_starter(lab, here)),
                 ("compile error", lambda: case_compile_error(lab, here)),
                 ("dist", lambda: case_dist(lab))]
        mdir = os.path.join(ROOT, "labs", lab.name, "mutants")
        mutants = sorted(f for f in os.listdir(mdir) if f.endswith(".sed")) if os.path.isdir(mdir) else []
        if len(mutants) < 2:
            say("not ok", "labs %s: mutants" % lab.name, "expected at least two in %s, got %d"
                % (labtool.rel(mdir), len(mutants)))
        for f in mutants:
            cases.append(("mutant " + f, lambda f=f: case_mutant(lab, os.path.join(mdir, f), here)))
        for what, fn in cases:
            if only and only not in "labs %s: %s" % (lab.name, what):
                continue
            try:
                fn()
            except subprocess.TimeoutExpired as e:
                say("not ok", "labs %s: %s" % (lab.name, what), "expected the checker to finish, got it "
                    "still running after %.0f s (killed)" % e.timeout)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""test_hosts.py - the several-host path through the network-namespace rig.

    python3 tests/test_hosts.py            (BIN=bin/ by default; needs root)

Prints "ok - name", "not ok - name: expected X, got Y" or "ok - name # skip why"
per case; exits 0 when every case passed or was skipped, 1 otherwise.

Cases: harness/netns.sh up (a rig of its own: namespace prefix and folder of
this test, beside any rig a user has up); a short two-client sweep
(seda, epoll, 16 connections, --quick, --warmup 0) through it: one runs.csv row
with client loadgen*2, two histograms, meta.txt lines per host, and the
clients' merged request count against the server's own count (epoll's exit
line): server - clients between 0 and the connections in flight at the
window's end; an unreachable host refused with its name; Ctrl-C while both
clients run leaves no process and no run folder on any host; then netns.sh down
leaves no namespace, no veth and no sshd of the rig.  Where namespaces cannot
be created (not root, no CAP_NET_ADMIN) every case is skipped with the reason.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(os.environ.get("BIN") or os.path.join(ROOT, "bin"))
NETNS = os.path.join(ROOT, "harness", "netns.sh")
CONNS = 16
failed = 0


def report(name, ok, msg=""):
    global failed
    if ok:
        print(f"ok - {name}", flush=True)
    else:
        failed += 1
        print(f"not ok - {name}: {msg}", flush=True)


def skip(name, why):
    print(f"ok - {name} # skip {why}", flush=True)


def rig(env, cmd, timeout=120):
    return subprocess.run([NETNS, cmd], env=env, capture_output=True, text=True, timeout=timeout)


def cannot_rig():
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_NET_ADMIN"
    r = subprocess.run(["ip", "netns", "add", f"cstp-{os.getpid()}"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace here: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", f"cstp-{os.getpid()}"], capture_output=True)
    for tool in ("/usr/sbin/sshd", shutil.which("rsync") or "/nonexistent/rsync"):
        if not os.access(tool, os.X_OK):
            return f"{os.path.basename(tool)} not installed"
    if not os.access(os.path.join(BIN, "epoll"), os.X_OK):
        return f"{BIN}/epoll not built"
    return None


def sweep(tmp, cfg, extra, timeout=240):
    argv = [os.path.join(ROOT, "run_all.sh"), "--ssh-config", cfg, "--bin", BIN, "--no-report"] + extra
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def check_sweep(tmp, cfg):
    out = os.path.join(tmp, "res")
    r = sweep(tmp, cfg, ["--server-host", "srv", "--client-hosts", "cli1,cli2", "--experiments", "seda",
                         "--models", "epoll", "--quick", "--warmup", "0", "--conns", str(CONNS), "--out", out])
    report("hosts sweep exits 0", r.returncode == 0, f"expected exit 0, got {r.returncode}: {r.stderr[-300:]}")
    rows = list(csv.DictReader(open(os.path.join(out, "runs.csv")))) if os.path.exists(os.path.join(out, "runs.csv")) else []
    report("hosts one runs.csv row, client loadgen*2", len(rows) == 1 and rows[0]["client"] == "loadgen*2",
           f"expected 1 row with client loadgen*2, got {[(x['client'], x['requests']) for x in rows]}")
    if not rows:
        return
    row = rows[0]
    reqs = int(row["requests"] or 0)
    errs = sum(int(row[c] or 0) for c in row if c.startswith("err_"))
    report("hosts requests counted, no errors", reqs > 0 and errs == 0, f"expected requests > 0 and 0 errors, got {reqs}, {errs}")
    report("hosts server columns sampled remotely", row["srv_cpu_pct"] != "" and row["srv_threads"] == "1",
           f"expected srv_cpu_pct and srv_threads 1 (epoll), got {row['srv_cpu_pct']!r}, {row['srv_threads']!r}")
    hists = sorted(os.listdir(os.path.join(out, "hists"))) if os.path.isdir(os.path.join(out, "hists")) else []
    report("hosts two histograms kept", len([h for h in hists if h.endswith((".txt"))]) == 2, f"got {hists}")
    hosts = list(csv.DictReader(open(os.path.join(out, "hosts.csv")))) if os.path.exists(os.path.join(out, "hosts.csv")) else []
    if not hosts or not hosts[0]["server_answered"]:
        report("hosts server count", False, f"expected hosts.csv with the server's count, got {hosts}")
        return
    served = int(hosts[0]["server_answered"])
    diff = served - reqs
    report("hosts merged count matches the server's", 0 <= diff <= CONNS + errs,
           f"expected server ({served}) - clients ({reqs}) within [0, {CONNS}] (one request in flight per"
           f" connection at the window's end), got {diff}")
    meta = open(os.path.join(out, "meta.txt")).read()
    want = ["host_server_srv:", "host_client_cli1:", "host_client_cli2:", "tcp_connect_to_server_us median",
            "hosts_build: git"]
    missing = [w for w in want if w not in meta]
    report("hosts meta.txt per host", not missing, f"expected {missing} in meta.txt")


def check_unreachable(tmp, cfg):
    r = sweep(tmp, cfg, ["--server-host", "nosuchhost.invalid", "--experiments", "seda", "--models", "epoll",
                         "--quick", "--conns", "1", "--out", os.path.join(tmp, "res2")], timeout=60)
    report("hosts unreachable host refused by name", r.returncode != 0 and "nosuchhost.invalid" in r.stderr,
           f"expected a non-zero exit naming the host, got {r.returncode}: {r.stderr[-200:]!r}")


def run_procs(stamp_dirs_glob="/tmp/concsuite-run-"):
    """pids whose command line names a remote run folder."""
    r = subprocess.run(["pgrep", "-f", stamp_dirs_glob], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split() if int(x) != os.getpid()]


def check_interrupt(tmp, cfg):
    """SIGINT while both clients run: the runner exits 130, and no server, agent or
    loadgen is left on any host, no run folder either."""
    before = set(os.listdir("/tmp"))
    argv = [os.path.join(ROOT, "run_all.sh"), "--ssh-config", cfg, "--bin", BIN, "--no-report", "--server-host", "srv",
            "--client-hosts", "cli1,cli2", "--experiments", "seda", "--models", "epoll", "--conns", "8",
            "--duration", "20", "--reps", "1", "--out", os.path.join(tmp, "res3")]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    running = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        got = subprocess.run(["pgrep", "-f", "concsuite-run-.*/bin/loadgen"], capture_output=True, text=True)
        if len(got.stdout.split()) >= 2:
            running = True
            break
        time.sleep(0.2)
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGINT)
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        rc = p.wait()
    time.sleep(0.5)
    left = run_procs()
    dirs = [d for d in set(os.listdir("/tmp")) - before if d.startswith("concsuite-")]
    report("hosts Ctrl-C stops every host", running and rc == 130 and not left and not dirs,
           f"expected both loadgens seen running, exit 130, no process or folder left; got running={running},"
           f" rc {rc}, pids {left}, folders {dirs}")
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def check_down(env, pfx, rig_dir):
    r = rig(env, "down")
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    left = [l for l in ns.splitlines() if l.startswith(pfx + "-")]
    sshd = subprocess.run(["pgrep", "-f", rig_dir], capture_output=True, text=True).stdout.split()
    report("hosts netns.sh down leaves nothing", r.returncode == 0 and not left and not sshd
           and not os.path.exists(rig_dir),
           f"expected no {pfx}-* namespace, no sshd, no {rig_dir}; got rc {r.returncode}, {left}, pids {sshd}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] not in "hosts rig netns":
        return 0                      # run_tests.py -k PATTERN for other cases: none here
    why = cannot_rig()
    if why:
        skip("hosts rig", why)
        return 0
    tmp = tempfile.mkdtemp(prefix="test-hosts-")
    pfx = f"cst{os.getpid() % 100000}"
    rig_dir = os.path.join(tmp, "rig")
    env = dict(os.environ, CONCSUITE_NETNS_DIR=rig_dir, CONCSUITE_NETNS_PREFIX=pfx)
    try:
        r = rig(env, "up")
        report("hosts netns.sh up", r.returncode == 0 and "srv" in r.stdout,
               f"expected exit 0 and the host names, got {r.returncode}: {r.stderr.strip()[-300:]}")
        if r.returncode == 0:
            again = rig(env, "up")
            report("hosts netns.sh up again (idempotent)", again.returncode == 0, again.stderr.strip()[-200:])
            cfg = os.path.join(rig_dir, "ssh_config")
            check_sweep(tmp, cfg)
            check_unreachable(tmp, cfg)
            check_interrupt(tmp, cfg)
    finally:
        check_down(env, pfx, rig_dir)
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

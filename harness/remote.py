"""remote.py - the server and the load generators on other hosts, over ssh.

  ./run_all.sh --server-host [USER@]HOST [--client-hosts H1,H2,...] [--ssh-config FILE] ...

Transport: OpenSSH in BatchMode (`-F FILE` when given; harness/netns.sh's rig
provides one).  Before the sweep, for every host: reachable over ssh, has
python3, taskset and rsync; then bin/ and the two agent files
(harness/remote_agent.py, harness/sampling.py) are rsynced to a per-run folder
/tmp/concsuite-run-<stamp>-<host>/ and their sha256 sums compared with the
local files (the build id in meta.txt: same bytes on every host).

One point: the server is started by remote_agent.py `serve` over one ssh
session (pinned with taskset to --server-cpus, bound to the host's address);
the same agent samples its /proc over the measured window and hands the samples
back at the end (one ssh per point, not one per sample).  Each client host runs
one bin/loadgen (remote_agent.py `run`) with the same --start-at moment, the
point's connections split between them, and --hist-out; the histograms come
back and `bin/loadgen --merge --csv` gives the row: counts summed, percentiles
from the summed histogram.  `client` = loadgen*N for N client hosts.
The server's own count of requests (its exit line, where the model logs one)
goes to hosts.csv beside the clients' merged count.

On Ctrl-C or error the runner kills its ssh processes; each agent sees its stdin
close and kills what it started; the run folders are removed at the end.
Limits: loadgen only (no wrk); without --client-hosts one local client is used;
--client-hosts needs --server-host.
"""

import hashlib
import json
import os
import re
import selectors
import shlex
import socket
import shutil
import subprocess
import sys
import tempfile
import time

import proc
import runs
from point import (READY_TIMEOUT_S, ROOT, STOP_GRACE_S, cpu_row, fill_row, parse_client_csv, server_command,
                   warmup_for)
from sampling import Sample, Window

SSH_TIMEOUT_S = 20        # one ssh command (checks, facts)
START_MARGIN_S = 1.0      # --start-at this far ahead of the clients' ssh start, plus per host
AGENT_FILES = ("harness/remote_agent.py", "harness/sampling.py", "harness/proc.py")
ANSWERED_RE = re.compile(r"(\d+) requests answered")


def add_args(ap):
    ap.add_argument("--server-host", help="run the server on [USER@]HOST over ssh (BatchMode)")
    ap.add_argument("--client-hosts", help="comma list of hosts, one bin/loadgen each (default: local)")
    ap.add_argument("--ssh-config", help="ssh -F FILE for every ssh and rsync (harness/netns.sh prints one)")


def wanted(args):
    return bool(args.server_host or args.client_hosts)


class Host:
    """A host the runner drives: name "" is this machine (no ssh)."""

    def __init__(self, name, ssh_config, stamp):
        self.name = name
        self.cfg = ssh_config
        self.ctl = None           # ssh ControlPath folder, set by Hosts
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        self.dir = f"/tmp/concsuite-run-{stamp}-{safe}" if name else ROOT
        self.facts = {}

    def label(self):
        return self.name or "local"

    def ssh_base(self):
        argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"] + (["-F", self.cfg] if self.cfg else [])
        if self.ctl:   # one master connection per host for the run: a point's ssh starts fast
            argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.ctl}/%C", "-o", "ControlPersist=300"]
        return argv

    def argv(self, argv):
        """argv run on this host (through ssh as one quoted command line)."""
        if not self.name:
            return list(argv)
        return self.ssh_base() + [self.name, shlex.join(argv)]

    def run(self, argv, timeout=SSH_TIMEOUT_S):
        try:
            r = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return 124, "", f"no answer in {timeout} s"
        return r.returncode, r.stdout, r.stderr.strip()

    def address(self):
        """The address clients connect to: ssh's HostName for it, resolved here."""
        if not self.name:
            return "127.0.0.1", 22
        r = subprocess.run(self.ssh_base() + ["-G", self.name], capture_output=True, text=True)
        cfg = dict(l.split(" ", 1) for l in r.stdout.splitlines() if " " in l)
        host = cfg.get("hostname", self.name.split("@")[-1])
        try:
            return socket.gethostbyname(host), int(cfg.get("port", "22"))
        except OSError as e:
            sys.exit(f"run_all.sh: host {self.label()}: cannot resolve {host}: {e}")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Hosts:
    def __init__(self, args, stamp):
        self.args = args
        self.server = Host(args.server_host, args.ssh_config, stamp)
        names = [h for h in (args.client_hosts or "").split(",") if h]
        self.clients = [Host(n, args.ssh_config, stamp) for n in names] or [Host("", None, stamp)]
        self.start_margin_s = START_MARGIN_S
        self.addr, self.ssh_port = self.server.address()     # exits on a name that does not resolve
        self.ctl = tempfile.mkdtemp(prefix="concsuite-ssh-")
        for h in self.all():
            h.ctl = self.ctl if h.name else None
        self.synced = []
        self.www = None
        self.csv = None

    def all(self):
        seen, out = set(), []
        for h in [self.server] + self.clients:
            if h.name not in seen:
                seen.add(h.name)
                out.append(h)
        return out

    # ------------------------------------------------------------ before the sweep

    def check(self, points):
        if any(p.client == "wrk" for p in points if not p.ceiling):
            sys.exit("run_all.sh: several hosts: loadgen only (leave out crosscheck, or --client wrk)")
        for h in self.all():
            if not h.name:
                continue
            rc, _, err = h.run(["true"])
            if rc != 0:
                sys.exit(f"run_all.sh: host {h.label()}: cannot reach it over ssh (BatchMode"
                         f"{', -F ' + h.cfg if h.cfg else ''}): {err.splitlines()[-1] if err else f'exit {rc}'}")
            rc, out, _ = h.run(["sh", "-c", "for t in python3 taskset rsync; do command -v $t >/dev/null"
                                " || echo $t; done"])
            if out.split():
                sys.exit(f"run_all.sh: host {h.label()}: lacks {', '.join(out.split())} (needed on every host)")

    def files(self, models):
        """{path in the run folder: sha256} of what every host must have."""
        out = {f"bin/{m}": sha256(os.path.join(self.args.bin, m)) for m in sorted(models) + ["loadgen"]}
        out.update({r: sha256(os.path.join(ROOT, r)) for r in AGENT_FILES})
        return out

    def sync(self, models, www):
        """rsync bin/, the agent and the www root to each host's run folder, then
        compare sha256 sums there with the local files."""
        self.www = www
        local = self.files(models)
        self.build_id = hashlib.sha256("".join(sorted(local.values())).encode()).hexdigest()[:12]
        for h in self.all():
            if not h.name:
                continue
            rc, _, err = h.run(["mkdir", "-p", f"{h.dir}/bin", f"{h.dir}/harness", f"{h.dir}/www"])
            if rc != 0:
                sys.exit(f"run_all.sh: host {h.label()}: cannot create {h.dir}: {err}")
            self.synced.append(h)
            e = shlex.join(h.ssh_base())
            for src, dst in ([self.args.bin + "/", "bin/"], [os.path.join(ROOT, "harness") + "/", "harness/"],
                             [www + "/", "www/"]):
                inc = [] if dst != "harness/" else [f"--include={os.path.basename(f)}" for f in AGENT_FILES] + ["--exclude=*"]
                r = subprocess.run(["rsync", "-a", "--delete", "-e", e] + inc + [src, f"{h.name}:{h.dir}/{dst}"],
                                   capture_output=True, text=True, timeout=120)
                if r.returncode != 0:
                    sys.exit(f"run_all.sh: host {h.label()}: rsync of {src} failed: {r.stderr.strip()}")
            rc, out, err = h.run(["sh", "-c", f"cd {shlex.quote(h.dir)} && sha256sum " + " ".join(local)])
            got = dict(reversed(l.split()) for l in out.splitlines() if len(l.split()) == 2)
            for rel, digest in local.items():
                if got.get(rel) != digest:
                    sys.exit(f"run_all.sh: host {h.label()}: {h.dir}/{rel} is missing or differs from the local"
                             f" {rel} after rsync ({err or 'sha256 differs'})")

    def gather_facts(self):
        """Kernel, CPU, cores of every host; from each client host the TCP connect
        time to the server (its ssh port): median of 5, before the sweep."""
        facts = ("uname -sr; nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2;"
                 " taskset -pc $$ | cut -d: -f2")
        probe = ("import socket,time,statistics as s\nt=[]\nfor i in range(5):\n"
                 " a=time.perf_counter();c=socket.create_connection(('%s',%d),5);t.append(time.perf_counter()-a);c.close()\n"
                 "print('%%.0f %%.0f %%.0f'%%(s.median(t)*1e6,min(t)*1e6,max(t)*1e6))" % (self.addr, self.ssh_port))
        slowest = 0.0
        for h in self.all():
            for _ in range(2):     # the second through the master connection: what a point pays
                t = time.monotonic()
                rc, out, _ = h.run(["sh", "-c", facts])
                took = time.monotonic() - t
            slowest = max(slowest, took)
            f = (out.splitlines() + ["", "", "", ""])[:4]
            h.facts = {"kernel": f[0], "cores": f[1], "cpu_model": f[2].strip(), "cpus_usable": f[3].strip()}
        # --start-at must lie beyond every client's ssh + agent + loadgen start.
        self.start_margin_s = START_MARGIN_S + 3 * slowest
        for h in self.clients:
            rc, out, err = h.run(["python3", "-c", probe])
            h.facts["tcp_connect_to_server_us"] = (f"median {out.split()[0]} [min {out.split()[1]} - max"
                                                   f" {out.split()[2]}] over 5 connects to {self.addr}:{self.ssh_port}"
                                                   if rc == 0 and len(out.split()) == 3 else f"not measured ({err})")

    def write_meta(self, path):
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        with open(path, "a") as f:
            f.write(f"hosts_server: {self.server.label()} (address {self.addr})\n")
            f.write(f"hosts_clients: {','.join(h.label() for h in self.clients)} ({len(self.clients)} loadgen)\n")
            f.write(f"hosts_build: git {rev or 'unknown'}, build id {self.build_id} (sha256 of bin/ models,"
                    f" loadgen and the agent, rsynced to each host's run folder and checked there)\n")
            f.write(f"hosts_start_margin_s: {self.start_margin_s:.2f} (--start-at lies this far ahead of the clients' start)\n")
            f.write("hosts_path: no link delay added (loopback-speed veths in the netns rig; real links: see RTT)\n")
            for role, hs in (("server", [self.server]), ("client", self.clients)):
                for h in hs:
                    pin = self.args.server_cpus if role == "server" else self.args.client_cpus
                    kv = "; ".join(f"{k} {v}" for k, v in h.facts.items())
                    f.write(f"host_{role}_{h.label()}: {kv}; pinning taskset -c {pin}; run folder {h.dir}\n")

    def prepare(self, runner, points):
        self.check(points)
        self.sync({p.setup.model for p in points}, runner.www_root())
        self.gather_facts()
        self.csv = open(os.path.join(runner.out, "hosts.csv"), "a", buffering=1)
        if self.csv.tell() == 0:
            self.csv.write("experiment,model,variant,conns,rep,server_answered,clients_requests,clients_errors,"
                           "warmup_s,clients,check\n")
        os.makedirs(os.path.join(runner.out, "hists"), exist_ok=True)

    def cleanup(self):
        for h in self.synced:
            h.run(["rm", "-rf", h.dir])
        self.synced = []
        for h in self.all():
            if h.name:
                subprocess.run(h.ssh_base() + ["-O", "exit", h.name], capture_output=True, timeout=SSH_TIMEOUT_S)
        shutil.rmtree(self.ctl, ignore_errors=True)

    # ------------------------------------------------------------ one point

    def server_argv(self, runner, p):
        h = self.server
        # Not --quiet: the server's exit line ("N requests answered") is hosts.csv's check.
        argv = server_command(p, f"{h.dir}/bin/{p.setup.model}", f"{h.dir}/www" if h.name else self.www,
                              runner.max_conns_default, addr=self.addr, quiet=False)
        return h.argv(["python3", f"{h.dir}/harness/remote_agent.py", "serve", "--",
                       "taskset", "-c", p.server_cpus] + argv)

    def client_argvs(self, runner, p, port, start_at, warm):
        n = len(self.clients)
        out = []
        for i, h in enumerate(self.clients):
            total = p.exp.normal_conns or p.level     # slowclients: the level is K slow clients
            conns = total // n + (1 if i < total % n else 0)
            base = runner.client_argv(p, f"{self.addr}:{port}")
            argv = base[:3] + [f"{h.dir}/bin/loadgen" if h.name else base[3]]
            rest = base[4:-1]
            j = 0
            while j < len(rest):
                k = rest[j]
                if k in ("-c", "-t", "--warmup", "--src-addrs", "--slow"):
                    if k == "--slow":                     # K:MODE split over the clients like -c
                        slow_k, spec = rest[j + 1].split(":", 1)
                        argv += [k, f"{int(slow_k) // n + (1 if i < int(slow_k) % n else 0)}:{spec}"]
                    elif k == "-c":
                        argv += [k, str(conns)]
                    elif k == "-t":
                        argv += [k, str(max(1, min(int(rest[j + 1]), conns)))]
                    elif k == "--warmup":
                        argv += [k, f"{warm:g}"]
                    j += 2
                    continue
                argv.append(k)
                j += 1
            hist = f"{h.dir}/hist-{os.getpid()}-{i}.txt" if h.name else os.path.join(runner.out, "hists", f".tmp-{i}")
            argv += ["--start-at", f"{start_at:.3f}", "--hist-out", hist, base[-1]]
            out.append((h, conns, h.argv(["python3", f"{h.dir}/harness/remote_agent.py", "run", "--hist", hist, "--"]
                                         + argv)))
        return out

    def measure(self, runner, p, row):
        warm = warmup_for(runner.args, p.level) if runner.args.warmup > 0 else 0.0
        runner.log.write(f"remote server: {shlex.join(self.server_argv(runner, p))}\n")
        runner.server_log.write(f"==== {p.label()} on {self.server.label()}\n".encode())
        srv = runner.procs.spawn(self.server_argv(runner, p), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=runner.server_log)
        try:
            return self._measure(runner, p, row, srv, warm)
        finally:
            if srv.poll() is None:
                runner.procs.kill_group(srv.pid)
            srv.wait()
            runner.procs.done(srv.pid)

    def _measure(self, runner, p, row, srv, warm):
        ready, text, _ = proc.wait_ready(srv, READY_TIMEOUT_S + SSH_TIMEOUT_S)
        if ready is None:
            runner.warn(p, f"server on {self.server.label()} did not get ready (got {text[:80]!r})")
            return row
        port = ready.port
        start_at = time.time() + self.start_margin_s + 0.1 * len(self.clients)
        dur = runner.args.duration
        if not tell(srv, f"window {start_at + warm:.3f} {dur:g}"):
            runner.warn(p, f"server agent on {self.server.label()} went away before the window")
            return row
        clis = []
        runner.client_log.write(f"==== {p.label()}\n".encode())
        for h, conns, argv in self.client_argvs(runner, p, port, start_at, warm):
            runner.log.write(f"remote client {h.label()} ({conns} conns): {shlex.join(argv)}\n")
            clis.append((h, runner.procs.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                               stderr=runner.client_log)))
        limit = START_MARGIN_S + 5 + warm + dur + 60 + p.level / 200.0
        t_end = time.monotonic() + limit
        results = []
        for h, c in clis:
            text, done = read_all(c.stdout, t_end - time.monotonic())
            if not done:
                runner.warn(p, f"client on {h.label()} still running after {limit:.0f} s; killed")
            runner.procs.kill_group(c.pid)
            c.wait()
            runner.procs.done(c.pid)
            results.append((h, parse_agent(text)))
        tell(srv, "stop")
        text, done = read_all(srv.stdout, STOP_GRACE_S + SSH_TIMEOUT_S + 30)
        if not done:
            runner.warn(p, f"server agent on {self.server.label()} did not finish; killed")
            return row
        return self.fill(runner, p, row, parse_agent(text), results, warm)

    def fill(self, runner, p, row, srv, results, warm):
        for line in srv["stderr"]:
            runner.server_log.write((line + "\n").encode())
        st = srv.get("stopped", "").split()
        if not st or st[0] != "exit":
            runner.warn(p, f"server on {self.server.label()} still running {STOP_GRACE_S:g} s after SIGTERM; killed")
        elif st[1] != "0":
            runner.warn(p, f"server on {self.server.label()} exited {st[1]} after SIGTERM (want 0)")
        if st and st[-1] == "1":
            runner.warn(p, f"server on {self.server.label()} left processes behind in its group; killed")
        files = []
        for i, (h, r) in enumerate(results):
            if not r["hist"] or r.get("finished", "1").split()[0] != "0":
                runner.warn(p, f"client on {h.label()}: no histogram ({r.get('finished', 'no exit')});"
                               " see client-stderr.log")
                continue
            name = os.path.join(runner.out, "hists", f"{p.exp.name}-{p.setup.model}{'-' + p.setup.variant if p.setup.variant else ''}"
                                f"-c{p.level}-rep{p.rep}-{h.label()}.txt")
            with open(name, "w") as f:
                f.write("\n".join(r["hist"]) + "\n")
            files.append(name)
        if len(files) != len(results):
            return row
        merge = subprocess.run([os.path.join(runner.args.bin, "loadgen"), "--merge", "--csv"] + files,
                               capture_output=True, text=True)
        runner.client_log.write(merge.stderr.encode())
        got = parse_client_csv(merge.stdout)
        if got is None:
            runner.warn(p, f"loadgen --merge gave no row: {merge.stderr.strip()[-200:]}")
            return row
        window = RemoteWindow()
        for s in srv["samples"]:
            window.add_remote(s)
        # The client hosts' own CPU sets are not sampled: client_bound by their CPU use alone.
        sbusy, ssoft = fill_row(row, got, window, p, runner.args.duration, n_clients=len(results))
        row["client"] = f"loadgen*{len(results)}"
        runner.cpu_rows.append(cpu_row(p, sbusy, ssoft))
        answered = ""
        for line in srv["stderr"]:
            mm = ANSWERED_RE.search(line)
            if mm:
                answered = mm.group(1)
        errs = runs.errors(row)
        check = count_check(answered, int(row["requests"] or 0), errs, p.level, warm)
        if check.startswith("MISMATCH"):
            runner.warn(p, f"server answered {answered} requests, the clients counted {row['requests']}: {check}")
        self.csv.write(f"{p.exp.name},{p.setup.model},{p.setup.variant},{p.level},{p.rep},{answered},"
                       f"{row['requests']},{errs},{warm:g},{len(results)},{check}\n")
        return row


def count_check(answered, requests, errors, conns, warm):
    """The server's own count against the clients' merged count.  With no warm-up
    both count from the first connection; the server may have answered up to one
    request per connection (and per error) that the clients did not count when
    their window closed.  After a warm-up the clients reset their counters, so
    only server >= clients can be checked."""
    if answered == "":
        return "no server count (this model does not log one)"
    diff = int(answered) - requests
    if warm > 0:
        return "ok (warm-up: server >= clients)" if diff >= 0 else f"MISMATCH: server {-diff} fewer"
    if 0 <= diff <= conns + errors:
        return f"ok (server - clients = {diff} <= {conns + errors} in flight)"
    return f"MISMATCH: server - clients = {diff}, in flight at most {conns + errors}"


class RemoteWindow(Window):
    """A Window whose samples (with the kernel's last pid and /proc/stat) were taken on another host."""

    def add_remote(self, rec):
        d = dict(rec["s"])
        d["ctxsw"] = {int(k): tuple(v) for k, v in d.get("ctxsw", {}).items()}
        self.samples.append((Sample(**d), rec["pid"]))
        self.cpus.append({int(k): tuple(v) for k, v in rec["cpus"].items()})


def tell(agent, line):
    """A command line to an agent; False when it is gone."""
    try:
        agent.stdin.write((line + "\n").encode())
        agent.stdin.flush()
        return True
    except (BrokenPipeError, OSError):
        return False


def read_all(pipe, timeout):
    """(text up to the agent's `end` line, whether it came) within timeout s; stdin stays open
    (its end is the agent's signal to kill what it runs)."""
    sel = selectors.DefaultSelector()
    sel.register(pipe, selectors.EVENT_READ)
    chunks, deadline, done = [], time.monotonic() + max(1.0, timeout), False
    while not done:
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            break
        chunk = os.read(pipe.fileno(), 65536)
        if not chunk:
            break
        chunks.append(chunk)
        done = b"".join(chunks[-2:]).endswith(b"\nend\n")
    sel.close()
    return b"".join(chunks).decode("utf-8", "replace"), done


def parse_agent(text):
    """An agent's output: {samples: [...], stderr: [...], stdout: [...], hist: [...], stopped/finished: str}."""
    r = {"samples": [], "stderr": [], "stdout": [], "hist": []}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "sample":
            r["samples"].append(json.loads(rest))
        elif key in ("stderr", "stdout", "hist"):
            r[key].append(rest)
        elif key in ("stopped", "finished"):
            r[key] = rest
    return r

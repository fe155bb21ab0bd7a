"""meta.py - meta.txt (machine, kernel, limits, versions, settings of the sweep)
and model_sizes.csv (each model's own code lines), written before the first point."""

import csv
import datetime
import os
import platform
import re
import resource
import shutil
import subprocess

from experiments import MODELS, POOL_WORKERS
from point import REQUEST_TIMEOUT_MS, ROOT, fd_limit
from sampling import cpuset_format, cpuset_parse, read_text


def run_cmd(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def write_meta(path, args, argv, points):
    cpu_model = ""
    for line in (read_text("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    versions = []
    for pkg in ("libevent-dev", "libpth-dev", "libst-dev", "liburing-dev", "libboost-context-dev", "nginx", "apache2", "wrk", "gnuplot-nox", "gcc"):
        v = run_cmd(["dpkg-query", "-W", "-f=${Version}", pkg])
        versions.append(f"{pkg}={v or 'not installed'}")
    rev = run_cmd(["git", "-C", ROOT, "rev-parse", "HEAD"]) or "unknown"
    dirty = run_cmd(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lines = [
        ("date_utc", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("command", " ".join(argv)),
        ("machine", platform.node()),
        ("kernel", " ".join(platform.uname()[2:4])),
        ("arch", platform.machine()),
        ("cpu_model", cpu_model),
        ("cpus_online", str(os.cpu_count())),
        ("cpus_usable", cpuset_format(os.sched_getaffinity(0))),
        ("memory", (read_text("/proc/meminfo") or "").splitlines()[0].split(":", 1)[1].strip()
         if read_text("/proc/meminfo") else ""),
        ("server_cpus", args.server_cpus),
        ("client_cpus", args.client_cpus),
        ("pinning", f"taskset -c SERVER_CPUS bin/<model> ...; taskset -c CLIENT_CPUS <client> ...;"
                    f" ousterhout's 2-CPU points: server on {cpuset_format(cpuset_parse(args.server_cpus) | cpuset_parse(args.client_cpus))},"
                    f" client on {args.client_cpus} (shared)"),
        ("client", args.client),
        ("duration_s", f"{args.duration:g}"),
        ("warmup_s", f"{args.warmup:g}"),
        ("reps", str(args.reps)),
        ("experiments", ",".join(args.experiments)),
        ("models", ",".join(args.models)),
        ("points", str(len(points))),
        ("pool_workers", str(POOL_WORKERS)),
        ("request_timeout_ms", str(REQUEST_TIMEOUT_MS)),
        ("ulimit_n_runner", f"{soft}/{hard}"),
        ("ulimit_n_servers_clients", str(fd_limit())),
        ("somaxconn", (read_text("/proc/sys/net/core/somaxconn") or "").strip()),
        ("tcp_max_syn_backlog", (read_text("/proc/sys/net/ipv4/tcp_max_syn_backlog") or "").strip()),
        ("ip_local_port_range", " ".join((read_text("/proc/sys/net/ipv4/ip_local_port_range") or "").split())),
        ("pid_max", (read_text("/proc/sys/kernel/pid_max") or "").strip()),
        ("threads_max", (read_text("/proc/sys/kernel/threads-max") or "").strip()),
        ("cpu_governor", (read_text("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "n/a").strip()),
        ("versions", " ".join(versions)),
        ("cc", run_cmd(["cc", "--version"]).splitlines()[0] if run_cmd(["cc", "--version"]) else ""),
        ("wrk", run_cmd(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else "not installed"),
        ("python", platform.python_version()),
        ("git_revision", rev + (" (dirty)" if dirty else "")),
    ]
    for e in {p.exp.name: p.exp for p in points}.values():
        if e.think_by_conns:     # the think experiment: which --think-ms each level ran with
            lines.append((f"{e.name}_think_ms_by_conns", " ".join(f"{c}:{z}" for c, z in e.think_by_conns.items())))
    with open(path, "w") as f:
        for k, v in lines:
            f.write(f"{k}: {v}\n")


def code_lines(path):
    """Non-blank lines that are not only comment, of a C file."""
    text = read_text(path) or ""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sum(1 for line in text.splitlines() if line.strip())


def write_model_sizes(path):
    """Each model's own code (servers/<model>/*.c, *.h), for the programmability table."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "files", "code_lines"])
        for m in MODELS + ["common"]:
            d = os.path.join(ROOT, "servers", m)
            files = sorted(n for n in os.listdir(d) if n.endswith((".c", ".h"))) if os.path.isdir(d) else []
            w.writerow([m, len(files), sum(code_lines(os.path.join(d, n)) for n in files)])



"""sampling.py - what the runner reads from /proc: the server's process tree,
its CPU time (ticks and schedstat), memory, tasks and context switches, the
CPUs' busy time from /proc/stat, and the measured Window built from samples.
Also CPU-set lists in taskset's format.  Linux only; standard library only.

Limits: context switches are per task in /proc, so tasks that end inside the
window are lost; Window.columns() leaves srv_ctxsw_* out then.
"""

import os
import re
import time
from dataclasses import dataclass, field


# ---------------------------------------------------------------- CPU sets

def cpuset_parse(text):
    """'0-1,3' -> {0, 1, 3}."""
    cpus = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            cpus.update(range(int(lo), int(hi) + 1))
        else:
            cpus.add(int(part))
    if not cpus:
        raise ValueError("empty CPU list")
    return cpus


def cpuset_format(cpus):
    """{0, 1, 3} -> '0-1,3' (taskset's list format)."""
    out, run = [], []
    for c in sorted(cpus):
        if run and c == run[-1] + 1:
            run.append(c)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [c]
    out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out)


# ---------------------------------------------------------------- /proc

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except OSError:
        return None


def stat_fields(text):
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    return text[text.rfind(")") + 2:].split()


def proc_tree(root_pid):
    """The root and every descendant, from the ppid field of /proc/*/stat."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        text = read_text(f"/proc/{name}/stat")
        if text is None:
            continue
        ppid = int(stat_fields(text)[1])
        children.setdefault(ppid, []).append(int(name))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _status_value(text, key):
    m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else 0


@dataclass
class Sample:
    t: float
    cpu_s: float = 0.0        # server CPU time, see sample_server()
    user_ticks_s: float = 0.0  # tick-based user and system time: only their ratio is used
    sys_ticks_s: float = 0.0
    rss_kb: int = 0
    threads: int = 0
    procs: int = 0
    ctxsw: dict = field(default_factory=dict)   # tid -> (voluntary, involuntary)


def _runtime_s(path):
    """A task's CPU time in nanoseconds from its schedstat (first field), in seconds."""
    text = read_text(path)
    return int(text.split()[0]) / 1e9 if text else 0.0


def sample_server(root_pid):
    """CPU of the server and all its descendants, summed VmHWM, tasks,
    processes and the context switches of every task.

    CPU: /proc/PID/stat's utime+stime are whole clock ticks per process, so a
    thousand fork children that each ran 0.5 ms read as zero.  The total is
    therefore, per process, the larger of its tick-based time (which keeps
    its exited threads) and the sum of its live tasks' nanosecond runtimes
    (schedstat), plus the time of its reaped children (cutime+cstime, summed
    by the kernel before the one rounding).  Ticks give the user/system ratio."""
    s = Sample(time.monotonic())
    for pid in proc_tree(root_pid):
        stat = read_text(f"/proc/{pid}/stat")
        status = read_text(f"/proc/{pid}/status")
        if stat is None or status is None:
            continue
        f = stat_fields(stat)
        utime, stime, cutime, cstime, nthreads = int(f[11]), int(f[12]), int(f[13]), int(f[14]), int(f[17])
        s.user_ticks_s += (utime + cutime) / CLK_TCK
        s.sys_ticks_s += (stime + cstime) / CLK_TCK
        s.rss_kb += _status_value(status, "VmHWM")
        s.threads += nthreads
        s.procs += 1
        if nthreads == 1:
            runtime = _runtime_s(f"/proc/{pid}/schedstat")
            s.ctxsw[pid] = (_status_value(status, "voluntary_ctxt_switches"),
                            _status_value(status, "nonvoluntary_ctxt_switches"))
        else:
            runtime = 0.0
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                tids = []
            for tid in tids:
                ts = read_text(f"/proc/{pid}/task/{tid}/status")
                if ts is not None:
                    s.ctxsw[int(tid)] = (_status_value(ts, "voluntary_ctxt_switches"),
                                         _status_value(ts, "nonvoluntary_ctxt_switches"))
                    runtime += _runtime_s(f"/proc/{pid}/task/{tid}/schedstat")
        s.cpu_s += max((utime + stime) / CLK_TCK, runtime) + (cutime + cstime) / CLK_TCK
    return s


def cpu_times():
    """{cpu: (busy, softirq, total)} in jiffies from /proc/stat; busy includes
    irq and softirq, the kernel's network work that no process is charged for."""
    out = {}
    for line in (read_text("/proc/stat") or "").splitlines():
        f = line.split()
        if f and f[0].startswith("cpu") and f[0] != "cpu":
            v = [int(x) for x in f[1:9]]
            idle = v[3] + v[4]
            out[int(f[0][3:])] = (sum(v) - idle, v[6], sum(v))
    return out


def cpu_busy(a, b, cpus):
    """(busy %, softirq %) of a CPU set's capacity between two cpu_times() snapshots."""
    busy = sum(b[c][0] - a[c][0] for c in cpus if c in a and c in b)
    soft = sum(b[c][1] - a[c][1] for c in cpus if c in a and c in b)
    total = sum(b[c][2] - a[c][2] for c in cpus if c in a and c in b)
    return (100.0 * busy / total, 100.0 * soft / total) if total > 0 else (None, None)


def last_pid():
    text = read_text("/proc/sys/kernel/ns_last_pid")
    return int(text) if text else None


class Window:
    """The server's counters over the measured window: from the first sample
    (end of warm-up) to the last one taken while the client was still running
    (after it exits, per-connection threads and processes are gone with their
    counts).  Counts are scaled from the window's length to duration_s."""

    def __init__(self):
        self.samples = []         # (Sample, kernel's last allocated pid)
        self.cpus = []            # cpu_times() at each sample

    def add(self, s):
        self.samples.append((s, last_pid()))
        self.cpus.append(cpu_times())

    def cpu_busy(self, cpus):
        """(busy %, softirq %) of these CPUs over the whole sampled window."""
        if len(self.cpus) < 2:
            return None, None
        return cpu_busy(self.cpus[0], self.cpus[-1], cpus)

    def columns(self, duration_s):
        if len(self.samples) < 2:
            return {}
        # The client closes its connections just before it exits, and samples
        # may fall in between: then the window ends at the last sample before
        # server tasks began to vanish, if that keeps at least half the window.
        end = len(self.samples) - 1
        t_first, t_last = self.samples[0][0].t, self.samples[end][0].t
        for i in range(end, 0, -1):
            if self.samples[i][0].t - t_first < 0.5 * (t_last - t_first):
                break
            if not self._vanished(i):
                end = i
                break
        (a, pid0), (b, pid1) = self.samples[0], self.samples[end]
        wall = b.t - a.t
        scale = duration_s / wall
        cpu = max(0.0, b.cpu_s - a.cpu_s)
        tick_user, tick_sys = b.user_ticks_s - a.user_ticks_s, b.sys_ticks_s - a.sys_ticks_s
        window = [s for s, _ in self.samples[:end + 1]]
        cols = {"srv_cpu_pct": f"{100.0 * cpu / wall:.1f}"}
        if tick_user + tick_sys > 0:
            user = cpu * tick_user / (tick_user + tick_sys)
            cols.update(srv_user_s=f"{user * scale:.3f}", srv_sys_s=f"{(cpu - user) * scale:.3f}")
        cols.update({
            "srv_rss_kb": str(max(s.rss_kb for s in window)),
            "srv_threads": str(max(s.threads for s in window)),
            "srv_procs": str(max(s.procs for s in window)),
        })
        # Tasks that ended inside the window took their counts with them;
        # tasks born and gone between two samples were never seen (the
        # kernel's last allocated pid tells whether any could have been).
        # Report context switches only when every server task is accounted for.
        born = set(b.ctxsw) - set(a.ctxsw)
        allocated = None
        if pid0 is not None and pid1 is not None:
            allocated = (pid1 - pid0) % int(read_text("/proc/sys/kernel/pid_max") or 32768)
        unseen = born and (allocated is None or allocated > len(born) + 8)
        if not self._vanished(end) and not unseen:
            vol = sum(v[0] - a.ctxsw.get(t, (0, 0))[0] for t, v in b.ctxsw.items())
            inv = sum(v[1] - a.ctxsw.get(t, (0, 0))[1] for t, v in b.ctxsw.items())
            cols["srv_ctxsw_vol"], cols["srv_ctxsw_invol"] = f"{vol * scale:.0f}", f"{inv * scale:.0f}"
        return cols

    def _vanished(self, end):
        """Did a task seen in samples[0..end] vanish by samples[end]?"""
        seen = set()
        for s, _ in self.samples[:end + 1]:
            seen.update(s.ctxsw)
        return bool(seen - set(self.samples[end][0].ctxsw))

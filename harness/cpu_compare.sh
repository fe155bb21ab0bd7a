#!/usr/bin/env bash
# cpu_compare.sh - keep-alive loadgen runs of a few servers side by side,
# interleaved (A B C, A B C, ...), with the server's CPU cost per request.
# The st figures in issue 14's note come from this script.
#
#   harness/cpu_compare.sh CONNS WARMUP_S DURATION_S REPS SETUP...
#   SETUP: a model with flags, e.g. "epoll", "st", "thread --workers 8".
#   RATE=N in the environment: an open loop at N requests/s (loadgen -R),
#   the same offered load for every setup, instead of a closed loop.
# Server on CPU 0, loadgen (-t 1) on CPU 1. One line per run: requests/s;
# cpu0 µs/request = busy time of CPU 0 from /proc/stat (user, nice, system,
# irq, softirq) over the measured window, divided by requests in it (includes
# whatever else runs on CPU 0); proc µs/request = the server process' own
# utime+stime likewise (excludes softirq charged to no process); loadgen's
# CPU and errors. The window starts 0.5 s after warm-up and lasts
# DURATION_S - 1 s; requests in it = requests/s x its length.
set -u
cd "$(dirname "$0")/.."
[ $# -ge 5 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
conns=$1 warm=$2 dur=$3 reps=$4
shift 4
ulimit -n "$(ulimit -Hn)"
hz=$(getconf CLK_TCK)
cpu0_ticks() { awk '$1 == "cpu0" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() { # setup rep
	local tmp spid lpid port c0 p0 t0 c1 p1 t1
	tmp=$(mktemp)
	# shellcheck disable=SC2086
	taskset -c 0 bin/$1 -p 0 --quiet >"$tmp" 2>/dev/null &
	spid=$!
	port=$(python3 harness/proc.py port "$tmp" 5) ||
		{ echo "cpu_compare.sh: '$1' did not start" >&2; kill "$spid"; exit 1; }
	taskset -c 1 bin/loadgen -c "$conns" -t 1 ${RATE:+-R "$RATE"} -d "$dur" --warmup "$warm" --timeout 10000 \
		"http://127.0.0.1:$port/" >/dev/null 2>"$tmp.lg" &
	lpid=$!
	sleep "$warm"; sleep 0.5
	c0=$(cpu0_ticks); p0=$(proc_ticks "$spid"); t0=$(date +%s.%N)
	sleep "$(echo "$dur - 1" | bc)"
	c1=$(cpu0_ticks); p1=$(proc_ticks "$spid"); t1=$(date +%s.%N)
	wait "$lpid"
	kill "$spid"; wait "$spid" 2>/dev/null
	awk -v s="$1" -v c="$conns" -v rep="$2" -v c0="$c0" -v c1="$c1" -v p0="$p0" -v p1="$p1" \
	    -v t0="$t0" -v t1="$t1" -v hz="$hz" '
		/^Requests\/sec/ {rps = $2} /^Client CPU/ {cli = $3} /Errors:/ {sub(/.*Errors: /, ""); err = $0}
		END {w = t1 - t0; req = rps * w
		     printf "%-10s c=%-6d rep=%d rps=%9.0f cpu0_us/req=%7.2f proc_us/req=%6.2f cpu0_busy=%5.1f%% client_cpu=%s errors: %s\n",
		            s, c, rep, rps, (c1 - c0) / hz * 1e6 / req, (p1 - p0) / hz * 1e6 / req, (c1 - c0) / hz / w * 100, cli, err}' "$tmp.lg"
	rm -f "$tmp" "$tmp.lg"
}

echo "# loadgen -c$conns -t1 ${RATE:+-R $RATE }--warmup $warm -d $dur, server CPU 0, client CPU 1, $reps reps, $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$reps"); do
	for setup in "$@"; do
		run_one "$setup" "$rep"
	done
done | tee "${TMPDIR:-/tmp}/cpu_compare.$$"
python3 -c '
import re, sys, statistics
runs = {}
for line in sys.stdin:
    m = re.match(r"(.+?)\s+c=\d+\s+rep=\d+ rps=\s*(\S+) cpu0_us/req=\s*(\S+) proc_us/req=\s*(\S+)", line)
    if m:
        runs.setdefault(m[1], []).append([float(x) for x in m.groups()[1:]])
cell = lambda v, f: (f + " [" + f + "-" + f + "]") % (statistics.median(v), min(v), max(v))
print("# median [min-max]: requests/s | cpu0 us/request | proc us/request")
for s, v in runs.items():
    print("%-10s %-24s %-22s %s" % (s, cell([r[0] for r in v], "%.0f"), cell([r[1] for r in v], "%.1f"), cell([r[2] for r in v], "%.1f")))
' <"${TMPDIR:-/tmp}/cpu_compare.$$"
rm -f "${TMPDIR:-/tmp}/cpu_compare.$$"

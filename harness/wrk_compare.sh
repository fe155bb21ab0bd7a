#!/usr/bin/env bash
# wrk_compare.sh - keep-alive wrk figures for a few servers side by side,
# interleaved (A B C, A B C, ...) so that drift in the machine hits all alike.
# The figures quoted in the issue notes come from this script.
#
#   harness/wrk_compare.sh [-c CONNS] [-d SECONDS] [-r REPS] [-t THREADS]
#                          [-s SERVER_CPUS] [-l CLIENT_CPUS] SETUP...
#   SETUP: a model with flags, e.g. "epoll", "epoll --workers 2",
#          "iocp-emul --backend epoll", "thread --block-us 1000",
#          or "nginx" (one worker, `return 200 "Hello, World!"`).
# Prints one line per run and a summary (median [min-max] requests/s, and
# non-2xx/socket errors); exits non-zero if a server fails to start.
set -euo pipefail
cd "$(dirname "$0")/.."

conns=100 secs=5 reps=3 threads=1 srv_cpus=0 cli_cpus=1
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while getopts "c:d:r:t:s:l:h" opt; do
	case $opt in
	c) conns=$OPTARG ;; d) secs=$OPTARG ;; r) reps=$OPTARG ;; t) threads=$OPTARG ;;
	s) srv_cpus=$OPTARG ;; l) cli_cpus=$OPTARG ;; h) usage 0 ;; *) usage 2 >&2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "wrk_compare.sh: name at least one setup (see -h)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk_compare.sh: wrk not found: run 'make deps'" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # setup -> sets srv_pid and port
	local setup=$1
	if [ "$setup" = nginx ]; then
		port=$((20000 + RANDOM % 9000))
		mkdir -p "$tmp/nginx"
		cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $tmp/nginx/pid; error_log stderr error;
worker_rlimit_nofile 20000;
events { worker_connections 19000; }
http { access_log off; keepalive_requests 100000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:$port reuseport backlog=4096;
    location / { default_type text/plain; return 200 "Hello, World!"; } } }
CONF
		taskset -c "$srv_cpus" nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
		srv_pid=$!
		for _ in $(seq 100); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
			sleep 0.05
		done
		echo "wrk_compare.sh: nginx did not start" >&2; return 1
	fi
	# shellcheck disable=SC2086
	taskset -c "$srv_cpus" bin/$setup -p 0 --quiet >"$tmp/ready" &
	srv_pid=$!
	port=$(python3 harness/proc.py port "$tmp/ready" 5) ||
		{ echo "wrk_compare.sh: '$setup' did not start" >&2; return 1; }
}

stop_server() {
	kill "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=
}

echo "# wrk -t$threads -c$conns -d${secs}s, server on CPU $srv_cpus, wrk on CPU $cli_cpus, $reps reps, $(date -u +%FT%TZ)"
for rep in $(seq "$reps"); do
	for setup in "$@"; do
		start_server "$setup"
		out=$(taskset -c "$cli_cpus" wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
			"http://127.0.0.1:$port/" 2>&1)
		stop_server
		rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
		p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
		p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
		errs=$( (grep -E 'Socket errors|Non-2xx' <<<"$out" || true) | tr -s ' ' | tr '\n' ';')
		printf '%s\t%s\trep %s\t%s rps\tp50 %s\tp99 %s\t%s\n' "$setup" "$conns" "$rep" "$rps" "$p50" "$p99" "${errs:-no errors}" |
			tee -a "$tmp/rows"
	done
done
echo "# summary: median [min-max] requests/s"
for setup in "$@"; do
	awk -F'\t' -v s="$setup" '$1 == s { split($4, a, " "); print a[1] }' "$tmp/rows" | sort -n |
		awk -v s="$setup" -v c="$conns" '{ v[NR] = $1 } END {
			printf "%-32s c=%-6s %10.0f  [%.0f-%.0f]\n", s, c, v[int((NR + 1) / 2)], v[1], v[NR] }'
done

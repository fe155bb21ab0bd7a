#!/bin/sh
# netns.sh - a test rig of three "hosts" in network namespaces on this machine:
# one server host and two client hosts, joined by a bridge, each with its own
# sshd, so the runner's several-host path (--server-host, --client-hosts) runs
# end to end on one box.
#
#   harness/netns.sh up      create the rig (idempotent: an existing rig is kept); prints the host names
#   harness/netns.sh down    kill the rig's sshds, delete its namespaces, bridge and veths, its folder
#   harness/netns.sh status  what exists now
#
# Layout: namespaces cs-srv, cs-cli1, cs-cli2; a bridge csbr0 inside cs-srv;
# veth pairs cs-cli1 eth0 <-> cs-srv vc1, cs-cli2 eth0 <-> cs-srv vc2.
# Addresses 10.213.0.1 (srv), .2 (cli1), .3 (cli2) /24 exist only inside the
# namespaces: no address or route is added to the host's own namespace, so
# rig traffic never leaves them.  No link delay (this kernel has no netem).
# The runner, in the host's namespace, reaches each sshd through ssh's
# ProxyCommand: a small relay run with `ip netns exec` inside the namespace.
#
# Environment: CONCSUITE_NETNS_DIR (rig folder), CONCSUITE_NETNS_PREFIX (namespace
# prefix, default cs): the addresses are per namespace, so two rigs can coexist.
# Rig folder $RIG (default /run/concsuite-netns): host key, client key,
# authorized_keys, sshd configs and pid files, ssh_config, known_hosts, relay.py.
# Use:  ssh -F $RIG/ssh_config srv true
#       ./run_all.sh --ssh-config $RIG/ssh_config --server-host srv --client-hosts cli1,cli2 ...
# Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for ip netns), iproute2, openssh-server, python3.
set -eu

RIG=${CONCSUITE_NETNS_DIR:-/run/concsuite-netns}
PFX=${CONCSUITE_NETNS_PREFIX:-cs}   # namespace names $PFX-srv ...: a second rig (the test's) beside the first
NAMES="srv cli1 cli2"
NET=10.213.0
BR=csbr0

ns_of() { echo "$PFX-$1"; }
addr_of() {
	case $1 in srv) echo $NET.1 ;; cli1) echo $NET.2 ;; cli2) echo $NET.3 ;; esac
}
die() { echo "netns.sh: $*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "needs root (CAP_NET_ADMIN to create network namespaces); run as root or skip the rig"
	command -v ip >/dev/null || die "ip (iproute2) not found"
	[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found (apt-get install openssh-server)"
	command -v ssh-keygen >/dev/null || die "ssh-keygen not found (apt-get install openssh-client)"
}

# Can this process create a namespace at all (a container may forbid it)?
probe_netns() {
	probe=cs-probe-$$
	if ! ip netns add "$probe" 2>/dev/null; then
		die "cannot create a network namespace (no CAP_NET_ADMIN/CAP_SYS_ADMIN here?): 'ip netns add' failed"
	fi
	ip netns del "$probe"
}

write_relay() {
	cat >"$RIG/relay.py" <<'EOF'
# relay.py HOST PORT: stdin/stdout <-> a TCP connection (ssh ProxyCommand, run inside a namespace).
import os, select, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.settimeout(None)
fds = [0, s.fileno()]
while fds:
    for fd in select.select(fds, [], [])[0]:
        if fd == 0:
            data = os.read(0, 65536)
            if data:
                s.sendall(data)
            else:
                s.shutdown(socket.SHUT_WR)
                fds.remove(0)
        else:
            data = s.recv(65536)
            if not data:
                sys.exit(0)
            os.write(1, data)
EOF
}

write_keys() {
	[ -f "$RIG/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C concsuite-netns-host -f "$RIG/host_key"
	[ -f "$RIG/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C concsuite-netns-client -f "$RIG/client_key"
	cp "$RIG/client_key.pub" "$RIG/authorized_keys"
	: >"$RIG/known_hosts"
	: >"$RIG/ssh_config"
	for h in $NAMES; do
		echo "$(addr_of $h) $(cut -d' ' -f1-2 "$RIG/host_key.pub")" >>"$RIG/known_hosts"
		cat >>"$RIG/ssh_config" <<EOF
Host $h
    HostName $(addr_of $h)
    User root
    IdentityFile $RIG/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $RIG/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
    LogLevel ERROR
    ProxyCommand ip netns exec $(ns_of $h) python3 $RIG/relay.py %h %p

EOF
	done
}

write_sshd_config() {
	cat >"$RIG/sshd_$1.conf" <<EOF
ListenAddress $(addr_of $1):22
HostKey $RIG/host_key
PidFile $RIG/sshd_$1.pid
AuthorizedKeysFile $RIG/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AcceptEnv LANG
Subsystem sftp internal-sftp
EOF
}

make_links() {
	srv=$(ns_of srv)
	ip netns add "$srv"
	ip -n "$srv" link set lo up
	ip -n "$srv" link add $BR type bridge
	ip -n "$srv" addr add $NET.1/24 dev $BR
	ip -n "$srv" link set $BR up
	i=1
	for h in cli1 cli2; do
		ns=$(ns_of $h)
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip -n "$ns" link add eth0 type veth peer name vc$i netns "$srv"
		ip -n "$ns" addr add "$(addr_of $h)/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$srv" link set vc$i master $BR
		ip -n "$srv" link set vc$i up
		i=$((i + 1))
	done
}

sshd_running() {
	[ -f "$RIG/sshd_$1.pid" ] && kill -0 "$(cat "$RIG/sshd_$1.pid")" 2>/dev/null
}

start_sshds() {
	if [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd
		echo made >"$RIG/made_run_sshd"
	fi
	for h in $NAMES; do
		sshd_running $h && continue
		write_sshd_config $h
		ip netns exec "$(ns_of $h)" /usr/sbin/sshd -f "$RIG/sshd_$h.conf" -E "$RIG/sshd_$h.log" ||
			die "sshd in $(ns_of $h) did not start; see $RIG/sshd_$h.log"
	done
}

wait_ssh() {
	for h in $NAMES; do
		n=0
		until ssh -F "$RIG/ssh_config" "$h" true 2>/dev/null; do
			n=$((n + 1))
			[ $n -lt 50 ] || die "ssh -F $RIG/ssh_config $h does not answer; see $RIG/sshd_$h.log"
			sleep 0.1
		done
	done
}

rig_exists() { ip netns list 2>/dev/null | grep -q "^$PFX-srv\\b"; }

cmd_up() {
	need_root
	if rig_exists && [ -f "$RIG/ssh_config" ]; then
		start_sshds
	else
		rig_exists && cmd_down >/dev/null
		probe_netns
		mkdir -p "$RIG" && chmod 700 "$RIG"
		write_relay
		write_keys
		make_links || { cmd_down >/dev/null 2>&1; die "creating the namespaces and links failed"; }
		start_sshds
	fi
	wait_ssh
	echo "rig up: ssh config $RIG/ssh_config"
	echo "server host: srv ($(addr_of srv))   client hosts: cli1 ($(addr_of cli1)), cli2 ($(addr_of cli2))"
	echo "run: ./run_all.sh --ssh-config $RIG/ssh_config --server-host srv --client-hosts cli1,cli2 --experiments seda --models epoll --quick"
}

cmd_down() {
	need_root
	for h in $NAMES; do
		if sshd_running $h; then
			pid=$(cat "$RIG/sshd_$h.pid")
			kill "$pid" 2>/dev/null || true
			n=0
			while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		fi
	done
	# Anything still running inside the namespaces (a session's children) goes with them.
	for h in $NAMES; do
		ns=$(ns_of $h)
		if ip netns list | grep -q "^$ns\b"; then
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
			ip netns del "$ns"
		fi
	done
	[ -f "$RIG/made_run_sshd" ] && rmdir /run/sshd 2>/dev/null || true
	rm -rf "$RIG"
	echo "rig down: no $PFX-* namespace, veth or rig sshd left"
}

cmd_status() {
	echo "namespaces: $(ip netns list 2>/dev/null | grep "^$PFX-" | cut -d' ' -f1 | tr '\n' ' ')"
	for h in $NAMES; do
		if sshd_running $h; then echo "sshd $h: pid $(cat "$RIG/sshd_$h.pid")"; else echo "sshd $h: not running"; fi
	done
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*) echo "usage: harness/netns.sh up|down|status   (rig folder: $RIG)" >&2; exit 2 ;;
esac

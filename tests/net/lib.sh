# shellcheck shell=bash disable=SC2034
# tests/net/lib.sh - helpers shared by the network namespace tests
# (tests/net/t_*.sh), bench/bench.sh and scripts/demo.sh. Source it from bash,
# as root, then call mn_init.
#
# What it gives (DESIGN.md §9, network-test rules and known traps):
# - a per-run namespace prefix "mnt<pid>" with a suffix per namespace
#   (mnt1234-a); a run record in /run/meshnode-net/mnt<pid> lists the run's
#   PID and start time, the PIDs it started, its namespaces and interfaces, so
#   mn_init can reap the leftovers of runs that died (killed by PID, never by
#   name);
# - cleanup on every exit (trap): stop the processes started here by PID, then
#   kill what `ip netns pids NS` still lists, then `ip netns del`;
# - explicit sysctls in each namespace (ip_forward, rp_filter=0, no DAD);
# - wait_for: poll a condition until a deadline; never a bare sleep as
#   synchronisation;
# - wg_up/wg_down: a WireGuard endpoint of a given implementation in a
#   namespace, "mn" (meshnode, $MESHNODE) or "wgo" (wireguard-go + wg setconf
#   + ip addr/link/route, what `meshnode wg` does by itself);
# - "sides": a, b, c... each with its own namespace, WireGuard interface name
#   (mn<pid><side>: /var/run/wireguard is shared by all namespaces), keys,
#   ports and addresses. Underlay: 198.18.0.0/24 and 2001:2::/64 on one
#   switch namespace; overlay: 100.64.0.N/32 and fd00:6d6e::N/128.
#
# Environment: MESHNODE (path of the meshnode binary), MN_TIME_SCALE (integer
# factor for every deadline, default 1), MN_KEEP_TMP=1 keeps the temp dir (logs
# of every process, configs), MN_WGO_LOG_LEVEL (wireguard-go's LOG_LEVEL,
# default error), MN_WG_TIMEOUT (bound on one `wg` call, default 10 s).

MN_STEM=mnt
MN_RECDIR=/run/meshnode-net
MN_RUN=$$
MN_PREFIX="$MN_STEM$MN_RUN"
MN_TMP=
MN_REC=
MN_NPASS=0
MN_NFAIL=0
MN_NS=()        # namespaces created by this run, in order
MN_IFS=()       # WireGuard interface names used by this run
MN_PIDLIST=()   # PIDs started by this run, in order
declare -gA MN_PID=()  # name -> PID
declare -gA MN_RC=()   # name -> exit status once stopped
declare -gA MN_LOG=()  # name -> log file
# Per side: namespace, interface, implementation, UDP port, underlay and
# overlay addresses, key files, config file.
declare -gA S_NS=() S_IF=() S_IMPL=() S_PORT=() S_U4=() S_U6=() S_O4=() S_O6=()
declare -gA S_KEY=() S_PUB=() S_CONF=() S_IDX=()

: "${MESHNODE:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/meshnode}"
: "${MN_TIME_SCALE:=1}"

# ---- output ---------------------------------------------------------------

say() { printf '# %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; MN_NPASS=$((MN_NPASS + 1)); }
fail() { printf 'FAIL: %s\n' "$*"; MN_NFAIL=$((MN_NFAIL + 1)); }
# check NAME CMD... : PASS or FAIL NAME by CMD's status; returns that status.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; return 0; fi
	fail "$name"
	return 1
}
# no_sanitizer_report LOG...: one check that no daemon log holds an
# AddressSanitizer or UndefinedBehaviorSanitizer report (names the logs that do).
no_sanitizer_report() {
	if grep -l "ERROR: AddressSanitizer\|runtime error:" "$@" 2>/dev/null; then
		fail "logs: sanitizer reports"
	else
		pass "logs: no sanitizer report"
	fi
}
# Print the results line and return non-zero if anything failed.
mn_summary() {
	say "$MN_NPASS passed, $MN_NFAIL failed"
	[ "$MN_NFAIL" -eq 0 ]
}

# ---- time and waiting -------------------------------------------------------

now_us() { echo "${EPOCHREALTIME/./}"; }

# wait_for [-p PID] [-i INTERVAL] SECONDS DESC CMD... : run CMD every INTERVAL
# seconds (0.1) until it succeeds (return 0) or SECONDS * MN_TIME_SCALE have
# passed (return 1, saying what was awaited). With -p, give up as soon as PID
# is gone.
wait_for() {
	local pid= every=0.1
	if [ "$1" = -p ]; then pid=$2; shift 2; fi
	if [ "$1" = -i ]; then every=$2; shift 2; fi
	local secs=$1 desc=$2
	shift 2
	local end=$(($(now_us) + secs * MN_TIME_SCALE * 1000000))
	while :; do
		"$@" && return 0
		if [ -n "$pid" ] && ! proc_alive "$pid"; then
			say "gave up waiting for $desc: process $pid exited"
			return 1
		fi
		if [ "$(now_us)" -ge "$end" ]; then
			say "timed out after ${secs}s waiting for $desc"
			return 1
		fi
		sleep "$every"
	done
}

# ---- processes ----------------------------------------------------------------

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat).
proc_starttime() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	read -r -a f <<<"$s"
	echo "${f[19]}"
}
# Alive and not a zombie.
proc_alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s:0:1}" != Z ]
}
# CPU seconds (user + system, all threads) used so far by PID, as a decimal.
proc_cpu_s() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	read -r -a f <<<"$s"
	awk -v t=$((f[11] + f[12])) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f\n", t / hz }'
}

rec() { [ -n "$MN_REC" ] && echo "$*" >>"$MN_REC"; }

# spawn NAME NS CMD... : run CMD in namespace NS in the background, output to
# $MN_TMP/NAME.log; remember its PID under NAME. NS "-" = this namespace.
spawn() {
	local name=$1 ns=$2
	shift 2
	local log="$MN_TMP/${name//[^A-Za-z0-9_.-]/_}.log"
	if [ "$ns" = - ]; then
		"$@" >"$log" 2>&1 &
	else
		ip netns exec "$ns" "$@" >"$log" 2>&1 &
	fi
	local pid=$!
	MN_PID[$name]=$pid
	MN_LOG[$name]=$log
	unset "MN_RC[$name]"
	MN_PIDLIST+=("$pid")
	rec "pid $pid $(proc_starttime "$pid")"
}

# stop NAME [SECONDS] [SIGNAL]: send SIGNAL (TERM), wait up to SECONDS
# (default 10) for the exit, then SIGKILL. The exit status lands in
# MN_RC[NAME]. Returns 0.
stop() {
	local name=$1 secs=${2:-10} sig=${3:-TERM} pid
	pid=${MN_PID[$name]:-}
	[ -n "$pid" ] || return 0
	if proc_alive "$pid"; then
		kill -"$sig" "$pid" 2>/dev/null
		if ! wait_for "$secs" "$name (pid $pid) to exit" eval "! proc_alive $pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	MN_RC[$name]=$?
	unset "MN_PID[$name]"
	return 0
}

# waitexit NAME SECONDS: wait for NAME to exit by itself; 0 if it did (status in
# MN_RC[NAME]), 1 if still running after SECONDS.
waitexit() {
	local name=$1 secs=$2 pid
	pid=${MN_PID[$name]:-}
	[ -n "$pid" ] || return 0
	wait_for "$secs" "$name (pid $pid) to finish" eval "! proc_alive $pid" || return 1
	wait "$pid" 2>/dev/null
	MN_RC[$name]=$?
	unset "MN_PID[$name]"
	return 0
}

running() { local p=${MN_PID[$1]:-}; [ -n "$p" ] && proc_alive "$p"; }

# ---- namespaces ---------------------------------------------------------------

nsname() { echo "$MN_PREFIX-$1"; }

# ns_add NAME [router]: create namespace NAME (from nsname) with lo up and
# explicit sysctls; "router" turns forwarding on.
ns_add() {
	local ns=$1 fwd=0
	[ "${2:-}" = router ] && fwd=1
	rec "ns $ns"
	ip netns add "$ns" || return 1
	MN_NS+=("$ns")
	ip -n "$ns" link set lo up
	local kv
	for kv in net.ipv4.ip_forward=$fwd net.ipv6.conf.all.forwarding=$fwd \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0; do
		ip netns exec "$ns" sysctl -q -w "$kv" >/dev/null || { say "sysctl $kv failed in $ns"; return 1; }
	done
}

# ns_del NS: kill (by PID) every process `ip netns pids` lists in NS, then
# delete it. Processes survive `ip netns del`, hence the order.
ns_del() {
	local ns=$1 pids
	ip netns list | awk '{print $1}' | grep -qxF "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	if [ -n "${pids// /}" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		local p
		for p in $pids; do
			wait_for 5 "pid $p in $ns to exit" eval "! proc_alive $p" >/dev/null || kill -KILL "$p" 2>/dev/null
		done
		for p in $pids; do
			wait_for 5 "pid $p in $ns to die" eval "! proc_alive $p" >/dev/null
		done
	fi
	ip netns del "$ns" 2>/dev/null
	local i
	for i in "${!MN_NS[@]}"; do [ "${MN_NS[$i]}" = "$ns" ] && unset "MN_NS[$i]"; done
	return 0
}

# A UAPI socket may be removed only when nobody answers on it.
sock_reap() {
	local ifn=$1 s=/var/run/wireguard/$1.sock
	[ -S "$s" ] || return 0
	timeout 5 wg show "$ifn" >/dev/null 2>&1 && return 0
	rm -f "$s"
}

# Reap what runs that died left behind: their recorded processes (if the PID
# still has the recorded start time), namespaces and stale UAPI sockets; and
# namespaces with our stem whose run PID is gone.
mn_reap() {
	local r kind a b pid st ns
	mkdir -p "$MN_RECDIR"
	for r in "$MN_RECDIR/$MN_STEM"[0-9]*; do
		[ -f "$r" ] || continue
		read -r kind pid st <"$r"
		if [ "$kind" = run ] && [ -n "$st" ] && proc_alive "$pid" && [ "$(proc_starttime "$pid")" = "$st" ]; then
			continue
		fi
		say "reaping leftovers of dead run $pid"
		while read -r kind a b; do
			case $kind in
			pid) [ -n "$b" ] && [ "$(proc_starttime "$a")" = "$b" ] && kill -KILL "$a" 2>/dev/null ;;
			esac
		done <"$r"
		while read -r kind a b; do
			case $kind in
			ns) ns_del "$a" ;;
			if) sock_reap "$a" ;;
			tmp) [[ $a == /tmp/"$MN_STEM"[0-9]*.* ]] && rm -rf "$a" ;;
			esac
		done <"$r"
		rm -f "$r"
	done
	for ns in $(ip netns list | awk '{print $1}'); do
		[[ $ns =~ ^$MN_STEM([0-9]+)- ]] || continue
		pid=${BASH_REMATCH[1]}
		[ -f "$MN_RECDIR/$MN_STEM$pid" ] && continue
		[ "$pid" != "$$" ] && proc_alive "$pid" && continue
		say "reaping leftover namespace $ns"
		ns_del "$ns"
	done
}

mn_cleanup() {
	local rc=$? i pid
	trap - EXIT INT TERM
	for ((i = ${#MN_PIDLIST[@]} - 1; i >= 0; i--)); do
		pid=${MN_PIDLIST[$i]}
		proc_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for ((i = ${#MN_PIDLIST[@]} - 1; i >= 0; i--)); do
		pid=${MN_PIDLIST[$i]}
		wait_for 5 "pid $pid to exit" eval "! proc_alive $pid" >/dev/null || kill -KILL "$pid" 2>/dev/null
	done
	local nss=("${MN_NS[@]}")
	for ((i = ${#nss[@]} - 1; i >= 0; i--)); do ns_del "${nss[$i]}"; done
	for i in "${MN_IFS[@]}"; do sock_reap "$i"; done
	[ -n "$MN_REC" ] && rm -f "$MN_REC"
	rmdir "$MN_RECDIR" 2>/dev/null
	if [ -n "$MN_TMP" ] && [ -d "$MN_TMP" ]; then
		if [ "${MN_KEEP_TMP:-}" = 1 ]; then say "kept $MN_TMP"; else rm -rf "$MN_TMP"; fi
	fi
	exit "$rc"
}

# mn_init: check we can run, reap dead runs, make the temp dir and run record,
# install the cleanup trap.
mn_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "network tests need root" >&2
		return 1
	fi
	local t
	for t in ip wg wireguard-go iperf3 ping ss sysctl awk; do
		command -v "$t" >/dev/null || { echo "missing tool: $t (scripts/deps.sh installs it)" >&2; return 1; }
	done
	mn_reap
	MN_TMP=$(mktemp -d "/tmp/$MN_PREFIX.XXXXXX") || return 1
	MN_REC=$MN_RECDIR/$MN_PREFIX
	mkdir -p "$MN_RECDIR" && printf 'run %s %s\ntmp %s\n' $$ "$(proc_starttime $$)" "$MN_TMP" >"$MN_REC" || return 1
	trap mn_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# ---- implementations -----------------------------------------------------------

impl_norm() {
	case $1 in
	mn | meshnode) echo mn ;;
	wgo | wireguard-go) echo wgo ;;
	*) return 1 ;;
	esac
}
impl_name() { case $1 in mn) echo meshnode ;; wgo) echo wireguard-go ;; *) echo "$1" ;; esac; }
# Is the implementation runnable here?
impl_ok() {
	case $1 in
	mn) [ -x "$MESHNODE" ] ;;
	wgo) command -v wireguard-go >/dev/null ;;
	*) return 1 ;;
	esac
}

# genkey IMPL / pubkey IMPL (stdin -> stdout)
genkey() { if [ "$1" = mn ]; then timeout 10 "$MESHNODE" genkey; else wg genkey; fi; }
pubkey() { if [ "$1" = mn ]; then timeout 10 "$MESHNODE" pubkey; else wg pubkey; fi; }

# conf_values FILE KEY: every value of KEY (case-insensitive) in a wg-quick
# file, one per line, comma lists split.
conf_values() {
	awk -v key="$2" '
	{
		line = $0; sub(/#.*/, "", line); i = index(line, "=")
		if (!i) next
		k = substr(line, 1, i - 1); v = substr(line, i + 1); gsub(/[ \t\r]/, "", k)
		if (tolower(k) != tolower(key)) next
		n = split(v, p, ",")
		for (j = 1; j <= n; j++) { x = p[j]; gsub(/^[ \t]+|[ \t\r]+$/, "", x); if (x != "") print x }
	}' "$1"
}
# conf_strip FILE: the file without wg-quick-only keys, for `wg setconf`.
conf_strip() {
	awk '
	{
		line = $0; i = index(line, "=")
		if (i) { k = substr(line, 1, i - 1); gsub(/[ \t\r]/, "", k); k = tolower(k)
			if (k ~ /^(address|mtu|dns|table|preup|postup|predown|postdown|saveconfig)$/) next }
		print
	}' "$1"
}

# wgn NS ARGS...: `wg ARGS...` in namespace NS, bounded in time (a UAPI server
# that never answers must not hang the run).
wgn() { local ns=$1; shift; ip netns exec "$ns" timeout "${MN_WG_TIMEOUT:-10}" wg "$@"; }

wg_ready() { # NS IFACE
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q '[<,]UP[,>]' &&
		wgn "$1" show "$2" >/dev/null 2>&1
}
wg_sock_up() { # NS IFACE
	ip -n "$1" link show dev "$2" >/dev/null 2>&1 && wgn "$1" show "$2" >/dev/null 2>&1
}

# wg_up NS IFACE IMPL CONF [SECONDS]: start a WireGuard endpoint of IMPL on
# IFACE in NS configured from the wg-quick style CONF, and wait until the link
# is up and `wg show IFACE` answers. The process is named "wg:IFACE".
wg_up() {
	local ns=$1 ifn=$2 impl=$3 conf=$4 secs=${5:-20} name="wg:$2"
	MN_IFS+=("$ifn")
	rec "if $ifn"
	case $impl in
	mn)
		spawn "$name" "$ns" "$MESHNODE" wg "$ifn" --config "$conf"
		wait_for -p "${MN_PID[$name]}" "$secs" "meshnode $ifn up in $ns" wg_ready "$ns" "$ifn" || {
			wg_diag "$name"
			return 1
		}
		;;
	wgo)
		spawn "$name" "$ns" env LOG_LEVEL="${MN_WGO_LOG_LEVEL:-error}" wireguard-go -f "$ifn"
		wait_for -p "${MN_PID[$name]}" "$secs" "wireguard-go $ifn in $ns" wg_sock_up "$ns" "$ifn" || {
			wg_diag "$name"
			return 1
		}
		local stripped="$MN_TMP/$ifn.stripped.conf" a mtu
		conf_strip "$conf" >"$stripped"
		wgn "$ns" setconf "$ifn" "$stripped" || return 1
		for a in $(conf_values "$conf" Address); do ip -n "$ns" addr add "$a" dev "$ifn" || return 1; done
		mtu=$(conf_values "$conf" MTU | tail -1)
		ip -n "$ns" link set dev "$ifn" mtu "${mtu:-1420}" up || return 1
		for a in $(conf_values "$conf" AllowedIPs); do ip -n "$ns" route replace "$a" dev "$ifn" || return 1; done
		;;
	*)
		say "unknown implementation $impl"
		return 1
		;;
	esac
}

# wg_down IFACE [SECONDS] [SIGNAL]: stop the endpoint (SIGTERM), wait for
# it; status in MN_RC[wg:IFACE].
wg_down() { stop "wg:$1" "${2:-10}" "${3:-TERM}"; }

# Print the tail of a process's log, prefixed for the test output.
wg_diag() {
	local log=${MN_LOG[$1]:-}
	[ -n "$log" ] && [ -s "$log" ] || return 0
	say "--- last lines of $1 log ($log):"
	tail -n "${2:-15}" "$log" | sed 's/^/#   /'
}

# ---- sides and the underlay --------------------------------------------------------

# side_init SIDE IDX IMPL: names and addresses of endpoint SIDE (a letter).
side_init() {
	local s=$1 i=$2
	S_IDX[$s]=$i
	S_IMPL[$s]=$3
	S_NS[$s]=$(nsname "$s")
	S_IF[$s]="mn$MN_RUN$s"
	[ ${#S_IF[$s]} -le 15 ] || { say "interface name ${S_IF[$s]} too long"; return 1; }
	S_PORT[$s]=$((51819 + i))
	S_U4[$s]=198.18.0.$i
	S_U6[$s]=2001:2::$i
	S_O4[$s]=100.64.0.$i
	S_O6[$s]=fd00:6d6e::$i
	S_CONF[$s]=$MN_TMP/$s.conf
	S_KEY[$s]=$MN_TMP/$s.key
	S_PUB[$s]=$MN_TMP/$s.pub
}

# side_keys SIDE [IMPL]: generate the key pair of SIDE with IMPL's tool
# (default wg).
side_keys() {
	local s=$1 tool=${2:-wgo}
	(umask 077 && genkey "$tool" >"${S_KEY[$s]}") || return 1
	pubkey "$tool" <"${S_KEY[$s]}" >"${S_PUB[$s]}" || return 1
	[ -s "${S_PUB[$s]}" ]
}
key() { cat "${S_KEY[$1]}"; }
pub() { cat "${S_PUB[$1]}"; }

# conf_iface SIDE [MTU]: start SIDE's config file with its [Interface].
conf_iface() {
	local s=$1
	cat >"${S_CONF[$s]}" <<-EOF
		[Interface]
		PrivateKey = $(key "$s")
		ListenPort = ${S_PORT[$s]}
		Address = ${S_O4[$s]}/32, ${S_O6[$s]}/128
		MTU = ${2:-1420}
	EOF
}
# conf_peer SIDE PEER [ENDPOINT] [PSKFILE] [KEEPALIVE]: add PEER to SIDE's
# config; ENDPOINT "4" / "6" = PEER's underlay address of that family, empty =
# none.
conf_peer() {
	local s=$1 p=$2 ep=${3:-} psk=${4:-} ka=${5:-}
	{
		echo
		echo "[Peer]"
		echo "PublicKey = $(pub "$p")"
		[ -n "$psk" ] && echo "PresharedKey = $(cat "$psk")"
		echo "AllowedIPs = ${S_O4[$p]}/32, ${S_O6[$p]}/128"
		case $ep in
		4) echo "Endpoint = ${S_U4[$p]}:${S_PORT[$p]}" ;;
		6) echo "Endpoint = [${S_U6[$p]}]:${S_PORT[$p]}" ;;
		esac
		[ -n "$ka" ] && echo "PersistentKeepalive = $ka"
	} >>"${S_CONF[$s]}"
}

side_up() { wg_up "${S_NS[$1]}" "${S_IF[$1]}" "${S_IMPL[$1]}" "${S_CONF[$1]}" "${2:-20}"; }
side_down() { wg_down "${S_IF[$1]}" "${2:-10}" "${3:-TERM}"; }
side_rc() { echo "${MN_RC[wg:${S_IF[$1]}]:-}"; }
# wgs SIDE ARGS...: `wg show SIDE's interface ARGS...` inside its namespace.
wgs() { local s=$1; shift; wgn "${S_NS[$s]}" show "${S_IF[$s]}" "$@"; }
# inns SIDE CMD...: run CMD in SIDE's namespace.
inns() { local s=$1; shift; ip netns exec "${S_NS[$s]}" "$@"; }

# lan_up SIDE...: a switch namespace with a bridge and one namespace per SIDE,
# each with veth "u0" on the bridge carrying S_U4/24 and S_U6/64. Waits until
# the first side reaches every other over IPv4 and IPv6.
lan_up() {
	local sw s first=
	sw=$(nsname sw)
	ns_add "$sw" || return 1
	ip -n "$sw" link add sw0 type bridge || return 1
	ip -n "$sw" link set sw0 up
	for s in "$@"; do
		ns_add "${S_NS[$s]}" || return 1
		ip -n "$sw" link add "p$s" type veth peer name u0 netns "${S_NS[$s]}" || return 1
		ip -n "$sw" link set "p$s" master sw0 up
		ip -n "${S_NS[$s]}" addr add "${S_U4[$s]}/24" dev u0
		ip -n "${S_NS[$s]}" addr add "${S_U6[$s]}/64" dev u0 nodad
		ip -n "${S_NS[$s]}" link set u0 up
	done
	for s in "$@"; do
		if [ -z "$first" ]; then first=$s; continue; fi
		wait_for 10 "underlay $first->$s" ping_ok "$first" "${S_U4[$s]}" || return 1
		wait_for 10 "underlay6 $first->$s" ping_ok "$first" "${S_U6[$s]}" || return 1
	done
}
# mesh_lan TEST SIDE...: each SIDE a meshnode side (side_init, numbered from
# 1; its interface's UAPI socket reaped at exit) on one bridged LAN (lan_up).
# Ends the test with a FAIL line naming TEST if that cannot be done.
mesh_lan() {
	local t=$1 s i=0
	shift
	for s in "$@"; do
		i=$((i + 1))
		side_init "$s" "$i" mn || { echo "FAIL: $t names"; exit 1; }
		MN_IFS+=("${S_IF[$s]}")
	done
	lan_up "$@" || { fail "$t: underlay"; exit 1; }
}
# lan_down: stop every endpoint and delete every namespace of this run.
lan_down() {
	local n i
	for n in "${!MN_PID[@]}"; do stop "$n" 5; done
	local nss=("${MN_NS[@]}")
	for ((i = ${#nss[@]} - 1; i >= 0; i--)); do ns_del "${nss[$i]}"; done
}

# underlay_move SIDE NEW4: move SIDE's IPv4 underlay address. Deleting a primary
# address also deletes its secondaries: delete the old one first, then add.
underlay_move() {
	local s=$1 new=$2
	ip -n "${S_NS[$s]}" addr del "${S_U4[$s]}/24" dev u0 || return 1
	ip -n "${S_NS[$s]}" addr add "$new/24" dev u0 || return 1
	S_U4[$s]=$new
}

# ping_ok SIDE ADDR [COUNT]: COUNT (1) pings from SIDE's namespace succeed.
ping_ok() { inns "$1" ping -c "${3:-1}" -W 1 -i 0.2 -q "$2" >/dev/null 2>&1; }

# ---- iperf3 -------------------------------------------------------------------

# iperf_server NAME SIDE PORT: one-shot iperf3 server in SIDE's namespace,
# waiting until it listens.
iperf_server() {
	local name=$1 s=$2 port=$3
	spawn "$name" "${S_NS[$s]}" iperf3 -s -1 -p "$port"
	wait_for -p "${MN_PID[$name]}" 10 "iperf3 server in $s" \
		eval "ip netns exec '${S_NS[$s]}' ss -Hltn 'sport = :$port' | grep -q LISTEN"
}
# iperf_parse JSONFILE: "bytes bits_per_second" received, from iperf3 --json.
iperf_parse() {
	awk '/"sum_received"/ { f = 1 }
	f && /"bytes"/ { gsub(/[^0-9.]/, "", $2); b = $2 }
	f && /"bits_per_second"/ { gsub(/[^0-9.e+]/, "", $2); r = $2; f = 0 }
	END { if (b == "" || r == "") exit 1; printf "%s %.0f\n", b, r }' "$1"
}
# iperf_run CLIENT SERVER SECONDS [PORT]: TCP from CLIENT to SERVER's overlay
# IPv4 address for SECONDS; sets IPERF_BYTES and IPERF_BPS (received). Not in
# $(...): it starts a process that cleanup must know about.
IPERF_BYTES=0
IPERF_BPS=0
iperf_run() {
	local c=$1 sv=$2 t=$3 port=${4:-5201} out r
	IPERF_BYTES=0
	IPERF_BPS=0
	out="$MN_TMP/iperf-$c-$sv.json"
	iperf_server "iperfd" "$sv" "$port" || return 1
	inns "$c" timeout $((t + 20)) iperf3 -c "${S_O4[$sv]}" -p "$port" -t "$t" --json >"$out" 2>&1
	local rc=$?
	waitexit iperfd 5 || stop iperfd 2
	if [ $rc -ne 0 ]; then
		say "iperf3 $c->$sv exited $rc: $(grep -m1 '"error"' "$out")"
		return 1
	fi
	r=$(iperf_parse "$out") || return 1
	read -r IPERF_BYTES IPERF_BPS <<<"$r"
}

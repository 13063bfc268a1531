#!/usr/bin/env bash
# meshnode-wg as wg-quick's userspace WireGuard, in network namespaces
# (tests/net/lib.sh): what a WireGuard user without the kernel module gets
# with WG_QUICK_USERSPACE_IMPLEMENTATION=meshnode-wg.
#
#   help     every command answers --help on stdout (exit 0); an unknown
#            option names itself (exit 2)
#   pair     for each pair X:Y, `wg-quick up` of side a with X and side b
#            with Y, both through wg-quick: MTU, addresses, routes for
#            AllowedIPs, PostUp; ping over IPv4 and IPv6 both ways (and a
#            full-MTU ping); `wg show`; then `wg-quick down` leaves no
#            interface, no UAPI socket and no process, and ran PostDown
#   default  AllowedIPs = 0.0.0.0/0, ::/0 on the meshnode-wg side, with
#            wg-quick's policy routing: an address beyond the peer
#            (198.19.0.1, 2001:2:19::1 on the peer's lo, dropped when they come on
#            the underlay) is reached through the tunnel; the underlay
#            datagrams to the peer's endpoint carry FwMark (counted by
#            nftables), while an unmarked packet would route into the tunnel;
#            `wg-quick down` restores rules, routes and nftables tables
#   delete   `ip link del` under a running meshnode-wg (foreground and
#            background): it exits 0 within a second and removes its socket;
#            a second meshnode-wg for a taken name fails in the foreground
#            of its caller, with the reason on stderr
#
# meshnode-wg is found on PATH through a link named meshnode-wg to $MESHNODE
# in the run's temp dir (nothing is installed).
#
# Environment:
#   MESHNODE          meshnode binary (default build/meshnode)
#   MN_PAIRS          pairs to run, default "mnwg:wgo mnwg:mnwg"
#                     (mnwg = meshnode-wg, wgo = wireguard-go; both run by wg-quick)
#   MN_CHECKS         default "help pair default delete"
#   MN_TIME_SCALE     multiply every deadline (default 1)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: wg_quick setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

PAIRS=${MN_PAIRS:-"mnwg:wgo mnwg:mnwg"}
CHECKS=${MN_CHECKS:-"help pair default delete"}
want() { [[ " $CHECKS " == *" $1 "* ]]; }

for t in wg-quick nft; do
	command -v "$t" >/dev/null || { fail "missing tool: $t (scripts/deps.sh installs it)"; mn_summary; exit 1; }
done
if [ ! -x "$MESHNODE" ]; then
	fail "meshnode binary $MESHNODE is missing or not executable"
	mn_summary
	exit 1
fi
MN_BIN=$MN_TMP/bin
mkdir -p "$MN_BIN" && ln -s "$(readlink -f "$MESHNODE")" "$MN_BIN/meshnode-wg" || exit 1
MESHNODE_WG=$MN_BIN/meshnode-wg

# ---- helpers ---------------------------------------------------------------------

impl_prog() { case $1 in mnwg) echo meshnode-wg ;; wgo) echo wireguard-go ;; *) return 1 ;; esac; }

# wq SIDE up|down: wg-quick on SIDE's config in its namespace, with S_IMPL's
# program as the userspace implementation; output appended to its log.
wq() {
	local s=$1 op=$2 prog
	prog=$(impl_prog "${S_IMPL[$s]}") || return 1
	inns "$s" env PATH="$MN_BIN:$PATH" WG_QUICK_USERSPACE_IMPLEMENTATION="$prog" \
		timeout $((30 * MN_TIME_SCALE)) wg-quick "$op" "${S_CONF[$s]}" >>"$MN_TMP/wq-$s.log" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || { say "wg-quick $op ${S_IF[$s]} exited $rc:"; tail -n 15 "$MN_TMP/wq-$s.log" | sed 's/^/#   /'; }
	return $rc
}

# ns_comm_pid NS COMM: the PID of the process named COMM in NS (first one).
ns_comm_pid() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
	done
	return 1
}

# adopt NAME PID: have cleanup stop PID (a daemon wg-quick started for us).
adopt() {
	MN_PID[$1]=$2
	MN_PIDLIST+=("$2")
	rec "pid $2 $(proc_starttime "$2")"
}

# side_wq SIDE IDX IMPL: a side whose config file is IFACE.conf (wg-quick's
# rule), with PostUp/PostDown hooks that leave a mark in the temp dir.
side_wq() {
	side_init "$1" "$2" "$3" || return 1
	mkdir -p "$MN_TMP/conf-$1"
	S_CONF[$1]=$MN_TMP/conf-$1/${S_IF[$1]}.conf
	MN_IFS+=("${S_IF[$1]}")
	rec "if ${S_IF[$1]}"
	side_keys "$1"
}
conf_hooks() { # SIDE
	cat >>"${S_CONF[$1]}" <<-EOF
		PostUp = echo %i > $MN_TMP/postup-$1
		PostDown = echo %i > $MN_TMP/postdown-$1
	EOF
}

daemon_of() { # SIDE: the PID of SIDE's userspace implementation
	ns_comm_pid "${S_NS[$1]}" "$(impl_prog "${S_IMPL[$1]}")"
}

# up SIDE: wg-quick up, then adopt its daemon as "d:SIDE".
up() {
	local s=$1 pid
	wq "$s" up || return 1
	pid=$(daemon_of "$s") || { say "$s: no $(impl_prog "${S_IMPL[$s]}") process in ${S_NS[$s]}"; return 1; }
	adopt "d:$s" "$pid"
}

gone_ok() { # SIDE PID: no interface, no socket, no process
	! ip -n "${S_NS[$1]}" link show dev "${S_IF[$1]}" >/dev/null 2>&1 &&
		[ ! -e "/var/run/wireguard/${S_IF[$1]}.sock" ] && ! proc_alive "$2"
}

# down SIDE: wg-quick down; then nothing of SIDE's interface may be left.
down() {
	local s=$1 pid=${MN_PID[d:$1]:-} ok=0
	wq "$s" down || ok=1
	if [ -n "$pid" ]; then
		wait_for 5 "${S_IF[$s]} gone (interface, socket, pid $pid)" gone_ok "$s" "$pid" || ok=1
		proc_alive "$pid" || unset "MN_PID[d:$s]"
	fi
	return $ok
}

# link_ok SIDE PEER MTU: addresses, MTU and routes to PEER, as wg-quick set them.
link_ok() {
	local s=$1 p=$2 mtu=$3 ns=${S_NS[$1]} ifn=${S_IF[$1]} ok=0 out
	out=$(ip -n "$ns" -o addr show dev "$ifn")
	grep -q "inet ${S_O4[$s]}/32" <<<"$out" || { say "$s: no ${S_O4[$s]}/32 on $ifn"; ok=1; }
	grep -q "inet6 ${S_O6[$s]}/128" <<<"$out" || { say "$s: no ${S_O6[$s]}/128 on $ifn"; ok=1; }
	ip -n "$ns" -o link show dev "$ifn" | grep -q " mtu $mtu " || { say "$s: mtu is not $mtu"; ok=1; }
	ip -n "$ns" -o link show dev "$ifn" | grep -q '[<,]UP[,>]' || { say "$s: $ifn is not up"; ok=1; }
	ip -n "$ns" route get "${S_O4[$p]}" 2>/dev/null | grep -q "dev $ifn" || { say "$s: no route to ${S_O4[$p]} via $ifn"; ok=1; }
	ip -n "$ns" route get "${S_O6[$p]}" 2>/dev/null | grep -q "dev $ifn" || { say "$s: no route to ${S_O6[$p]} via $ifn"; ok=1; }
	return $ok
}

# ping_full SIDE ADDR: IPv4 pings filling an MTU of 1380 (20 + 8 + 1352), DF.
ping_full() { inns "$1" ping -c 2 -W 2 -i 0.2 -q -M do -s 1352 "$2" >/dev/null 2>&1; }

hook_ran() { [ "$(cat "$MN_TMP/$1-$2" 2>/dev/null)" = "${S_IF[$2]}" ]; } # post{up,down} SIDE

wgshow_ok() { # SIDE PEER: `wg show` lists the peer with a handshake and traffic
	local s=$1 p=$2 out hs
	out=$(wgs "$s" 2>&1) || { say "wg show ${S_IF[$s]}: $out"; return 1; }
	grep -q "peer: $(pub "$p")" <<<"$out" || { say "$s: wg show lacks peer $p"; return 1; }
	grep -q "listening port: ${S_PORT[$s]}" <<<"$out" || { say "$s: wg show: port is not ${S_PORT[$s]}"; return 1; }
	hs=$(wgs "$s" latest-handshakes | awk -v k="$(pub "$p")" '$1 == k { print $2 }')
	[ -n "$hs" ] && [ "$hs" -gt 0 ] || { say "$s: no handshake with $p in wg show"; return 1; }
}

# ---- help ----------------------------------------------------------------------------

help_check() {
	local c ok out err rc
	for c in genkey pubkey wg version help; do
		ok=0
		out=$("$MESHNODE" "$c" --help 2>/dev/null </dev/null)
		rc=$?
		[ $rc -eq 0 ] && grep -q '^usage:' <<<"$out" || { say "meshnode $c --help: exit $rc, stdout '${out:0:60}'"; ok=1; }
		err=$("$MESHNODE" "$c" --no-such-option 2>&1 >/dev/null </dev/null)
		rc=$?
		[ $rc -eq 2 ] && grep -q -- '--no-such-option' <<<"$err" || { say "meshnode $c --no-such-option: exit $rc, stderr '${err:0:80}'"; ok=1; }
		check "meshnode $c: --help on stdout exits 0, an unknown option is named and exits 2" [ $ok -eq 0 ]
	done
	ok=0
	out=$("$MESHNODE_WG" --help 2>/dev/null) && grep -q 'usage: meshnode-wg' <<<"$out" || ok=1
	err=$("$MESHNODE_WG" --no-such-option 2>&1)
	[ $? -eq 2 ] && grep -q -- '--no-such-option' <<<"$err" || ok=1
	check "meshnode-wg: --help exits 0, an unknown option is named and exits 2" [ $ok -eq 0 ]
}

# ---- a pair through wg-quick ------------------------------------------------------------

pair() {
	local ia=$1 ib=$2 tag="$1:$2" a b
	a=p${#pairs_done}a
	b=p${#pairs_done}b
	pairs_done+=x
	side_wq "$a" 1 "$ia" && side_wq "$b" 2 "$ib" || { fail "$tag: setup"; return; }
	lan_up "$a" "$b" || { fail "$tag: underlay"; lan_down; return; }
	conf_iface "$a" 1380
	conf_hooks "$a"
	conf_peer "$a" "$b" 4
	conf_iface "$b" 1380
	conf_hooks "$b"
	conf_peer "$b" "$a"
	if ! check "$tag: wg-quick up ($(impl_prog "$ia"))" up "$a" ||
		! check "$tag: wg-quick up ($(impl_prog "$ib"))" up "$b"; then
		lan_down
		return
	fi
	check "$tag: a: MTU 1380, addresses, routes for AllowedIPs" link_ok "$a" "$b" 1380
	check "$tag: b: MTU 1380, addresses, routes for AllowedIPs" link_ok "$b" "$a" 1380
	check "$tag: PostUp ran on both sides (%i expanded)" eval "hook_ran postup $a && hook_ran postup $b"
	check "$tag: ping a->b IPv4" wait_for 10 "ping a->b" ping_ok "$a" "${S_O4[$b]}"
	check "$tag: ping a->b IPv6" wait_for 10 "ping6 a->b" ping_ok "$a" "${S_O6[$b]}"
	check "$tag: ping b->a IPv4" wait_for 10 "ping b->a" ping_ok "$b" "${S_O4[$a]}"
	check "$tag: ping b->a IPv6" wait_for 10 "ping6 b->a" ping_ok "$b" "${S_O6[$a]}"
	check "$tag: full-MTU ping a->b (1352 bytes, DF)" ping_full "$a" "${S_O4[$b]}"
	check "$tag: full-MTU ping b->a (1352 bytes, DF)" ping_full "$b" "${S_O4[$a]}"
	check "$tag: wg show a: peer, port, handshake" wgshow_ok "$a" "$b"
	check "$tag: wg show b: peer, port, handshake" wgshow_ok "$b" "$a"
	check "$tag: wg-quick down a: no interface, socket or process left" down "$a"
	check "$tag: wg-quick down b: no interface, socket or process left" down "$b"
	check "$tag: PostDown ran on both sides" eval "hook_ran postdown $a && hook_ran postdown $b"
	lan_down
}

# ---- a default route through the tunnel ---------------------------------------------------

FAR4=198.19.0.1
FAR6=2001:2:19::1
EP4=198.18.7.2 # the peer's endpoint, reached through the main table's default route

routing_state() { # SIDE: rules, routes of every table, nftables tables
	local ns=${S_NS[$1]}
	ip -n "$ns" -4 rule show
	ip -n "$ns" -6 rule show
	ip -n "$ns" -4 route show table all
	ip -n "$ns" -6 route show table all
	ip netns exec "$ns" nft list tables
}

# mark_count SIDE marked|unmarked: UDP datagrams to the endpoint counted by
# the output hook of table inet mnqcount.
mark_count() {
	inns "$1" nft list chain inet mnqcount out 2>/dev/null |
		awk -v w="$2" '/comment "'"$2"'"/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

default_route() {
	local a=da b=db tag="default route"
	side_wq "$a" 1 mnwg && side_wq "$b" 2 wgo || { fail "$tag: setup"; return; }
	lan_up "$a" "$b" || { fail "$tag: underlay"; lan_down; return; }
	# b holds the far addresses and its endpoint on lo; a reaches the
	# endpoint only through its main table's default route via b; b drops
	# the far addresses when they come over the underlay.
	ip -n "${S_NS[$b]}" addr add "$FAR4/32" dev lo &&
		ip -n "${S_NS[$b]}" addr add "$EP4/32" dev lo &&
		ip -n "${S_NS[$b]}" addr add "$FAR6/128" dev lo &&
		inns "$b" nft -f - <<-EOF || { fail "$tag: setup of b"; lan_down; return; }
			table inet mnqfar {
				chain in {
					type filter hook input priority 0;
					iifname "u0" ip daddr $FAR4 drop
					iifname "u0" ip6 daddr $FAR6 drop
				}
			}
		EOF
	ip -n "${S_NS[$a]}" route add default via "${S_U4[$b]}" dev u0 &&
		ip -n "${S_NS[$a]}" -6 route add default via "${S_U6[$b]}" dev u0 ||
		{ fail "$tag: setup of a"; lan_down; return; }
	wait_for 10 "endpoint $EP4 over the underlay" ping_ok "$a" "$EP4" || { fail "$tag: underlay to $EP4"; lan_down; return; }
	check "$tag: before: $FAR4 and $FAR6 unreachable over the underlay" \
		eval "! ping_ok $a $FAR4 && ! ping_ok $a $FAR6"

	conf_iface "$a"
	{
		echo
		echo "[Peer]"
		echo "PublicKey = $(pub "$b")"
		echo "AllowedIPs = 0.0.0.0/0, ::/0"
		echo "Endpoint = $EP4:${S_PORT[$b]}"
	} >>"${S_CONF[$a]}"
	conf_iface "$b"
	conf_peer "$b" "$a"
	routing_state "$a" >"$MN_TMP/routing-before"

	if ! check "$tag: wg-quick up (meshnode-wg, AllowedIPs 0.0.0.0/0, ::/0)" up "$a" ||
		! check "$tag: wg-quick up the peer (wireguard-go)" up "$b"; then
		lan_down
		return
	fi
	local port=${S_PORT[$b]} fw
	inns "$a" nft -f - <<-EOF || fail "$tag: counter setup"
		table inet mnqcount {
			chain out {
				type filter hook output priority 0;
				ip daddr $EP4 udp dport $port meta mark 51820 counter comment "marked"
				ip daddr $EP4 udp dport $port meta mark != 51820 counter comment "unmarked"
			}
		}
	EOF
	fw=$(wgs "$a" fwmark 2>/dev/null)
	check "$tag: wg-quick set FwMark 51820 through the UAPI (wg show: $fw)" [ "$fw" = 0xca6c ]
	check "$tag: $FAR4 routes into the tunnel" eval "ip -n ${S_NS[$a]} route get $FAR4 | grep -q 'dev ${S_IF[$a]}'"
	check "$tag: ping $FAR4 through the tunnel" wait_for 10 "ping $FAR4" ping_ok "$a" "$FAR4"
	check "$tag: ping $FAR6 through the tunnel" wait_for 10 "ping $FAR6" ping_ok "$a" "$FAR6"
	check "$tag: ping b's overlay address" ping_ok "$a" "${S_O4[$b]}"
	check "$tag: an unmarked packet to the endpoint would enter the tunnel" \
		eval "ip -n ${S_NS[$a]} route get $EP4 | grep -q 'dev ${S_IF[$a]}'"
	check "$tag: a packet marked 51820 to the endpoint takes the underlay" \
		eval "ip -n ${S_NS[$a]} route get $EP4 mark 51820 | grep -q 'dev u0'"
	local marked unmarked
	marked=$(mark_count "$a" marked)
	unmarked=$(mark_count "$a" unmarked)
	check "$tag: underlay datagrams carry the mark (marked $marked, unmarked $unmarked): no loop" \
		eval "[ '${marked:-0}' -gt 0 ] && [ '${unmarked:-x}' = 0 ]"
	check "$tag: wg show: handshake with b" wgshow_ok "$a" "$b"
	inns "$a" nft delete table inet mnqcount
	check "$tag: wg-quick down: no interface, socket or process left" down "$a"
	routing_state "$a" >"$MN_TMP/routing-after"
	if check "$tag: wg-quick down restored rules, routes and nftables tables" \
		cmp -s "$MN_TMP/routing-before" "$MN_TMP/routing-after"; then :; else
		diff "$MN_TMP/routing-before" "$MN_TMP/routing-after" | sed 's/^/#   /'
	fi
	check "$tag: the peer's wg-quick down" down "$b"
	lan_down
}

# ---- the interface deleted under meshnode-wg ------------------------------------------------

delete_check() {
	local ns ifa ifb t0 t1 pid err rc
	ns=$(nsname del)
	ifa="mq$MN_RUN"f
	ifb="mq$MN_RUN"g
	[ ${#ifb} -le 15 ] || { fail "delete: interface name $ifb too long"; return; }
	MN_IFS+=("$ifa" "$ifb")
	rec "if $ifa"
	rec "if $ifb"
	ns_add "$ns" || { fail "delete: namespace"; return; }

	# Foreground, verbose.
	spawn "fg" "$ns" env LOG_LEVEL=verbose "$MESHNODE_WG" -f "$ifa"
	if wait_for -p "${MN_PID[fg]}" 10 "meshnode-wg -f $ifa" wg_sock_up "$ns" "$ifa"; then
		t0=$(now_us)
		ip -n "$ns" link del "$ifa"
		if waitexit fg 1; then
			t1=$(now_us)
			check "delete: foreground meshnode-wg exits 0 ($(((t1 - t0) / 1000)) ms after ip link del)" [ "${MN_RC[fg]}" = 0 ]
		else
			fail "delete: foreground meshnode-wg still running 1 s after ip link del"
			wg_diag fg
		fi
		check "delete: foreground: socket removed" [ ! -e "/var/run/wireguard/$ifa.sock" ]
		check "delete: LOG_LEVEL=verbose says why it stopped" grep -q 'interface deleted' "${MN_LOG[fg]}"
	else
		fail "delete: meshnode-wg -f $ifa did not come up"
		wg_diag fg
	fi

	# Background (the default): the caller returns once the socket exists.
	if inns_ns "$ns" timeout 10 "$MESHNODE_WG" "$ifb" >"$MN_TMP/bg.log" 2>&1; then
		pass "delete: background meshnode-wg returned 0"
	else
		fail "delete: background meshnode-wg returned non-zero"
	fi
	check "delete: background: interface and socket exist when it returns" wg_sock_up "$ns" "$ifb"
	pid=$(ns_comm_pid "$ns" meshnode-wg)
	if [ -n "$pid" ]; then
		adopt bg "$pid"
		# A second one for the same name fails, and says why, to its caller.
		err=$(ip netns exec "$ns" timeout 10 "$MESHNODE_WG" "$ifb" 2>&1)
		rc=$?
		check "delete: a second meshnode-wg $ifb fails in its caller (exit $rc: ${err:0:60}...)" \
			eval "[ $rc -eq 1 ] && grep -q 'live process' <<<\"\$err\""
		ip -n "$ns" link del "$ifb"
		check "delete: background meshnode-wg exits within 1 s of ip link del" \
			wait_for 1 "pid $pid to exit" eval "! proc_alive $pid"
		check "delete: background: socket removed" [ ! -e "/var/run/wireguard/$ifb.sock" ]
	else
		fail "delete: no background meshnode-wg process in $ns"
	fi
	ns_del "$ns"
}
inns_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- main -------------------------------------------------------------------------------

pairs_done=
want help && help_check
if want pair; then
	for p in $PAIRS; do
		ia=${p%%:*}
		ib=${p##*:}
		if ! impl_prog "$ia" >/dev/null || ! impl_prog "$ib" >/dev/null; then
			fail "bad pair '$p' in MN_PAIRS"
			continue
		fi
		pair "$ia" "$ib"
	done
fi
want default && default_route
want delete && delete_check
mn_summary

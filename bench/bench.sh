#!/usr/bin/env bash
# Benchmark meshnode against wireguard-go on the same topology: two network
# namespaces on one switch namespace (tests/net/lib.sh), MTU 1420, the same
# configs, once with meshnode on both sides and once with wireguard-go on both
# sides. Reports, as a markdown table on stdout (progress goes to stderr):
#   iperf3 TCP throughput each way, idle ping RTT (average of N), and CPU
#   seconds per GB moved for the VPN processes (utime+stime deltas from
#   /proc/PID/stat over each transfer: the sending side, the receiving side,
#   and both), with the ratio meshnode / wireguard-go.
# A bench, not a test: scripts/test.sh does not run it. Needs root. Bounded:
# every step has a deadline; cleans up on every exit.
#
# Environment:
#   MESHNODE           meshnode binary (default build/meshnode)
#   MN_IMPL            implementation in the first column: mn (default) or
#                      wgo (develop the bench without meshnode)
#   MN_BENCH_SECONDS   length of each iperf3 run (default 10)
#   MN_BENCH_PINGS     number of pings for the RTT (default 20)
#   MN_BENCH_ROUNDS    rounds (default 1); rounds alternate which
#                      implementation goes first, results are averaged
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/net/lib.sh
. "$top/tests/net/lib.sh"

IMPL=$(impl_norm "${MN_IMPL:-mn}") || { echo "bench: MN_IMPL is mn or wgo" >&2; exit 2; }
SECS=${MN_BENCH_SECONDS:-10}
NPING=${MN_BENCH_PINGS:-20}
ROUNDS=${MN_BENCH_ROUNDS:-1}

# The table goes to fd 3 (stdout); everything else to stderr.
exec 3>&1 1>&2
mn_init || exit 1
if ! impl_ok "$IMPL"; then
	echo "bench: $(impl_name "$IMPL") is not available ($MESHNODE: run scripts/build.sh)" >&2
	exit 1
fi

declare -A R=() # "COL metric" -> value, summed over rounds
for col in x y; do
	for k in n rtt tcp_ab tcp_ba cpu_snd cpu_rcv bytes; do R[$col $k]=0; done
done

fdiv() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf f "\n", a / b }'; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a + b }'; }

# bench_one COL IMPL: measure IMPL on both sides; results added to R["COL ..."].
bench_one() {
	local col=$1 impl=$2 c s pc ps c0 s0 c1 s1 out
	say "=== $(impl_name "$impl") on both sides"
	side_init a 1 "$impl"
	side_init b 2 "$impl"
	side_keys a && side_keys b || return 1
	conf_iface a 1420
	conf_iface b 1420
	conf_peer a b 4
	conf_peer b a 4
	lan_up a b || return 1
	side_up a && side_up b || return 1
	wait_for 20 "handshake a->b" ping_ok a "${S_O4[b]}" || return 1
	wait_for 10 "b->a" ping_ok b "${S_O4[a]}" || return 1

	local rtt tcp_ab tcp_ba cpu_snd=0 cpu_rcv=0 bytes=0
	out=$(inns a timeout $((NPING + 10)) ping -c "$NPING" -i 0.2 -q "${S_O4[b]}")
	rtt=$(awk -F'[/ =]+' '/^rtt/ { print $7 }' <<<"$out")
	[ -n "$rtt" ] || return 1
	say "ping: $(tail -1 <<<"$out")"

	for c in a b; do
		if [ "$c" = a ]; then s=b; else s=a; fi
		pc=${MN_PID[wg:${S_IF[$c]}]}
		ps=${MN_PID[wg:${S_IF[$s]}]}
		c0=$(proc_cpu_s "$pc") && s0=$(proc_cpu_s "$ps") || return 1
		iperf_run "$c" "$s" "$SECS" || return 1
		c1=$(proc_cpu_s "$pc") && s1=$(proc_cpu_s "$ps") || return 1
		if [ "$c" = a ]; then tcp_ab=$IPERF_BPS; else tcp_ba=$IPERF_BPS; fi
		cpu_snd=$(fadd "$cpu_snd" "$(fsub "$c1" "$c0")")
		cpu_rcv=$(fadd "$cpu_rcv" "$(fsub "$s1" "$s0")")
		bytes=$((bytes + IPERF_BYTES))
		say "iperf3 $c=>$s: $(fdiv "$IPERF_BPS" 1000000 %.0f) Mbit/s, $IPERF_BYTES bytes; CPU s sender $(fsub "$c1" "$c0"), receiver $(fsub "$s1" "$s0")"
	done
	lan_down
	# Only a complete run counts.
	R[$col n]=$((${R[$col n]} + 1))
	R[$col rtt]=$(fadd "${R[$col rtt]}" "$rtt")
	R[$col tcp_ab]=$(fadd "${R[$col tcp_ab]}" "$tcp_ab")
	R[$col tcp_ba]=$(fadd "${R[$col tcp_ba]}" "$tcp_ba")
	R[$col cpu_snd]=$(fadd "${R[$col cpu_snd]}" "$cpu_snd")
	R[$col cpu_rcv]=$(fadd "${R[$col cpu_rcv]}" "$cpu_rcv")
	R[$col bytes]=$((${R[$col bytes]} + bytes))
}

# Averages over the complete runs of COL, as printed in the table.
finish() {
	local col=$1 n gb
	n=${R[$col n]}
	[ "$n" -gt 0 ] || return 0
	R[$col mtcp_ab]=$(fdiv "${R[$col tcp_ab]}" $((n * 1000000)) %.0f)
	R[$col mtcp_ba]=$(fdiv "${R[$col tcp_ba]}" $((n * 1000000)) %.0f)
	R[$col mrtt]=$(fdiv "${R[$col rtt]}" "$n" %.3f)
	gb=$(fdiv "${R[$col bytes]}" 1000000000 %.6f)
	R[$col snd_gb]=$(fdiv "${R[$col cpu_snd]}" "$gb")
	R[$col rcv_gb]=$(fdiv "${R[$col cpu_rcv]}" "$gb")
	R[$col all_gb]=$(fdiv "$(fadd "${R[$col cpu_snd]}" "${R[$col cpu_rcv]}")" "$gb")
}

t0=$SECONDS
status=0
for ((round = 1; round <= ROUNDS; round++)); do
	order="x y"
	[ $((round % 2)) -eq 0 ] && order="y x"
	for col in $order; do
		impl=wgo
		[ "$col" = x ] && impl=$IMPL
		bench_one "$col" "$impl" || { say "$(impl_name "$impl") run failed"; status=1; lan_down; }
	done
done
finish x
finish y

name_x=$(impl_name "$IMPL")
[ "$IMPL" = wgo ] && name_x="wireguard-go (as MN_IMPL)"
row() { # LABEL KEY
	local x=${R[x $2]:-n/a} y=${R[y $2]:-n/a} q=n/a
	[ "$x" != n/a ] && [ "$y" != n/a ] && q=$(fdiv "$x" "$y")
	printf '| %s | %s | %s | %s |\n' "$1" "$x" "$y" "$q" >&3
}
{
	echo
	echo "meshnode bench, $(date -u +%Y-%m-%dT%H:%MZ), Linux $(uname -r), $(nproc) CPUs; two namespaces on a veth bridge, MTU 1420, iperf3 TCP ${SECS} s per direction, $NPING idle pings, $ROUNDS round(s); $((SECONDS - t0)) s"
	echo
	echo "| metric | $name_x | wireguard-go | ratio |"
	echo "| --- | ---: | ---: | ---: |"
} >&3
row "TCP a=>b (Mbit/s)" mtcp_ab
row "TCP b=>a (Mbit/s)" mtcp_ba
row "ping RTT avg (ms)" mrtt
row "CPU s/GB, sending VPN process" snd_gb
row "CPU s/GB, receiving VPN process" rcv_gb
row "CPU s/GB, both VPN processes" all_gb
echo >&3
exit $status

#!/usr/bin/env bash
# The idle cost of one real daemon in a big network (issue 9's target):
# N members in every store (default 1,000), K of them running (default 10),
# one namespace each on one bridged LAN (tests/net/lib.sh, 198.18.0.0/24).
# bench/mesh_fill writes the K state directories: every member's record,
# the running ones at their namespace's address, the absent ones at
# 198.19.0.0 + index, which every namespace routes to the switch, which
# drops them (forwarding off): datagrams to an absent member leave and
# vanish, as on the internet.
#
# After every running member holds the others alive and has pinged each
# through the overlay, and SETTLE seconds more, one daemon (node-0002) is measured over WINDOW seconds:
#   cpu_pct      CPU time of its threads (/proc/PID/task/*/schedstat) over
#                wall time, % of one core (target < 1)
#   rss_kb       VmRSS at the end; hwm_kb VmHWM (its peak since start)
#   tx_pps rx_pps tx_Bps rx_Bps   its namespace's underlay interface
#                counters per second (it is the only thing sending there)
# and the same for a K-member network with no absent member (N = K), so
# that the cost of the N - K absent members shows as a ratio.
#
# Usage: bench/mesh-idle.sh [N] [K]   Needs root. Builds what it needs.
# Environment: MESHNODE (default build/meshnode), MESH_FILL (default
# build/bench/mesh_fill), MN_IDLE_SETTLE (20 s), MN_IDLE_WINDOW (60 s),
# MN_IDLE_SEED (mesh_fill's seed: every key, so a run replays; default 1),
# MN_VERBOSE=1 also prints the measured daemon's own counters that moved
# in the window (SIGUSR1).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/net/lib.sh
. "$top/tests/net/lib.sh"
N=${1:-1000}
K=${2:-10}
SETTLE=${MN_IDLE_SETTLE:-20}
WINDOW=${MN_IDLE_WINDOW:-60}
SEED=${MN_IDLE_SEED:-1}
me=mesh-idle

if [ -z "${MESHNODE:-}" ] || [ -z "${MESH_FILL:-}" ]; then
	nice bash "$top/scripts/build.sh" >&2 || { echo "$me: build failed" >&2; exit 1; }
fi
MESHNODE=${MESHNODE:-$top/build/meshnode}
MESH_FILL=${MESH_FILL:-$top/build/bench/mesh_fill}
if [ "$K" -lt 2 ] || [ "$K" -gt 26 ] || [ "$N" -lt "$K" ]; then
	echo "$me: needs 2 <= K <= 26 and N >= K" >&2
	exit 2
fi
mn_init || { echo "$me: needs root and scripts/deps.sh's tools" >&2; exit 1; }

LETTERS=({a..z})
SIDES=("${LETTERS[@]:0:K}")
mesh_lan "$me" "${SIDES[@]}"
# the absent members' addresses: to the switch, which drops them
ip -n "$(nsname sw)" addr add 198.18.0.254/24 dev sw0 || exit 1
for s in "${SIDES[@]}"; do
	ip -n "${S_NS[$s]}" route add 198.19.0.0/16 via 198.18.0.254 || exit 1
done

MEASURED=b
dir_of() { printf '%s/fill/node-%04d' "$MN_TMP" "${S_IDX[$1]}"; }
mx() { local s=$1; shift; ip netns exec "${S_NS[$s]}" timeout 60 "$MESHNODE" "$@" --state "$(dir_of "$s")"; }
# alive_running SIDE: SIDE holds every other running member alive
alive_running() {
	mx "$1" status --json 2>/dev/null | python3 -c '
import json, sys
want = {"node-%04d" % i for i in range(1, int(sys.argv[1]) + 1)}
m = json.load(sys.stdin)
want.discard(m["self"]["name"])
sys.exit(0 if want <= {x["name"] for x in m["members"] if x["liveness"] == "alive"} else 1)
' "$K" 2>/dev/null
}
# reach SIDE: one overlay ping from SIDE to every other running member (a
# restored member is alive before anyone has heard from it: this proves the
# paths, and makes the WireGuard sessions an idle mesh would have had)
reach() {
	local t
	for t in "${SIDES[@]}"; do
		[ "$t" = "$1" ] || ping_ok "$1" "${S_O4[$t]}" || return 1
	done
}
ifstat() { ip netns exec "${S_NS[$1]}" cat "/sys/class/net/u0/statistics/$2"; }
procfield() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# cpu_ns PID: CPU time of all its threads, ns (schedstat's first field:
# /proc/PID/stat's utime + stime count 10 ms ticks, too coarse for this)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ t += $1 } END { print t }'; }
# counters PID: the daemon's own counters (SIGUSR1 into its log), "name value"
counters() {
	local log=${MN_LOG[d:$MEASURED]} n
	n=$(wc -l <"$log")
	kill -USR1 "$1"
	sleep 1
	tail -n +"$((n + 1))" "$log" | awk '
		/udp rx/ { print "udp_rx", $5; print "udp_tx", $7; next }
		/:   / { sub(/^.*:   /, ""); g = ""; if (sub(/^gossip: /, "")) g = "gossip_"
			v = $1; $1 = ""; sub(/^ +/, ""); gsub(/ /, "_"); print g $0, v }'
}

# run_case N: fill, start the K daemons, wait, measure; prints one line and
# sets R_CPU R_RSS R_TXP R_RXP R_TXB R_RXB
run_case() {
	local n=$1 s pid t0 t1 c0 c1 args=() tx0 rx0 txb0 rxb0 before after
	for s in "${SIDES[@]}"; do args+=("${S_IF[$s]}@${S_U4[$s]}:${S_PORT[$s]}"); done
	rm -rf "$MN_TMP/fill"
	"$MESH_FILL" -s "$SEED" "$MN_TMP/fill" "$n" idle "${args[@]}" || return 1
	for s in "${SIDES[@]}"; do
		spawn "d:$s" "${S_NS[$s]}" "$MESHNODE" up --foreground --state "$(dir_of "$s")"
	done
	for s in "${SIDES[@]}"; do
		wait_for 120 "$s holds the running members alive" alive_running "$s" &&
			wait_for 60 "$s reaches the running members" reach "$s" || return 1
	done
	sleep "$SETTLE"
	pid=${MN_PID[d:$MEASURED]}
	[ -n "${MN_VERBOSE:-}" ] && before=$(counters "$pid")
	tx0=$(ifstat "$MEASURED" tx_packets) rx0=$(ifstat "$MEASURED" rx_packets)
	txb0=$(ifstat "$MEASURED" tx_bytes) rxb0=$(ifstat "$MEASURED" rx_bytes)
	c0=$(cpu_ns "$pid") t0=$(now_us)
	sleep "$WINDOW"
	c1=$(cpu_ns "$pid") t1=$(now_us)
	R_TXP=$(awk -v a="$tx0" -v b="$(ifstat "$MEASURED" tx_packets)" -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", (b - a) * 1e6 / t }')
	R_RXP=$(awk -v a="$rx0" -v b="$(ifstat "$MEASURED" rx_packets)" -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", (b - a) * 1e6 / t }')
	R_TXB=$(awk -v a="$txb0" -v b="$(ifstat "$MEASURED" tx_bytes)" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", (b - a) * 1e6 / t }')
	R_RXB=$(awk -v a="$rxb0" -v b="$(ifstat "$MEASURED" rx_bytes)" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", (b - a) * 1e6 / t }')
	R_CPU=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", c / 10 / t }')
	R_RSS=$(procfield "$pid" VmRSS)
	R_HWM=$(procfield "$pid" VmHWM)
	echo "members=$n running=$K cpu_pct=$R_CPU rss_kb=$R_RSS hwm_kb=$R_HWM" \
		"tx_pps=$R_TXP rx_pps=$R_RXP tx_Bps=$R_TXB rx_Bps=$R_RXB (node-0002, ${WINDOW} s)"
	if [ -n "${MN_VERBOSE:-}" ]; then
		after=$(counters "$pid")
		join -a 2 <(sort <<<"$before") <(sort <<<"$after") |
			awk -v t="$WINDOW" 'NF == 2 { $3 = $2; $2 = 0 } $3 != $2 { printf "  %s %d (%.2f/s)\n", $1, $3 - $2, ($3 - $2) / t }'
	fi
	for s in "${SIDES[@]}"; do stop "d:$s" 10; done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
run_case "$N" || { echo "$me: the $N-member case failed (logs: MN_KEEP_TMP=1)" >&2; exit 1; }
b_cpu=$R_CPU b_rss=$R_RSS b_txp=$R_TXP b_rxp=$R_RXP b_txb=$R_TXB b_rxb=$R_RXB
run_case "$K" || { echo "$me: the $K-member case failed" >&2; exit 1; }
echo "$N members, $K running; against $K members, $K running:"
echo "cpu_pct $b_cpu (target < 1) vs $R_CPU: $(ratio "$b_cpu" "$R_CPU")x"
echo "rss_kb $b_rss vs $R_RSS: $(ratio "$b_rss" "$R_RSS")x"
echo "tx_pps $b_txp vs $R_TXP: $(ratio "$b_txp" "$R_TXP")x; rx_pps $b_rxp vs $R_RXP: $(ratio "$b_rxp" "$R_RXP")x"
echo "tx_Bps $b_txb vs $R_TXB: $(ratio "$b_txb" "$R_TXB")x; rx_Bps $b_rxb vs $R_RXB: $(ratio "$b_rxb" "$R_RXB")x"

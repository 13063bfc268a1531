#!/usr/bin/env bash
# The mesh issue's targets on real daemons in network namespaces
# (tests/net/lib.sh; six nodes a..f on one bridged LAN, 198.18.0.0/24):
#
#   join_to_ping_all_ms   from `meshnode join` of the sixth node to a reply
#                         from every other member's overlay IPv4 (target
#                         < 2000 ms)
#   up_to_first_packet_ms from `meshnode up` of a stopped member to the
#                         first reply through a peer (target < 1000 ms)
#
# Usage: bench/mesh-targets.sh [ROUNDS]   (default 3; prints each round and
# the median). Needs root. MESHNODE defaults to build/meshnode.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/net/lib.sh"
MESHNODE=${MESHNODE:-$top/build/meshnode}
ROUNDS=${1:-3}
mn_init || { echo "mesh-targets: needs root and scripts/deps.sh's tools" >&2; exit 1; }

NODES=(a b c d e f)
mesh_lan mesh-targets "${NODES[@]}"
st() { echo "$MN_TMP/st-$1"; }
mx() { local s=$1; shift; ip netns exec "${S_NS[$s]}" timeout 60 "$MESHNODE" "$@" --state "$(st "$s")"; }
v4_of() { mx "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["self"]["ipv4"])'; }
holds() { [ "$(mx "$1" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))')" = "$2" ]; }
ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }
# ping_until SIDE ADDR: one echo every 20 ms until a reply (at most 10 s)
ping_until() {
	local s=$1 a=$2 k
	for ((k = 0; k < 500; k++)); do
		inns "$s" ping -c 1 -W 0.02 -q "$a" >/dev/null 2>&1 && return 0
	done
	return 1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

mx a init --network bench --name n-a --iface "${S_IF[a]}" --port 51820 >/dev/null || exit 1
mx a up || exit 1
for s in b c d e; do
	mx "$s" join "$(mx a invite)" --name "n-$s" --iface "${S_IF[$s]}" --port 51820 >/dev/null || exit 1
done
for s in a b c d e; do wait_for 30 "$s holds 4" holds "$s" 4 || exit 1; done
declare -A V4
for s in a b c d e; do V4[$s]=$(v4_of "$s"); done

joins=() ups=()
for ((r = 1; r <= ROUNDS; r++)); do
	link=$(mx a invite)
	rm -rf "$(st f)"
	t0=$(now_us)
	mx f join "$link" --name "n-f$r" --iface "${S_IF[f]}" --port 51820 >/dev/null || exit 1
	pids=()
	for s in a b c d e; do
		(ping_until f "${V4[$s]}" && { [ -z "${MN_VERBOSE:-}" ] || echo "  $s $(ms_since "$t0") ms"; }) &
		pids+=($!)
	done
	ok=1
	for p in "${pids[@]}"; do wait "$p" || ok=0; done
	[ $ok = 1 ] || { echo "round $r: f did not reach every member" >&2; exit 1; }
	j=$(ms_since "$t0")
	joins+=("$j")
	mx b down || exit 1
	t0=$(now_us)
	mx b up || exit 1
	ping_until b "${V4[a]}" || { echo "round $r: b did not reach a after up" >&2; exit 1; }
	u=$(ms_since "$t0")
	ups+=("$u")
	echo "round $r: join_to_ping_all_ms=$j up_to_first_packet_ms=$u"
	mx f down
done
echo "join_to_ping_all_ms median $(printf '%s\n' "${joins[@]}" | median) (target < 2000)"
echo "up_to_first_packet_ms median $(printf '%s\n' "${ups[@]}" | median) (target < 1000)"
for s in "${NODES[@]}"; do mx "$s" down >/dev/null 2>&1; done

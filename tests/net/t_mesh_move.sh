#!/usr/bin/env bash
# A member moves: its underlay address changes under the running daemon (a
# laptop from home Wi-Fi to a hotspot, a DHCP renewal), in network
# namespaces (tests/net/lib.sh: a..d on one bridge, 198.18.0.1-4).
#
#   mesh     a: init, up; b, c, d join through a's link; every node holds
#            the three others alive; a pings each and each pings a (so b
#            and c have no WireGuard session with d)
#   quiet    d's address moves to 198.18.0.44 while nobody sends it data:
#            d's daemon notices (log line "local addresses changed"), every
#            member's status shows d's new endpoint within 10 s (printed:
#            the time it took; a by the keepalive on its session, b and c
#            by gossip re-proving the address), and every node reaches d
#            through the mesh and d reaches them
#   again    d moves a second time (to 198.18.0.45), this time while a
#            pings it without pause: the pings get through again within the
#            same bound
#   told     c drops everything from 198.18.0.46 (nftables in its
#            namespace), then d moves there: c never hears d at its new
#            address, yet its status shows d there within 10 s, from d's
#            signed address announcement that a and b pass on (without it
#            c kept .45 until its path went stale, minutes); once the drop
#            is gone everyone reaches d
#   view     no member declared d dead: d is alive at every member
#   logs     no sanitizer report
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_move setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

NODES=(a b c d)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma [d]=delta)
mesh_lan mesh_move "${NODES[@]}"

# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"
PORT=$MESH_PORT

# ---- the mesh ----
check "mesh: a init" mx a init --network roam --name alpha --iface "${S_IF[a]}" --port "$PORT"
check "mesh: a up" up a
L=$(mx a invite --uses 3)
for s in b c d; do check "mesh: $s joins" join "$s" "$L"; done
for s in "${NODES[@]}"; do
	check "mesh: $s holds the three others, alive" wait_for 60 "$s holds 3" holds_alive "$s" 3
done
declare -A V4
for s in "${NODES[@]}"; do V4[$s]=$(v4_of "$s"); done
# a WireGuard session between a and each other node only: b and c have
# none with d, so what moves them is gossip re-proving d's address
for t in b c d; do
	check "mesh: ping a -> $t" wait_for 10 "a->$t" ping_ok a "${V4[$t]}"
	check "mesh: ping $t -> a" wait_for 10 "$t->a" ping_ok "$t" "${V4[a]}"
done
# d_at SIDE ADDR: SIDE's status shows d's endpoint at ADDR
d_at() {
	mx "$1" status --json | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin)["members"] if x["name"] == "delta"]
sys.exit(0 if m and m[0]["endpoint"] == sys.argv[1] else 1)' "$2:$PORT"
}
all_d_at() { local s; for s in a b c; do d_at "$s" "$1" || return 1; done; }

# reach_all_d: every other node pings d, and d pings every other
reach_all_d() {
	local s
	for s in a b c; do
		ping_ok "$s" "${V4[d]}" && ping_ok d "${V4[$s]}" || return 1
	done
}

# ---- quiet move ----
sleep 1
t0=$(now_us)
check "quiet: d's underlay moves to 198.18.0.44" underlay_move d 198.18.0.44
check "quiet: every member sends to d's new address" wait_for 10 "a, b, c: d at .44" all_d_at 198.18.0.44
say "quiet move: every member had d's new address after $((($(now_us) - t0) / 1000)) ms"
check "quiet: everyone reaches d, d reaches everyone" wait_for 10 "a, b, c <-> d" reach_all_d
check "quiet: d's daemon noticed the move" \
	wait_for 10 "d's log" grep -q "local addresses changed" "$(st d)/meshnode.log"

# ---- move under traffic ----
inns a ping -i 0.2 -W 1 "${V4[d]}" >"$MN_TMP/ping-a-d.txt" 2>&1 &
pinger=$!
sleep 1
t0=$(now_us)
check "again: d moves to 198.18.0.45 while a pings it" underlay_move d 198.18.0.45
n0=$(grep -c 'bytes from' "$MN_TMP/ping-a-d.txt")
check "again: a's pings get through again" wait_for 10 "a's pings" \
	eval "[ \"\$(grep -c 'bytes from' '$MN_TMP/ping-a-d.txt')\" -gt $((n0 + 2)) ]"
say "move under traffic: a's pings through again after $((($(now_us) - t0) / 1000)) ms"
kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null
check "again: everyone reaches d" wait_for 10 "a, b, c <-> d" reach_all_d

# ---- told: c hears of the move only from the others ----
ip netns exec "${S_NS[c]}" nft -f - <<-EOF
	table inet mnmove {
		chain input {
			type filter hook input priority 0;
			ip saddr 198.18.0.46 drop
		}
	}
EOF
check "told: c drops everything from 198.18.0.46 (nft)" test $? -eq 0
t0=$(now_us)
check "told: d moves to 198.18.0.46" underlay_move d 198.18.0.46
check "told: c's status shows d at .46 (the announcement, passed on)" \
	wait_for 10 "c: d at .46" d_at c 198.18.0.46
say "told: c had d's new address after $((($(now_us) - t0) / 1000)) ms"
check "told: a and b too" wait_for 10 "a, b: d at .46" eval 'd_at a 198.18.0.46 && d_at b 198.18.0.46'
ip netns exec "${S_NS[c]}" nft delete table inet mnmove
check "told: everyone reaches d once c's drop is gone" wait_for 10 "a, b, c <-> d" reach_all_d

# ---- view ----
d_alive_at() {
	mx "$1" status --json | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin)["members"] if x["name"] == "delta"]
sys.exit(0 if m and m[0]["liveness"] == "alive" else 1)'
}
for s in a b c; do check "view: $s holds d alive" d_alive_at "$s"; done
for s in a b c; do
	check "view: $s never declared d dead" eval "! grep -q 'member delta .* is dead' '$(st "$s")/meshnode.log'"
done

for s in "${NODES[@]}"; do down "$s"; done
no_sanitizer_report "$MN_TMP"/st-*/meshnode.log
mn_summary

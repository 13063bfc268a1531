#!/usr/bin/env bash
# meshnode kick, leave and admin add, on five nodes from invite links (tests/net/lib.sh,
# mesh_lib.sh; a..d on one bridged LAN, 198.18.0.1-4):
#
#   setup    a: init, up (the root). b joins through a. d joins through a.
#            Then a is down and c joins with a link listing a and b: b
#            admits c (c's chain holds b's key). a up again.
#   kick     a kicks b: the members b admitted are countersigned first (c's
#            record now names the root as admitter), then b's key is
#            revoked. Within the gossip bound every member drops b from
#            its status and its WireGuard peers; b's daemon stops (it was
#            revoked); c keeps its membership: a, c and d still ping each
#            other over the mesh.
#   back     b cannot come back: `up` on its old state directory fails
#            (its own tombstone is in its store), no member lists it, and
#            its old link is used up.
#   refused  kick of an unknown member, of the node itself, and from a
#            node without the root key: exit 1 with a reason.
#   admin    gamma may not invite; a makes it an admin (confirmed, its
#            admin.key 0600); gamma invites, and epsilon joins with that
#            link while the root node is down; all reach it.
#   leave    the root holder refuses to leave without --force; d leaves:
#            its daemon stops, its keys are wiped, a and c drop it from
#            their status and WireGuard peers within the gossip bound, and
#            still reach each other.
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_kick setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

NODES=(a b c d e)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma [d]=delta [e]=epsilon)
mesh_lan mesh_kick "${NODES[@]}"
# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"
daemon_running() { ip netns pids "${S_NS[$1]}" 2>/dev/null | grep -q .; }

# ---- setup ----
check "setup: a init" mx a init --network kicknet --name alpha --iface "${S_IF[a]}" --port "$MESH_PORT"
check "setup: a up" up a
LB=$(mx a invite)
check "setup: b joins" join b "$LB"
check "setup: d joins" join d "$(mx a invite)"
wait_for 20 "a holds b and d" holds_alive a 2
LC=$(mx a invite --via alpha,beta)
check "setup: a down" down a
check "setup: c joins through b (a is down)" join c "$LC"
check "setup: a up again" up a
for s in a b c d; do
	check "setup: $s holds the three others" wait_for 30 "$s holds 3" holds_alive "$s" 3
done
declare -A V4
for s in a c d; do V4[$s]=$(v4_of "$s"); done

# ---- kick ----
out=$(mx a kick beta 2>&1)
check "kick: a kicks b (exit 0)" test $? -eq 0
check "kick: ... re-anchoring gamma, which b admitted" eval "grep -q '^gamma alive' <<<\"\$out\""
check "kick: ... and says kicked" eval "grep -q '^kicked beta' <<<\"\$out\""
for s in a c d; do
	check "kick: $s drops beta" wait_for 20 "$s drops beta" lacks "$s" beta
	check "kick: $s has no WireGuard peer for beta" wait_for 20 "$s peers" \
		eval "[ \"\$(wgn ${S_NS[$s]} show ${S_IF[$s]} peers | wc -l)\" -eq 2 ]"
done
check "kick: beta's daemon stops (revoked)" wait_for 20 "b to stop" eval "! daemon_running b"
for s in a c d; do
	check "kick: $s still holds the others but beta" holds_alive "$s" 2
done
for s in a c d; do
	for t in a c d; do
		[ "$s" = "$t" ] && continue
		check "kick: $s -> $t still pings" wait_for 10 "$s->$t" ping_ok "$s" "${V4[$t]}"
	done
done

# ---- back ----
err=$(up b 2>&1)
check "back: up on b's old state directory fails (exit 1)" test $? -eq 1
check "back: ... saying it was revoked" eval "grep -q revoked <<<\"\$err\""
check "back: no member lists beta" eval "lacks a beta && lacks c beta && lacks d beta"
rm -rf "$(st b)"
err=$(join b "$LB" --timeout 5 2>&1)
check "back: b's old link is refused (exit 1)" test $? -eq 1
check "back: ... saying why" eval "grep -q 'used up' <<<\"\$err\""

# ---- refused ----
err=$(mx a kick nosuch 2>&1)
check "refused: an unknown member (exit 1)" test $? -eq 1
check "refused: ... saying so" eval "grep -q 'no member nosuch' <<<\"\$err\""
err=$(mx a kick alpha 2>&1)
check "refused: the node itself (exit 1)" test $? -eq 1
err=$(mx c kick delta 2>&1)
check "refused: a node without the root key (exit 1)" test $? -eq 1
check "refused: ... saying so" eval "grep -q 'root key' <<<\"\$err\""
check "refused: ... and delta stays" holds a delta

# ---- leave ----
err=$(mx a leave 2>&1)
check "leave: the root holder refuses without --force (exit 1)" test $? -eq 1
check "leave: ... saying why" eval "grep -q 'root key' <<<\"\$err\""
out=$(mx d leave 2>&1)
check "leave: d leaves (exit 0)" test $? -eq 0
check "leave: ... and says so" eval "grep -q '^left the network' <<<\"\$out\""
check "leave: d's daemon stopped" eval "! daemon_running d"
check "leave: d's keys are wiped" eval "[ ! -e $(st d)/data.mdb ] && [ ! -e $(st d)/lock.mdb ]"
for s in a c; do
	check "leave: $s drops delta" wait_for 20 "$s drops delta" lacks "$s" delta
	check "leave: $s has no peer for delta" wait_for 20 "$s peers" \
		eval "[ \"\$(wgn ${S_NS[$s]} show ${S_IF[$s]} peers | wc -l)\" -eq 1 ]"
done
check "leave: a and c still ping each other" wait_for 10 "a->c" ping_ok a "${V4[c]}"
check "leave: status on d says not initialized" eval "! mx d status >/dev/null 2>&1"

# ---- admin ----
err=$(mx c invite 2>&1)
check "admin: gamma may not invite yet (exit 1)" test $? -eq 1
out=$(mx a admin add gamma 2>&1)
check "admin: a makes gamma an admin (exit 0)" test $? -eq 0
check "admin: ... confirmed" eval "grep -q '^gamma is an admin' <<<\"\$out\""
check "admin: gamma's admin key is 0600" test "$(stat -c %a "$(st c)/admin.key")" = 600
LE=$(mx c invite)
check "admin: gamma invites" eval "[[ \"$LE\" == mn1.kicknet.* ]]"
check "admin: the root node goes down" down a
check "admin: epsilon joins with gamma's link while the root is down" join e "$LE"
check "admin: the root node comes back" up a
for s in a c; do
	check "admin: $s holds epsilon" wait_for 30 "$s holds epsilon" holds "$s" epsilon
done
V4[e]=$(v4_of e)
check "admin: gamma -> epsilon pings" wait_for 10 "c->e" ping_ok c "${V4[e]}"
check "admin: alpha -> epsilon pings" wait_for 10 "a->e" ping_ok a "${V4[e]}"

for s in a c e; do down "$s"; done
no_sanitizer_report "$MN_TMP"/st-*/meshnode.log
mn_summary

#!/usr/bin/env bash
# Six mesh nodes built from invite links on one bridged underlay
# (tests/net/lib.sh: a..f, 198.18.0.1-6 and 2001:2::1-6), and the links a
# newcomer must be refused with.
#
#   mesh      a: init, up. b, c join through a's link (uses 3). d joins
#             while the inviter a is down (its link lists a, b, c). e joins
#             through a link naming c and d while c is down. f joins with a
#             fresh link. Then: every node holds the five others alive;
#             every node pings every other overlay IPv4 and IPv6 address;
#             status --json of every node valid against doc/status-json.md
#             (an RTT for every member: all pairs have handshaken);
#             `wg show` on a's interface lists the five members
#   refused   from a seventh namespace g (its state directory must stay as
#             it was: absent): a single-use link used twice (the second is
#             refused: used up), an expired link, a withdrawn link (invite
#             --revoke), malformed links (truncated, one character changed,
#             garbage, empty), a name another member holds; and a link for another network into a state
#             directory of another network (h: nothing changes there)
#   list      invite --list shows usable invites only
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_join setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

NODES=(a b c d e f)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma [d]=delta [e]=epsilon [f]=zeta [g]=eta [h]=theta)
mesh_lan mesh_join "${NODES[@]}" g h

# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"
PORT=$MESH_PORT

# ---- the mesh ----
check "mesh: a init" mx a init --network demo --name alpha --iface "${S_IF[a]}" --port "$PORT"
check "mesh: a up" up a
L1=$(mx a invite --uses 3)
check "mesh: invite prints a link" eval "[[ \"$L1\" == mn1.demo.* ]]"
check "mesh: b joins" join b "$L1"
check "mesh: c joins" join c "$L1"
check "mesh: a holds b and c" wait_for 30 "a holds b and c" holds_alive a 2
L2=$(mx a invite)
check "mesh: a second link lists more members (a, b, c)" eval "[ ${#L2} -gt ${#L1} ]"
check "mesh: a down" down a
out=$(join d "$L2")
check "mesh: d joins while the inviter is down" test $? -eq 0
check "mesh: ... and prints its name and addresses" eval "[[ \"$out\" == 'delta 100.'* ]]"
check "mesh: a up again" up a
for s in a c; do
	check "mesh: $s holds delta" wait_for 30 "$s holds delta" holds "$s" delta
done
L3=$(mx a invite --via gamma,delta)
check "mesh: c down" down c
check "mesh: e joins through a link naming c (down) and d" join e "$L3"
check "mesh: c up again" up c
L4=$(mx a invite --uses 1)
out=$(join f "$L4" --json)
check "mesh: f joins (--json)" eval "python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[\"name\"] == \"zeta\" and d[\"network\"] == \"demo\"' '$out'"

for s in "${NODES[@]}"; do
	check "mesh: $s holds the five others, alive" wait_for 60 "$s holds 5" holds_alive "$s" 5
done
declare -A V4 V6
for s in "${NODES[@]}"; do V4[$s]=$(v4_of "$s"); V6[$s]=$(v6_of "$s"); done
for s in "${NODES[@]}"; do
	for t in "${NODES[@]}"; do
		[ "$s" = "$t" ] && continue
		check "ping: $s -> $t IPv4" wait_for 10 "$s->$t" ping_ok "$s" "${V4[$t]}"
		check "ping: $s -> $t IPv6" wait_for 10 "$s->$t v6" ping_ok "$s" "${V6[$t]}"
	done
done
for s in "${NODES[@]}"; do
	json=$(mx "$s" status --json)
	check "status --json: $s valid, the documented schema" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
s = d["self"]
for k in ("name", "ipv4", "ipv6", "network", "network_id"):
    assert isinstance(s[k], str), k
assert s["name"] == sys.argv[2] and s["network"] == "demo", s
assert len(d["members"]) == 5
names = set()
for m in d["members"]:
    for k in ("name", "ipv4", "ipv6"):
        assert isinstance(m[k], str), k
    assert m["liveness"] in ("alive", "suspect", "dead")
    assert m["path"] in ("direct", "relay", "none")
    assert m["endpoint"] is None or isinstance(m["endpoint"], str)
    assert m["via"] is None or isinstance(m["via"], str)
    # every pair pinged: a handshake measured the round trip on both sides
    assert isinstance(m["rtt_ms"], (int, float)) and 0 < m["rtt_ms"] < 1000, m
    assert m["last_handshake"] is None or isinstance(m["last_handshake"], int)
    assert isinstance(m["rx_bytes"], int) and isinstance(m["tx_bytes"], int)
    assert m["name"] != s["name"]
    names.add(m["name"])
assert len(names) == 5
' "$json" "${NAME[$s]}"
done
check "state: b's state directory and its files are root's alone (0700, nothing group/other)" \
	eval "[ \"\$(stat -c %a $(st b))\" = 700 ] && [ -z \"\$(find $(st b) -mindepth 1 -perm /077)\" ]"
check "wg show: a's interface lists the five members" \
	eval "[ \"\$(wgn ${S_NS[a]} show ${S_IF[a]} peers | wc -l)\" -eq 5 ]"

# ---- refused links ----
gone() { test ! -e "$(st "$1")"; }
refused() { # WHAT PATTERN LINK
	local what=$1 pat=$2 link=$3 err
	err=$(join g "$link" --timeout 5 2>&1)
	check "refused: $what (exit 1)" test $? -eq 1
	check "refused: $what: says why" eval "grep -q -- \"$pat\" <<<\"\$err\""
	check "refused: $what: writes nothing" gone g
}
refused "a single-use link used twice" "used up" "$L4"
# a taken name, through a link with a use left (L1: 2 of 3): refused, and
# the use is not spent (list below still says 2/3)
err=$(mx g join "$L1" --name beta --iface "${S_IF[g]}" --port "$PORT" --timeout 5 2>&1)
check "refused: a taken name (exit 1)" test $? -eq 1
check "refused: a taken name: says why" eval "grep -q -- 'already has this name' <<<\"\$err\""
check "refused: a taken name: writes nothing" gone g
refused "an expired link" "expired" "$(mx a invite --expired-for-test)"
before=$(mx a invite --list | awk '{print $1}' | sort)
L5=$(mx a invite)
id=$(comm -13 <(echo "$before") <(mx a invite --list | awk '{print $1}' | sort))
check "list: the new invite is listed" test -n "$id"
check "list: withdraw it" mx a invite --revoke "$id"
check "list: no longer listed" eval "! mx a invite --list | grep -q '^$id '"
# usable now: L1 only (2 of 3 uses: the taken name spent none); L2, L3, L4 used up, one expired, L5 withdrawn
check "list: used-up, expired and withdrawn invites are not listed" \
	eval "[ \"\$(mx a invite --list | awk '{print \$2}')\" = 2/3 ]"
refused "a withdrawn link" "revoked" "$L5"
refused "a truncated link" "not a valid invite link" "${L2:0:$((${#L2} - 7))}"
ch=${L2: -3:1}; [ "$ch" = a ] && rep=b || rep=a
refused "a link with one character changed" "not a valid invite link" "${L2:0:$((${#L2} - 3))}$rep${L2: -2}"
refused "a garbage link" "not a valid invite link" "hello-world"
refused "an empty link" "not a valid invite link" ""
check "other network: h init" mx h init --network other --name theta --iface "${S_IF[h]}" --port "$PORT"
sum_before=$(cd "$(st h)" && sha256sum data.mdb root.key)
err=$(mx h join "$L2" --timeout 5 2>&1)
check "refused: a link for another network (exit 1)" test $? -eq 1
check "refused: ... saying so" eval "grep -q 'belongs to network other' <<<\"\$err\""
check "refused: ... and the state directory is as it was" \
	eval "[ \"\$(cd $(st h) && sha256sum data.mdb root.key)\" = \"\$sum_before\" ]"

for s in "${NODES[@]}"; do down "$s"; done
no_sanitizer_report "$MN_TMP"/st-*/meshnode.log
mn_summary

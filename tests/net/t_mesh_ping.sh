#!/usr/bin/env bash
# meshnode ping, in network namespaces (tests/net/lib.sh). A network has one
# member today (invite and join come next), so the node pings itself: the
# kernel answers for its own overlay addresses and the path says "self".
#
#   usage     --help (0); no NODE, -c 0, -c junk, a NODE that is neither a
#             name nor an address: usage errors (2)
#   stopped   no daemon: exit 1, "not running"
#   self      ping NAME, its overlay IPv4 and IPv6: exit 0, one "pong from
#             NAME (ADDR) via self in X ms" per request, "N sent, N received"
#   nosuch    a name and an address of no member: exit 1, "no member X", at
#             once (nothing sent)
#   lost      echo requests dropped (nftables in the node's namespace):
#             "timeout" lines, exit 1, "no reply from X", one request a second
#   options   another --iface than the stored one: 1
#   down      after down: exit 1, "not running"
#   logs      no sanitizer report in the daemon's log
#
# Nodes are sides of lib.sh (side_init: namespace, interface, port, underlay
# address on one bridge by lan_up): more members are a side each, joined by
# invite, then pinged from every other (see node_init / mnx).
# Underlay 198.18.0.0/24; overlay 100.64.0.0/10 and fd00::/8.
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_ping setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

declare -gA N_ST=()  # side -> state directory
NODES=(a)
for i in "${!NODES[@]}"; do
	s=${NODES[$i]}
	side_init "$s" $((i + 1)) mn || { fail "side $s"; exit 1; }
	N_ST[$s]=$MN_TMP/state-$s
	MN_IFS+=("${S_IF[$s]}")
	rec "if ${S_IF[$s]}"
done
lan_up "${NODES[@]}" || { fail "underlay"; exit 1; }

# mnx SIDE ARGS...: meshnode ARGS... in SIDE's namespace with its state.
mnx() { local s=$1; shift; ip netns exec "${S_NS[$s]}" timeout 60 "$MESHNODE" "$@" --state "${N_ST[$s]}"; }
# node_init SIDE NAME: a new network with SIDE its first member.
node_init() {
	mnx "$1" init --network pingnet --name "$2" --iface "${S_IF[$1]}" --port "${S_PORT[$1]}"
}
# self_ip SIDE ipv4|ipv6: SIDE's overlay address from status --json.
self_ip() { mnx "$1" status --json | grep -o "\"$2\": \"[^\"]*\"" | head -1 | cut -d'"' -f4; }
# pong_count OUT: the pong lines in OUT.
pong_count() { grep -c '^pong from ' <<<"$1"; }

# ---- usage ----
check "usage: ping --help exits 0" eval "\"$MESHNODE\" ping --help | grep '^usage: meshnode ping NODE' >/dev/null"
for args in "" "alpha -c 0" "alpha -c x" "-c 2" "bad..name" "alpha --bogus" "alpha beta"; do
	# shellcheck disable=SC2086
	"$MESHNODE" ping $args >/dev/null 2>&1
	check "usage: ping ${args:-(nothing)} is a usage error (2)" test $? -eq 2
done

# ---- one node ----
check "init: a network of one member" node_init a alpha
err=$(mnx a ping alpha -c 1 2>&1)
check "stopped: ping exits 1" test $? -eq 1
check "stopped: ... saying not running" eval "grep -q 'meshnode ping: not running' <<<\"\$err\""
check "up" mnx a up
V4=$(self_ip a ipv4)
V6=$(self_ip a ipv6)
check "up: overlay addresses known ($V4, $V6)" test -n "$V4" -a -n "$V6"

t0=$(now_us)
out=$(mnx a ping alpha -c 2)
rc=$?
t1=$(now_us)
check "self: ping by name exits 0" test $rc -eq 0
check "self: ... a pong per request via self" test "$(pong_count "$out")" -eq 2
check "self: ... the line's form" eval "grep -qE '^pong from alpha \\($V4\\) via self in [0-9]+\\.[0-9]{2} ms$' <<<\"\$out\""
check "self: ... the summary" eval "grep -qx '2 sent, 2 received' <<<\"\$out\""
check "self: ... one request a second (2 took 1-5 s)" test $(((t1 - t0) / 1000000)) -ge 1 -a $(((t1 - t0) / 1000000)) -lt $((5 * MN_TIME_SCALE))
out=$(mnx a ping "$V4" -c 1)
check "self: ping by overlay IPv4 exits 0" test $? -eq 0
check "self: ... pong from alpha ($V4)" eval "grep -q '^pong from alpha ($V4) via self' <<<\"\$out\""
out=$(mnx a ping "$V6" -c 1)
check "self: ping by overlay IPv6 exits 0" test $? -eq 0
check "self: ... pong from alpha ($V6)" eval "grep -q '^pong from alpha ($V6) via self' <<<\"\$out\""
check "self: default count is 4" eval "mnx a ping alpha | grep -qx '4 sent, 4 received'"

for x in nosuch 100.64.0.99 fd00::99; do
	t0=$(now_us)
	err=$(mnx a ping "$x" -c 3 2>&1)
	rc=$?
	t1=$(now_us)
	check "nosuch: ping $x exits 1" test $rc -eq 1
	check "nosuch: ... saying no member $x" eval "grep -qx 'meshnode ping: no member $x' <<<\"\$err\""
	check "nosuch: ... at once (3 requests would take 2 s)" test $(((t1 - t0) / 1000000)) -lt $((2 * MN_TIME_SCALE))
done

# every echo request to us dropped: the kernel answers none
ip netns exec "${S_NS[a]}" nft -f - <<-EOF
	table inet mntest {
		chain input {
			type filter hook input priority 0;
			icmp type echo-request drop
			icmpv6 type echo-request drop
		}
	}
EOF
check "lost: echo requests dropped (nft)" test $? -eq 0
out=$(mnx a ping alpha -c 2 2>"$MN_TMP/err")
rc=$?
check "lost: exits 1" test $rc -eq 1
check "lost: a timeout line per request" test "$(grep -c '^timeout: no reply from alpha' <<<"$out")" -eq 2
check "lost: ... the summary" eval "grep -qx '2 sent, 0 received' <<<\"\$out\""
check "lost: says no reply from alpha" grep -qx 'meshnode ping: no reply from alpha' "$MN_TMP/err"
ip netns exec "${S_NS[a]}" nft delete table inet mntest
check "lost: answered again once undropped" eval "mnx a ping '$V6' -c 1 >/dev/null"

mnx a ping alpha -c 1 --iface other0 >/dev/null 2>&1
check "options: another --iface than the stored one is refused (1)" test $? -eq 1
check "options: the stored --iface and --port are accepted" \
	eval "mnx a ping alpha -c 1 --iface '${S_IF[a]}' --port '${S_PORT[a]}' >/dev/null"

check "down" mnx a down
err=$(mnx a ping alpha -c 1 2>&1)
check "down: ping exits 1" test $? -eq 1
check "down: ... not running" eval "grep -q 'not running' <<<\"\$err\""

no_reports() { ! grep -l 'runtime error\|AddressSanitizer\|LeakSanitizer' "${N_ST[a]}/meshnode.log"; }
check "logs: no sanitizer report" no_reports

mn_summary

#!/usr/bin/env bash
# A restart restores a big store whole (tests/net/lib.sh; one namespace):
# bench/mesh_fill -s 1 writes the state directory of node-0002 in a network
# of 1,000 members that node-0001 admitted (all but itself), 453 of whose
# keys sort before node-0001's. The store is restored in key order, so
# those wait as orphans for their admitter, more than swim's pool holds.
#
#   restored   `up`: status lists all 999 other members
#   again      down, up: still 999 (the store lost none)
#
# Environment: MESHNODE, MESH_FILL (default: bench/mesh_fill beside
# MESHNODE's build), MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_restore setup (needs root and the tools of scripts/deps.sh)"; exit 1; }
MESH_FILL=${MESH_FILL:-$(dirname "$MESHNODE")/bench/mesh_fill}
[ -x "$MESH_FILL" ] || { echo "FAIL: mesh_restore: no $MESH_FILL (scripts/build.sh)"; exit 1; }

side_init a 1 mn || { echo "FAIL: mesh_restore names"; exit 1; }
MN_IFS+=("${S_IF[a]}")
ns_add "${S_NS[a]}" || { fail "mesh_restore: namespace"; exit 1; }
# an underlay address on a veth pair going nowhere: no datagram needs to
# arrive
if ! ip -n "${S_NS[a]}" link add u0 type veth peer name u1 ||
	! ip -n "${S_NS[a]}" addr add 198.18.0.1/24 dev u0 || ! ip -n "${S_NS[a]}" link set u0 up; then
	fail "mesh_restore: underlay"
	exit 1
fi
# node-0001 (absent) and node-0002 (ours): node-0001's own directory would
# not do, it holds the admitter at once
"$MESH_FILL" -s 1 "$MN_TMP/fill" 1000 restore "x${S_IF[a]:1}@198.18.0.9:51820" \
	"${S_IF[a]}@198.18.0.1:51820" >/dev/null || { fail "mesh_restore: mesh_fill"; exit 1; }
dir=$MN_TMP/fill/node-0002
mx() { ip netns exec "${S_NS[a]}" timeout "$((40 * ${MN_TIME_SCALE:-1}))" "$MESHNODE" "$@" --state "$dir"; }
held() {
	mx status --json 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["members"]))' 2>/dev/null
}
holds() { [ "$(held)" = "$1" ]; }

mx up >/dev/null || { fail "mesh_restore: up"; exit 1; }
wait_for 30 "999 members" holds 999
check "restored: status lists all 999 other members (holds $(held))" holds 999
mx down >/dev/null
mx up >/dev/null || { fail "mesh_restore: up again"; exit 1; }
wait_for 30 "999 members" holds 999
check "again: after down and up, still 999 (holds $(held))" holds 999
mx down >/dev/null
no_sanitizer_report "$dir/meshnode.log"
mn_summary

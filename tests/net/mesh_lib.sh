# shellcheck shell=bash
# tests/net/mesh_lib.sh - what the mesh tests share (source it after lib.sh
# and side_init of every node; NAME[side] the member names): each node's
# state directory, meshnode in its namespace, join, and status queries.

MESH_PORT=${MESH_PORT:-51820}
st() { echo "$MN_TMP/st-$1"; }
# mx SIDE ARGS...: meshnode in SIDE's namespace on SIDE's state directory
mx() {
	local s=$1; shift
	ip netns exec "${S_NS[$s]}" timeout "$((40 * ${MN_TIME_SCALE:-1}))" "$MESHNODE" "$@" \
		--state "$(st "$s")"
}
up() { mx "$1" up; }
down() { mx "$1" down; }
# join SIDE LINK [ARGS...]: SIDE joins as NAME[SIDE] on its own interface
join() {
	local s=$1 link=$2; shift 2
	mx "$s" join "$link" --name "${NAME[$s]}" --iface "${S_IF[$s]}" --port "$MESH_PORT" "$@"
}
json_self() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["self"][sys.argv[1]])' "$1"; }
v4_of() { mx "$1" status --json | json_self ipv4; }
v6_of() { mx "$1" status --json | json_self ipv6; }
# holds_alive SIDE N: SIDE holds N members, every one alive
holds_alive() {
	mx "$1" status --json 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)["members"]
sys.exit(0 if len(m) == int(sys.argv[1]) and all(x["liveness"] == "alive" for x in m) else 1)
' "$2"
}
# holds SIDE MEMBER: MEMBER (a name) is in SIDE's status
holds() {
	mx "$1" status --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(x["name"] == sys.argv[1] for x in json.load(sys.stdin)["members"]) else 1)
' "$2"
}
lacks() { ! holds "$@"; }
# view SIDE: "name ipv4" of SIDE and of every member it holds, sorted; fails
# unless every member is alive
view() {
	mx "$1" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
if any(x["liveness"] != "alive" for x in d["members"]):
    sys.exit(1)
for x in sorted([d["self"]] + d["members"], key=lambda x: x["name"]):
    print(x["name"], x["ipv4"])
'
}
# daemon_pid SIDE: the PID of SIDE's daemon (the one meshnode process in its
# namespace; fails if there is not exactly one)
daemon_pid() {
	local p n=0 pid=
	for p in $(ip netns pids "${S_NS[$1]}" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = meshnode ] || continue
		pid=$p n=$((n + 1))
	done
	[ "$n" -eq 1 ] && echo "$pid"
}

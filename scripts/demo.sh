#!/usr/bin/env bash
# The README's main job, from a fresh clone, as root: install what is
# missing, build, then build a mesh of four nodes from invite links, each
# node in its own network namespace on one LAN (198.18.0.0/24), and show it:
# init, invite (a link and its QR code), join (one while the inviter is
# down), status, ping across it, `wg show`. Everything it creates is
# removed on exit. (scripts/demo-wg.sh is the older two-node WireGuard demo.)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root (network namespaces, TUN devices, apt-get)"
step "scripts/deps.sh: install what is missing"
scripts/deps.sh || die "scripts/deps.sh failed"
step "scripts/build.sh plain"
scripts/build.sh plain || die "build failed"

export MESHNODE="$top/build/meshnode"
# shellcheck source-path=SCRIPTDIR source=../tests/net/lib.sh
. "$top/tests/net/lib.sh"
mn_init || die "cannot set up (see above)"

NODES=(a b c d)
declare -A NAME=([a]=homeserver [b]=laptop [c]=cloudbox [d]=raspi)
i=0
for s in "${NODES[@]}"; do
	i=$((i + 1))
	side_init "$s" "$i" mn || die "names"
	MN_IFS+=("${S_IF[$s]}")
done
step "underlay: four namespaces on a bridge, 198.18.0.1-4 and 2001:2::1-4"
lan_up "${NODES[@]}" || die "could not build the namespaces"

# on SIDE ARGS...: show and run `meshnode ARGS` inside SIDE's namespace, with
# its own state directory (several nodes share this machine)
on() {
	local s=$1; shift
	printf '%s$ meshnode %s\n' "${NAME[$s]}" "$*" >&2
	ip netns exec "${S_NS[$s]}" timeout 60 "$MESHNODE" "$@" --state "$MN_TMP/st-$s"
}
quiet() { local s=$1; shift; ip netns exec "${S_NS[$s]}" timeout 60 "$MESHNODE" "$@" --state "$MN_TMP/st-$s"; }

step "homeserver creates the network and starts"
on a init --network demo --name homeserver --iface "${S_IF[a]}" || die "init failed"
on a up || die "up failed"

step "homeserver makes an invite link for three nodes (and its QR code, on stderr)"
L1=$(on a invite --uses 3 --qr) || die "invite failed"
echo "$L1"

step "laptop and cloudbox join with it"
on b join "$L1" --name laptop --iface "${S_IF[b]}" || die "laptop did not join"
on c join "$L1" --name cloudbox --iface "${S_IF[c]}" || die "cloudbox did not join"
wait_for 20 "homeserver to hold both" eval "[ \$(quiet a status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"members\"]))') = 2 ]"

step "a second link (it lists homeserver, laptop, cloudbox); then homeserver goes down"
L2=$(on a invite) || die "invite failed"
on a down || die "down failed"
step "raspi joins while the inviter is down: another member it lists admits it"
on d join "$L2" --name raspi --iface "${S_IF[d]}" || die "raspi did not join"
step "homeserver comes back"
on a up || die "up failed"

holds3() { [ "$(quiet "$1" status --json | python3 -c 'import json,sys; m=json.load(sys.stdin)["members"]; print(sum(x["liveness"]=="alive" for x in m))')" = 3 ]; }
for s in "${NODES[@]}"; do wait_for 30 "${NAME[$s]} to see the three others" holds3 "$s" || die "the mesh did not form"; done

step "status, on raspi"
on d status || die "status failed"

step "every node pings every other, by name, through the mesh"
for s in "${NODES[@]}"; do
	for t in "${NODES[@]}"; do
		[ "$s" = "$t" ] && continue
		on "$s" ping "${NAME[$t]}" -c 1 || die "${NAME[$s]} cannot reach ${NAME[$t]}"
	done
done

step "the kernel's view: ip addr and wg show on laptop"
ip -n "${S_NS[b]}" -br addr show dev "${S_IF[b]}"
ip netns exec "${S_NS[b]}" wg show "${S_IF[b]}"

step "stop and clean up"
for s in "${NODES[@]}"; do on "$s" down; done
lan_down
printf '\ndemo finished: four nodes, one invite each way, a mesh with no server.\n'

#!/usr/bin/env bash
# The WireGuard demo (the main job before the mesh), from a fresh clone, as root: install what is missing,
# build, then join two network namespaces with a meshnode WireGuard tunnel and
# show it as it happens: keys, configs, `wg show`, a ping and a short iperf3
# transfer through the tunnel. Everything it creates is removed on exit.
#
# MN_IMPL=wgo runs wireguard-go (+ wg setconf + ip) in place of meshnode, to
# develop the demo itself. MN_DEMO_SECONDS sets the transfer length (3).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
# show CMD...: print the command, then run it; showin SIDE CMD...: the same
# inside SIDE's namespace.
show() { printf '$ %s\n' "$*"; "$@"; }
showin() { local s=$1; shift; show ip netns exec "${S_NS[$s]}" "$@"; }

[ "$(id -u)" -eq 0 ] || die "run me as root (network namespaces, TUN devices, apt-get)"
step "scripts/deps.sh: install what is missing"
scripts/deps.sh || die "scripts/deps.sh failed"
step "scripts/build.sh plain"
scripts/build.sh plain || die "build failed"

export MESHNODE="$top/build/meshnode"
# shellcheck source-path=SCRIPTDIR source=../tests/net/lib.sh
. "$top/tests/net/lib.sh"
IMPL=$(impl_norm "${MN_IMPL:-mn}") || die "MN_IMPL is mn or wgo"
NAME=$(impl_name "$IMPL")
SECS=${MN_DEMO_SECONDS:-3}
impl_ok "$IMPL" || die "$NAME is not available ($MESHNODE was not built)"
mn_init || die "cannot set up (see above)"

side_init a 1 "$IMPL"
side_init b 2 "$IMPL"

NAME_KEY=$NAME
[ "$IMPL" = wgo ] && NAME_KEY=wg
step "keys: '$NAME_KEY genkey' and '$NAME_KEY pubkey'"
for s in a b; do
	side_keys "$s" "$IMPL" || die "key generation failed"
	printf '%s: private %s\n   public  %s   (%s genkey | %s pubkey)\n' "$s" "$(key "$s")" "$(pub "$s")" "$NAME_KEY" "$NAME_KEY"
done

conf_iface a 1420
conf_iface b 1420
conf_peer a b 4 "" 25
conf_peer b a 4 "" 25
for s in a b; do
	step "config of $s: ${S_CONF[$s]}"
	cat "${S_CONF[$s]}"
done

step "underlay: namespaces ${S_NS[a]} (${S_U4[a]}, ${S_U6[a]}) and ${S_NS[b]} (${S_U4[b]}, ${S_U6[b]}) on a bridge"
lan_up a b || die "could not build the namespaces"
show ip -n "${S_NS[a]}" -br addr show dev u0

for s in a b; do
	step "start $s: $([ "$IMPL" = mn ] && echo "meshnode wg ${S_IF[$s]} --config ${S_CONF[$s]}" ||
		echo "wireguard-go -f ${S_IF[$s]}; wg setconf; ip addr/link/route") in ${S_NS[$s]}"
	side_up "$s" || die "$NAME did not come up on $s"
	show ip -n "${S_NS[$s]}" -br addr show dev "${S_IF[$s]}"
	show ip -n "${S_NS[$s]}" route show dev "${S_IF[$s]}"
	show ip -n "${S_NS[$s]}" -6 route show dev "${S_IF[$s]}"
done

step "ping through the tunnel, a -> b"
wait_for 20 "the handshake" ping_ok a "${S_O4[b]}" || die "no handshake within 20 s"
showin a ping -c 3 -i 0.3 "${S_O4[b]}" || die "ping failed"
showin a ping -c 3 -i 0.3 "${S_O6[b]}" || die "ping over IPv6 failed"

step "wg show, both sides"
showin a wg show "${S_IF[a]}" || die "wg show failed"
echo
showin b wg show "${S_IF[b]}" || die "wg show failed"

step "iperf3: ${SECS} s of TCP from a to b through the tunnel"
iperf_server iperfd b 5201 || die "iperf3 server did not start"
showin a timeout $((SECS + 20)) iperf3 -c "${S_O4[b]}" -t "$SECS" || die "iperf3 failed"
waitexit iperfd 5 || stop iperfd 2

step "wg show ${S_IF[a]} transfer"
showin a wg show "${S_IF[a]}" transfer

step "stop (SIGTERM) and clean up"
for s in a b; do
	side_down "$s"
	echo "$s: $NAME exited with status $(side_rc "$s")"
done
lan_down
printf '\ndemo finished: two namespaces talked through a %s tunnel.\n' "$NAME"

#!/usr/bin/env bash
# `wg set` on the mesh interface: a hand-added peer is allowed and left
# alone, the members' peers are the mesh's (wg/uapi.c "Locked peers",
# doc/mesh-design.md "wg set on the mesh interface").
#
#   mesh      a: init, up; b and c join through a's link; all hold the two
#             others alive
#   phone     on a, `wg set` adds a peer with a `wg genkey` key, an allowed
#             IP in 100.64.0.0/10 that no member holds, and an endpoint:
#             accepted, listed by `wg show`; wireguard-go in namespace p with
#             that key pings a's overlay address through it (a's route to
#             the phone is added by hand: the daemon routes members only);
#             after 10 s of gossip the peer is still there, as it was
#   refused   `wg set` on a member's peer: remove, endpoint, allowed-ips;
#             the phone's allowed-ips claiming a member's /32: each exits
#             non-zero with "Operation not permitted" and changes nothing;
#             the members stay pingable
#   setconf   a config with only the phone and no [Interface] keys: refused
#             (wg setconf would clear the private key and the port); with
#             a's own PrivateKey and ListenPort (as showconf prints them):
#             accepted, the members' peers kept, every member and the phone
#             still reachable; addconf of the phone alone: accepted; syncconf
#             (which removes the peers missing from the file) refused
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_wgset setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

NODES=(a b c)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma)
i=0
for s in "${NODES[@]}"; do
	i=$((i + 1))
	side_init "$s" "$i" mn || { echo "FAIL: mesh_wgset names"; exit 1; }
	MN_IFS+=("${S_IF[$s]}")
done
side_init p 4 wgo || { echo "FAIL: mesh_wgset names"; exit 1; }
lan_up "${NODES[@]}" p || { fail "mesh_wgset: underlay"; exit 1; }

# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"
PORT=$MESH_PORT

# ---- the mesh ----
check "mesh: a init" mx a init --network demo --name alpha --iface "${S_IF[a]}" --port "$PORT"
check "mesh: a up" up a
L=$(mx a invite --uses 2)
check "mesh: b joins" join b "$L"
check "mesh: c joins" join c "$L"
for s in "${NODES[@]}"; do
	check "mesh: $s holds the two others, alive" wait_for 30 "$s holds 2" holds_alive "$s" 2
done
declare -A V4 WPUB
for s in "${NODES[@]}"; do
	V4[$s]=$(v4_of "$s")
	WPUB[$s]=$(wgs "$s" public-key)
done
IFA=${S_IF[a]}
wga() { wgn "${S_NS[a]}" "$@"; }

# ---- the hand-added peer ----
# An address in the overlay's 100.64.0.0/10 that no member holds.
PH4=
for n in 7 8 9; do
	cand=100.127.250.$n
	[[ " ${V4[*]} " == *" $cand "* ]] || { PH4=$cand; break; }
done
check "phone: keys" side_keys p wgo
PPUB=$(pub p)
check "phone: wg set adds it on a" \
	wga set "$IFA" peer "$PPUB" allowed-ips "$PH4/32" endpoint "${S_U4[p]}:${S_PORT[p]}"
check "phone: wg show lists it" eval "wgs a peers | grep -qxF -- '$PPUB'"
check "phone: ... with its allowed IP" \
	eval "wgs a allowed-ips | grep -qxF -- \"\$(printf '%s\t%s' '$PPUB' '$PH4/32')\""
cat >"${S_CONF[p]}" <<-EOF
	[Interface]
	PrivateKey = $(key p)
	ListenPort = ${S_PORT[p]}
	Address = $PH4/32

	[Peer]
	PublicKey = ${WPUB[a]}
	Endpoint = ${S_U4[a]}:$PORT
	AllowedIPs = ${V4[a]}/32
EOF
check "phone: wireguard-go up in p" side_up p
check "phone: a's route to it (by hand)" inns a ip route add "$PH4/32" dev "$IFA"
check "phone: pings a's overlay address through it" wait_for 10 "p->a" ping_ok p "${V4[a]}"
before=$(wgs a allowed-ips | sort)
sleep 10 # the mesh gossips and sets its peers meanwhile; nothing to wait for
check "phone: still there after 10 s of gossip, as it was" \
	eval "[ \"\$(wgs a allowed-ips | sort)\" = \"\$before\" ]"
check "phone: a lists the two members and the phone" eval "[ \"\$(wgs a peers | wc -l)\" -eq 3 ]"
check "phone: still pings a" ping_ok p "${V4[a]}"

# ---- refused ----
# refused WHAT WG-ARGS...: exits non-zero, says why, changes nothing.
refused() {
	local what=$1 out rc before
	shift
	before=$(wga showconf "$IFA" | sort)
	out=$(wga "$@" 2>&1)
	rc=$?
	check "refused: $what (exit non-zero)" test "$rc" -ne 0
	check "refused: $what: says why" eval "grep -q 'Operation not permitted' <<<\"\$out\""
	check "refused: $what: changes nothing" \
		eval "[ \"\$(wga showconf $IFA | grep -v '^Endpoint' | sort)\" = \"\$(grep -v '^Endpoint' <<<\"\$before\")\" ]"
}
refused "remove a member's peer" set "$IFA" peer "${WPUB[b]}" remove
refused "a member's endpoint" set "$IFA" peer "${WPUB[b]}" endpoint 192.0.2.1:9
refused "a member's allowed-ips" set "$IFA" peer "${WPUB[b]}" allowed-ips "${V4[b]}/32,10.9.0.0/16"
refused "the phone claiming b's /32" set "$IFA" peer "$PPUB" allowed-ips "$PH4/32,${V4[b]}/32"
check "refused: b still listed" eval "wgs a peers | grep -qxF -- '${WPUB[b]}'"
for s in b c; do
	check "refused: a still pings $s" wait_for 10 "a->$s" ping_ok a "${V4[$s]}"
done

# ---- setconf ----
phone_peer() {
	cat <<-EOF

		[Peer]
		PublicKey = $PPUB
		Endpoint = ${S_U4[p]}:${S_PORT[p]}
		AllowedIPs = $PH4/32
		PersistentKeepalive = ${1:-25}
	EOF
}
bare="$MN_TMP/phone-bare.conf"
own="$MN_TMP/phone-own.conf"
{ echo "[Interface]"; phone_peer; } >"$bare"
refused "setconf without a's PrivateKey and ListenPort" setconf "$IFA" "$bare"
(umask 077 && { wga showconf "$IFA" | grep -E '^\[Interface\]|^PrivateKey|^ListenPort'; phone_peer; } >"$own")
check "setconf: a's own keys in the file" eval "[ \"\$(grep -c '^PrivateKey\|^ListenPort' $own)\" -eq 2 ]"
check "setconf: only the phone, accepted" wga setconf "$IFA" "$own"
check "setconf: the members' peers kept" eval "[ \"\$(wgs a peers | wc -l)\" -eq 3 ]"
check "setconf: the phone's keepalive applied" \
	eval "wgs a persistent-keepalive | grep -qxF -- \"\$(printf '%s\t25' '$PPUB')\""
for s in b c; do
	check "setconf: a still pings $s" wait_for 10 "a->$s" ping_ok a "${V4[$s]}"
	check "setconf: $s still pings a" wait_for 10 "$s->a" ping_ok "$s" "${V4[a]}"
done
check "setconf: the phone still pings a" wait_for 10 "p->a" ping_ok p "${V4[a]}"
refused "syncconf removing the members" syncconf "$IFA" "$own"
check "addconf: the phone alone, accepted" wga addconf "$IFA" <(phone_peer 30)
check "addconf: applied" \
	eval "wgs a persistent-keepalive | grep -qxF -- \"\$(printf '%s\t30' '$PPUB')\""
check "addconf: the members' peers kept" eval "[ \"\$(wgs a peers | wc -l)\" -eq 3 ]"

for s in "${NODES[@]}"; do down "$s"; done
check "logs: no sanitizer report" \
	eval "! grep -l 'runtime error\|AddressSanitizer\|LeakSanitizer' $MN_TMP/st-*/meshnode.log"
mn_summary

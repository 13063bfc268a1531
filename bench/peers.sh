#!/usr/bin/env bash
# Time `wg setconf` of N generated peers against meshnode (`meshnode wg`) and
# wireguard-go, both in one network namespace of this run's own, and print a
# markdown table with the ratio meshnode / wireguard-go.
#
# Each peer has a /32 from 100.64.0.0/10, a /128 from fd00::/8 and an endpoint
# in 198.18.0.0/15 (DESIGN.md §9). Keys are 32 bytes from a seeded stream
# (any 32 bytes are a key to `wg`), so every run sets the same peers.
# Before each timed setconf the interface is emptied by an untimed setconf of
# the bare [Interface] section. meshnode's time includes installing a route
# per allowed IP (it is a drop-in for wireguard-go plus wg-quick's routes);
# wireguard-go installs none. Past DRIVER_MAX_ROUTES / 2 peers (32,768)
# meshnode installs no routes at all (it logs "routes not synced"), so its
# time per peer drops there.
#
# A bench, not a test: needs root; every step is bounded in time; cleans up
# on every exit.
#
# Environment:
#   MESHNODE         meshnode binary (default build/meshnode)
#   MN_PEERS_COUNTS  peer counts to run (default "1000 6000 10000 20000")
#   MN_PEERS_ROUNDS  timed runs per count and implementation, best kept (default 1)
#   MN_PEERS_TIMEOUT bound on one `wg` call in seconds (default 120)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
MESHNODE=${MESHNODE:-$top/build/meshnode}
COUNTS=${MN_PEERS_COUNTS:-1000 6000 10000 20000}
ROUNDS=${MN_PEERS_ROUNDS:-1}
WG_TIMEOUT=${MN_PEERS_TIMEOUT:-120}

NS="mnpeers-$$"
IF_MN="mnp$$m" # /var/run/wireguard is shared by every namespace: names of our own
IF_GO="mnp$$g"
TMP=
PIDS=()

say() { printf '# %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if ip netns list | grep -qw "^$NS"; then
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
	fi
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root"
for t in ip wg wireguard-go openssl base64 awk timeout; do
	command -v "$t" >/dev/null || die "missing $t"
done
[ -x "$MESHNODE" ] || die "no $MESHNODE: run scripts/build.sh"

TMP=$(mktemp -d /tmp/mnpeers.XXXXXX)
ip netns add "$NS" || die "cannot create namespace $NS"
ip -n "$NS" link set lo up

# wgn ARGS...: `wg ARGS...` in our namespace, bounded.
wgn() { ip netns exec "$NS" timeout "$WG_TIMEOUT" wg "$@"; }

# keys N: N public keys, one a line: 30 bytes of a seeded stream (40 base64
# characters, no padding) and two zero bytes ("AAA=").
keys() {
	openssl enc -aes-256-ctr -nosalt -pbkdf2 -pass pass:mnpeers </dev/zero 2>/dev/null |
		head -c $((30 * $1)) | base64 -w 40 | awk '{ print $0 "AAA=" }'
}

# iface_conf PRIVKEY PORT: the bare [Interface] section.
iface_conf() { printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n' "$1" "$2"; }

# peers_conf KEYFILE: a [Peer] section per key line.
peers_conf() {
	awk '{
		i = NR
		printf "\n[Peer]\nPublicKey = %s\n", $0
		printf "AllowedIPs = 100.%d.%d.%d/32, fd00::%x:%x/128\n", \
			64 + int(i / 65536), int(i / 256) % 256, i % 256, int(i / 65536), i % 65536
		printf "Endpoint = 198.%d.%d.%d:51820\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256
	}' "$1"
}

max=0
for n in $COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -le 131000 ] || die "at most 131000 peers (the endpoint range)"
keys "$max" >"$TMP/keys"
[ "$(wc -l <"$TMP/keys")" -eq "$max" ] || die "key generation failed"

priv_mn=$(wg genkey) && priv_go=$(wg genkey) || die "wg genkey failed"
iface_conf "$priv_mn" 51820 >"$TMP/$IF_MN.base"
iface_conf "$priv_go" 51821 >"$TMP/$IF_GO.base"
for n in $COUNTS; do
	head -n "$n" "$TMP/keys" >"$TMP/keys.$n"
	peers_conf "$TMP/keys.$n" >"$TMP/peers.$n"
	cat "$TMP/$IF_MN.base" "$TMP/peers.$n" >"$TMP/$IF_MN.$n"
	cat "$TMP/$IF_GO.base" "$TMP/peers.$n" >"$TMP/$IF_GO.$n"
done

# start NAME CMD...: run CMD in the namespace in the background, log to TMP.
start() {
	local name=$1
	shift
	ip netns exec "$NS" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
}
# ready IFACE PID: wait (10 s at most) until `wg show IFACE` answers.
ready() {
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		wgn show "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

start meshnode "$MESHNODE" wg "$IF_MN" --config "$TMP/$IF_MN.base"
ready "$IF_MN" "${PIDS[-1]}" || { tail "$TMP/meshnode.log" >&2; die "meshnode did not come up"; }
start wireguard-go env LOG_LEVEL=error wireguard-go -f "$IF_GO"
ready "$IF_GO" "${PIDS[-1]}" || { tail "$TMP/wireguard-go.log" >&2; die "wireguard-go did not come up"; }
wgn setconf "$IF_GO" "$TMP/$IF_GO.base" || die "wireguard-go: setconf failed"
ip -n "$NS" link set dev "$IF_GO" up

# timed IFACE N: seconds one `wg setconf` of N peers takes, or FAIL (after
# checking that all N peers are there).
timed() {
	local ifn=$1 n=$2 t0 t1 got
	wgn setconf "$ifn" "$TMP/$ifn.base" >/dev/null 2>&1 || { echo FAIL; return; }
	t0=${EPOCHREALTIME/./}
	if ! wgn setconf "$ifn" "$TMP/$ifn.$n" 2>"$TMP/err"; then
		say "$ifn: setconf of $n peers failed: $(head -c 200 "$TMP/err")"
		echo FAIL
		return
	fi
	t1=${EPOCHREALTIME/./}
	got=$(wgn show "$ifn" peers | wc -l)
	if [ "$got" -ne "$n" ]; then
		say "$ifn: $got peers after setconf of $n"
		echo FAIL
		return
	fi
	awk -v us=$((t1 - t0)) 'BEGIN { printf "%.3f\n", us / 1e6 }'
}

best() { # the smaller of two times; FAIL loses
	if [ "$1" = FAIL ]; then echo "$2"; elif [ "$2" = FAIL ]; then echo "$1"; else
		awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; fi
}

printf '| peers | meshnode s | wireguard-go s | ratio mn/wgo | meshnode us/peer | wireguard-go us/peer |\n'
printf '|---:|---:|---:|---:|---:|---:|\n'
for n in $COUNTS; do
	mn=FAIL go=FAIL
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			mn=$(best "$mn" "$(timed "$IF_MN" "$n")")
			go=$(best "$go" "$(timed "$IF_GO" "$n")")
		else
			go=$(best "$go" "$(timed "$IF_GO" "$n")")
			mn=$(best "$mn" "$(timed "$IF_MN" "$n")")
		fi
	done
	awk -v n="$n" -v a="$mn" -v b="$go" 'BEGIN {
		ratio = (a == "FAIL" || b == "FAIL" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b)
		pa = a == "FAIL" ? "n/a" : sprintf("%.0f", a * 1e6 / n)
		pb = b == "FAIL" ? "n/a" : sprintf("%.0f", b * 1e6 / n)
		printf "| %d | %s | %s | %s | %s | %s |\n", n, a, b, ratio, pa, pb
	}'
done

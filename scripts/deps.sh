#!/usr/bin/env bash
# Install what meshnode needs on Debian 12 and is missing. Needs root (apt-get).
set -euo pipefail
PKGS=(
	build-essential autoconf automake libtool pkg-config
	libsodium-dev libuv1-dev liblmdb-dev libminiupnpc-dev libnatpmp-dev libb2-dev libqrencode-dev check
	clang libclang-rt-14-dev
	iproute2 nftables iputils-ping iperf3 wireguard-go wireguard-tools procps
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to apt-get install: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# python3: tests/net/t_mesh_basic.sh checks `meshnode status --json` with its
# json module (the test falls back to patterns without it).
if ! command -v python3 >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to apt-get install python3" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3
fi

#!/usr/bin/env bash
# scripts/check-layers.sh passes on this tree and fails, naming file, line and
# rule, on each planted violation (one per copy of the source folders).
# Prints PASS:/FAIL: lines; exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
check="$top/scripts/check-layers.sh"
folders=(base wg gossip nat node store daemon cli sim)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nfail=0
pass() { echo "PASS: layers $*"; }
fail() { echo "FAIL: layers $*"; nfail=$((nfail + 1)); }

out=$("$check" "$top" 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "clean tree"; else echo "$out"; fail "clean tree (exit $rc)"; fi

# plant NAME FILE TEXT EXPECT [HEADER]: copy the folders, write TEXT to the
# new file FILE (and an empty HEADER, if given), and expect the check to exit
# 1 with "FILE:LINE: EXPECT" among its output, LINE being TEXT's last line.
# An empty EXPECT means TEXT must not trip the check.
n=0
plant() {
	local name=$1 file=$2 text=$3 expect=$4 header=${5:-} root line out rc
	n=$((n + 1)); root="$tmp/$n"; mkdir -p "$root"
	for f in "${folders[@]}"; do [ -d "$top/$f" ] && cp -r "$top/$f" "$root/"; done
	mkdir -p "$(dirname "$root/$file")"
	printf '%s\n' "$text" >"$root/$file"
	[ -n "$header" ] && : >"$root/$header"
	line=$(wc -l <"$root/$file")
	out=$("$check" "$root" 2>&1); rc=$?
	if [ -z "$expect" ]; then
		if [ $rc -eq 0 ]; then pass "$name"; else echo "$out"; fail "$name (exit $rc)"; fi
	elif [ $rc -eq 1 ] && grep -qF "$root/$file:$line: $expect" <<<"$out"; then
		pass "$name"
	else
		echo "$out"; fail "$name (exit $rc, wanted $file:$line: $expect)"
	fi
}
plant "base includes <uv.h>" base/planted.c '#include <uv.h>' 'includes <uv.h> [core is sans-I/O'
plant "node includes <sys/time.h>" node/planted.h $'#pragma once\n#  include <sys/time.h>' 'includes <sys/time.h>'
plant "gossip calls clock_gettime" gossip/planted.c \
	$'#include <time.h>\nstatic void f(struct timespec *ts) { clock_gettime(CLOCK_MONOTONIC, ts); }' \
	'uses clock_gettime [core is sans-I/O: time is an input]'
plant "wg calls randombytes_buf" wg/planted.c \
	'static void f(unsigned char *b) { randombytes_buf(b, 32); }' \
	'uses randombytes_buf [core draws randomness from its seeded generator]'
plant "gossip calls crypto_sign_keypair" gossip/planted.c \
	'static void f(unsigned char *p, unsigned char *s) { crypto_sign_keypair(p, s); }' \
	'uses crypto_sign_keypair'
plant "nat calls sendto" nat/planted.c 'static void f(int s) { (void)sendto(s, "", 0, 0, 0, 0); }' \
	'uses sendto [core is sans-I/O: no sockets]'
plant "base includes a gossip header" base/planted.c '#include "swim.h"' \
	'includes "swim.h" of gossip/ [base/ may include only base]'
plant "wg includes a daemon header" wg/planted.c '#include "driver.h"' \
	'includes "driver.h" of daemon/ [wg/ may include only base wg]'
plant "gossip includes a wg header" gossip/planted.c '#include "wg.h"' 'includes "wg.h" of wg/'
plant "node includes a daemon header" node/planted.c '#include "udp.h"' 'includes "udp.h" of daemon/'
plant "sim includes a cli-facing daemon header" sim/planted.c '#include "driver.h"' 'includes "driver.h" of daemon/'
plant "store includes a sim header" store/planted.c '#include <sim.h>' 'includes <sim.h> of sim/'
plant "two folders hold one header name" gossip/planted.c '#include "wg.h"' \
	'includes "wg.h" held by wg,gossip' gossip/wg.h
plant "a comment, a string, a member call and a seeded keypair are fine" gossip/planted.c \
	'/* time() uv_run() */ static const char *s = "clock_gettime(randombytes_buf"; static void f(struct o *o, unsigned char *p, unsigned char *k, const unsigned char *seed) { o->send(o); o->time(0); crypto_box_seed_keypair(p, k, seed); } // socket()' ''
plant "a multi-line comment is fine" wg/planted.c $'/*\n * gettimeofday(&tv, 0);\n * recvmmsg()\n */' ''
plant "node may include wg, gossip and base" node/planted.c $'#include "wg.h"\n#include "swim.h"\n#include "mn_err.h"\n#include <sodium.h>\n#include <netinet/in.h>' ''
plant "daemon may do I/O" daemon/planted.c 'static void f(int s) { (void)send(s, "", 0, 0); (void)time(0); }' ''

[ $nfail -eq 0 ]

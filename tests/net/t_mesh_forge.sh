#!/usr/bin/env bash
# A rogue member's forged admission is refused everywhere (doc/membership.md
# "Trust at join"; tests/net/lib.sh, mesh_lib.sh). Four members on one
# bridged LAN (198.18.0.1-4): a init (the root), b, c and d join with links
# of their own; d is the rogue R. The forgeries are made by
# tests/net/forge_admission (built with the tests) from d's state directory,
# as d could: a fresh node key K, its join proof signed with a link's
# secret, its admission signed by d's node key, K's state directory as a
# join writes it (d's records and their addresses). `meshnode up` runs K in
# a namespace of its own; it introduces itself (HELLO) to every member it
# holds, as any newcomer does.
#
#   taken    K = epsilon, with d's own (used) link, at b's IPv4. Rule 1 (no
#            admitting under one's own invite) comes before rule 2 (a held
#            IPv4 is never taken), so a, c and d count it as "admitter used
#            its own invite", none as "IPv4 held". Whether K reaches b
#            depends on the order K's own daemon restores its records (it
#            refuses b's while it counts itself at b's address, and stops
#            counting itself once it restored d's: K lost their invite's
#            one use to d, see forge_admission.c), so b's count is not
#            asserted, only that it is never "IPv4 held".
#   free     K = zeta, with d's own link, at a free IPv4: rule 1 alone, at
#            a, b, c and d.
#   foreign  K = eta, with a link d holds that is not its own (a fresh one
#            of a's: a shared team link), at c's IPv4: rule 2 alone, at a,
#            b and d (not c: K's own daemon refuses c's record, as it
#            holds c's address).
#
# For each: the members K reaches refuse it and count why (the swim
# counters the daemon prints on SIGUSR1); over a window of several gossip
# rounds no member lists K; the member whose address K claims is still
# reached by ping from every other member (K's namespace answers no ping),
# and its key is the only WireGuard peer routing that address anywhere.
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh); FORGE (default: the
# forge_admission built beside MESHNODE).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_forge setup (needs root and the tools of scripts/deps.sh)"; exit 1; }
: "${FORGE:=$(dirname "$MESHNODE")/tests/net/forge_admission}"
[ -x "$FORGE" ] || { fail "mesh_forge: no $FORGE (scripts/build.sh builds it)"; exit 1; }

MEMBERS=(a b c d)
NODES=(a b c d e f g)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma [d]=delta [e]=epsilon [f]=zeta [g]=eta)
mesh_lan mesh_forge "${NODES[@]}"
# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"

OWN="records refused: admitter used its own invite"
HELD="records refused: IPv4 held by another member"
WINDOW=12 # seconds of watching: a probe period is 5 s, HELLOs follow a failed probe

# daemon_pid SIDE: the mesh daemon `up`/`join` started in SIDE's namespace.
daemon_pid() {
	local p
	for p in $(ip netns pids "${S_NS[$1]}" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = meshnode ] && { echo "$p"; return 0; }
	done
	return 1
}
blocks() { grep -c ' udp rx ' "$(st "$1")/meshnode.log"; }
# counter SIDE TEXT: the daemon's counter TEXT (a SWIM_STAT_MAP text) now. On
# SIGUSR1 the daemon prints a block of counters (nonzero ones only), opened
# by its "udp rx" line; a second signal's block opening says the first is
# complete.
counter() {
	local s=$1 pid n
	pid=$(daemon_pid "$s") || { say "no daemon in $s" >&2; echo -1; return 1; }
	n=$(blocks "$s")
	kill -USR1 "$pid"
	wait_for 10 "$s counters" eval "[ \$(blocks $s) -gt $n ]" >&2 || { echo -1; return 1; }
	kill -USR1 "$pid"
	wait_for 10 "$s counters" eval "[ \$(blocks $s) -gt $((n + 1)) ]" >&2 || { echo -1; return 1; }
	awk -v b=$((n + 1)) -v t="$2" '
		/ udp rx / { k++; next }
		k == b { i = index($0, "gossip: "); if (i && substr($0, i + 8) ~ "^[0-9]+ " t "$") { split(substr($0, i + 8), f, " "); v = f[1] } }
		END { print v + 0 }' "$(st "$s")/meshnode.log"
}
declare -A C_OWN C_HELD
snapshot() { for s in "${MEMBERS[@]}"; do C_OWN[$s]=$(counter "$s" "$OWN"); C_HELD[$s]=$(counter "$s" "$HELD"); done; }
grew() { [ "$(counter "$1" "$2")" -gt "$3" ]; }
# nobody_lists NAME SECONDS: no member lists NAME at any poll for SECONDS.
nobody_lists() {
	local end=$(($(now_us) + $2 * MN_TIME_SCALE * 1000000)) s
	while [ "$(now_us)" -lt "$end" ]; do
		for s in "${MEMBERS[@]}"; do
			holds "$s" "$1" && { say "$s lists $1"; return 1; }
		done
		sleep 1
	done
}
# routers SIDE ADDR: the keys of SIDE's WireGuard peers that route ADDR/32.
routers() { wgs "$1" allowed-ips | awk -v a="$2/32" '{ for (i = 2; i <= NF; i++) if ($i == a) print $1 }'; }
# routes_to SIDE ADDR OWNER: to OWNER's key and no other; routes_none: to none.
routes_to() { local k; k=$(wgs "$3" public-key) && [ "$(routers "$1" "$2")" = "$k" ]; }
routes_none() { local r; r=$(routers "$1" "$2") && [ -z "$r" ]; }

# forge K LINK IPV4: K's state directory, made in d's namespace from d's,
# once d's store holds every member's address (the tool exits 3 until then).
forge() {
	local out rc end=$(($(now_us) + 30 * MN_TIME_SCALE * 1000000))
	while :; do
		out=$(inns d "$FORGE" --from "$(st d)" --link "$2" --ipv4 "$3" \
			--via "${S_U4[d]}:$MESH_PORT" --state "$(st "$1")" --name "${NAME[$1]}" \
			--iface "${S_IF[$1]}" --port "$MESH_PORT" 2>&1)
		rc=$?
		[ $rc -ne 3 ] || [ "$(now_us)" -ge "$end" ] && break
		sleep 0.2
	done
	say "forge_admission: $out"
	return $rc
}

# ---- setup ----
check "setup: a init" mx a init --network forgenet --name alpha --iface "${S_IF[a]}" --port "$MESH_PORT"
check "setup: a up" up a
check "setup: b joins" join b "$(mx a invite)"
check "setup: c joins" join c "$(mx a invite)"
LD=$(mx a invite)
check "setup: d joins" join d "$LD"
for s in "${MEMBERS[@]}"; do
	check "setup: $s holds the three others" wait_for 30 "$s holds 3" holds_alive "$s" 3
done
declare -A V4
for s in "${MEMBERS[@]}"; do V4[$s]=$(v4_of "$s"); done
FREE=100.64.77.77
for s in "${MEMBERS[@]}"; do [ "${V4[$s]}" != "$FREE" ] || FREE=100.64.77.78; done
snapshot

# run_variant WHAT K LINK IPV4 VICTIM REASON: forge K, start it, check.
# VICTIM: the member whose address K claims (empty: none); REASON: the
# counter that must grow at every member K reaches (all but VICTIM), while
# the other stays as it was.
run_variant() {
	local what=$1 k=$2 link=$3 ip=$4 victim=$5 reason=$6 other s t
	[ "$reason" = "$OWN" ] && other=$HELD || other=$OWN
	check "$what: forge_admission writes ${NAME[$k]}'s state directory" forge "$k" "$link" "$ip"
	# K's namespace answers no ping: one answered comes from the real owner
	check "$what: ${NAME[$k]}'s namespace ignores pings" \
		inns "$k" sysctl -q -w net.ipv4.icmp_echo_ignore_all=1
	check "$what: ${NAME[$k]}'s daemon starts" up "$k"
	check "$what: no member lists ${NAME[$k]} for ${WINDOW}s" nobody_lists "${NAME[$k]}" "$WINDOW"
	for s in "${MEMBERS[@]}"; do
		[ "$s" = "$victim" ] && continue
		local was
		[ "$reason" = "$OWN" ] && was=${C_OWN[$s]} || was=${C_HELD[$s]}
		check "$what: $s counts the refusal: ${reason#records refused: }" \
			wait_for 30 "$s to refuse ${NAME[$k]}" grew "$s" "$reason" "$was"
	done
	for s in "${MEMBERS[@]}"; do
		local before
		[ "$other" = "$OWN" ] && before=${C_OWN[$s]} || before=${C_HELD[$s]}
		check "$what: $s counts nothing as ${other#records refused: }" \
			test "$(counter "$s" "$other")" -eq "$before"
	done
	check "$what: no member lists ${NAME[$k]} still" nobody_lists "${NAME[$k]}" 1
	if [ -n "$victim" ]; then
		for s in "${MEMBERS[@]}"; do
			[ "$s" = "$victim" ] && continue
			check "$what: $s -> $victim pings $ip" wait_for 10 "$s->$victim" ping_ok "$s" "$ip"
			check "$what: $s routes $ip to $victim's key only" routes_to "$s" "$ip" "$victim"
		done
	else
		for s in "${MEMBERS[@]}"; do
			check "$what: $s routes $ip to no peer" routes_none "$s" "$ip"
		done
	fi
	check "$what: ${NAME[$k]} down" down "$k"
	snapshot
}

run_variant "taken" e "$LD" "${V4[b]}" b "$OWN"
run_variant "free" f "$LD" "$FREE" "" "$OWN"
run_variant "foreign" g "$(mx a invite)" "${V4[c]}" c "$HELD"

for s in "${MEMBERS[@]}"; do
	check "end: $s still holds the three others" holds_alive "$s" 3
done
for s in "${MEMBERS[@]}"; do down "$s"; done
no_sanitizer_report "$MN_TMP"/st-*/meshnode.log
mn_summary

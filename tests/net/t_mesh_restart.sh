#!/usr/bin/env bash
# Restarts and crashes of mesh daemons (DESIGN.md §7: the store reopens
# consistent and a restart reconnects from it), on one bridged underlay
# (tests/net/lib.sh: a..l, 198.18.0.1-12). "The mesh agrees": every running
# member lists the same nodes (names and IPv4s, status --json), all alive,
# no IPv4 twice.
#
#   mesh     a: init, up (the root, the inviter). b, c, d join; the mesh
#            agrees; every node pings every other's overlay IPv4.
#   member   b down, up: it holds its members at once (from the store, no
#            gossip yet), keeps its name and addresses, the mesh agrees,
#            b and the others ping each other.
#   root     e joins with a single-use link, f with the first use of a
#            two-use link; a down, up: as for b, and `invite --list` is as
#            before. Then the single-use link is refused (used up, nothing
#            written), the two-use link's second use admits g and a third
#            use is refused, and a link made after the restart admits h.
#   burst    single-use links from a: i, j, k join at once with links that
#            list a first, then three other members; as soon as a admitted
#            the first of them, l starts with a link listing a alone and
#            a's daemon is killed (SIGKILL). a up again: the
#            store opens (no store error in its log), the mesh agrees over
#            a..h and every join that succeeded, each of which pings a and
#            b and is pinged by them; a failed join wrote nothing, and its
#            retry with a fresh link succeeds.
#   crash    c's daemon is killed (SIGKILL), c up again: the store opens,
#            c holds its members at once, the mesh agrees, c and a ping.
#
# Environment: MESHNODE, MN_TIME_SCALE (lib.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
mn_init || { echo "FAIL: mesh_restart setup (needs root and the tools of scripts/deps.sh)"; exit 1; }

NODES=(a b c d e f g h i j k l)
declare -A NAME=([a]=alpha [b]=beta [c]=gamma [d]=delta [e]=epsilon [f]=zeta [g]=eta
	[h]=theta [i]=iota [j]=kappa [k]=lambda [l]=mu)
mesh_lan mesh_restart "${NODES[@]}"
# shellcheck source-path=SCRIPTDIR source=mesh_lib.sh
. "$here/mesh_lib.sh"

UP=()            # the members whose daemons run
declare -A V4    # side -> overlay IPv4
# agreed: every member of UP lists exactly UP's names, all alive, each IPv4 once
agreed() {
	local s v first="" names
	names=$(for s in "${UP[@]}"; do echo "${NAME[$s]}"; done | sort)
	for s in "${UP[@]}"; do
		v=$(view "$s") || return 1
		[ "$(awk '{print $1}' <<<"$v")" = "$names" ] || return 1
		[ -z "$(awk '{print $2}' <<<"$v" | sort | uniq -d)" ] || return 1
		[ -z "$first" ] && first=$v
		[ "$v" = "$first" ] || return 1
	done
	while read -r n ip; do
		for s in "${UP[@]}"; do [ "${NAME[$s]}" = "$n" ] && V4[$s]=$ip; done
	done <<<"$first"
	return 0
}
# agree WHAT [SECONDS]: the mesh agrees within a bound (30 s; else each
# member's view, said)
agree() {
	local s t0
	t0=$(now_us)
	if check "$1: the mesh agrees (${#UP[@]} members, same names and IPv4s, alive)" \
		wait_for "${2:-30}" "the members to agree" agreed; then
		say "$1: agreed after $((($(now_us) - t0) / 1000)) ms"
		return 0
	fi
	for s in "${UP[@]}"; do
		say "$s holds: $(mx "$s" status --json | python3 -c 'import json,sys; print(" ".join("%s:%s" % (m["name"], m["liveness"]) for m in json.load(sys.stdin)["members"]))')"
	done
	return 1
}
# pings WHAT S T...: S pings each T and each T pings S (overlay IPv4)
pings() {
	local what=$1 s=$2 t
	shift 2
	for t in "$@"; do
		check "$what: $s -> $t pings" wait_for 10 "$s->$t" ping_ok "$s" "${V4[$t]:-}"
		check "$what: $t -> $s pings" wait_for 10 "$t->$s" ping_ok "$t" "${V4[$s]:-}"
	done
}
others() { local t; for t in "${UP[@]}"; do [ "$t" != "$1" ] && echo "$t"; done; }
n_members() { mx "$1" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))'; }
self_of() { mx "$1" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["self"]; print(s["name"], s["ipv4"], s["ipv6"])'; }
# restart WHAT SIDE: down, up; it holds its members at once and keeps its identity
restart() {
	local what=$1 s=$2 before n
	before=$(self_of "$s")
	check "$what: $s down" down "$s"
	check "$what: $s up" up "$s"
	n=$(n_members "$s")
	check "$what: $s holds its $((${#UP[@]} - 1)) members at once (from the store)" \
		test "$n" = $((${#UP[@]} - 1))
	check "$what: $s keeps its name and addresses" test "$(self_of "$s")" = "$before"
}
log_lines() { wc -l <"$(st "$1")/meshnode.log"; }
# store_clean SIDE FROM: no store error in SIDE's log after line FROM
store_clean() { ! tail -n +"$(($2 + 1))" "$(st "$1")/meshnode.log" |
	grep -Ei 'corrupt|i/o error|stored record was refused|does not hold|cannot'; }
# crash WHAT SIDE: SIGKILL to SIDE's daemon, until it is gone
crash() {
	local pid
	pid=$(daemon_pid "$2")
	check "$1: $2's daemon found" test -n "$pid" || return 1
	kill -KILL "$pid"
	check "$1: $2's daemon killed" wait_for 10 "$2's daemon to die" eval "! proc_alive $pid"
}
joined() { grep -q "^${NAME[$2]} 100\\." <<<"$1"; }
gone() { test ! -e "$(st "$1")"; }
# joins WHAT SIDE LINK: SIDE joins, says so, and runs from now on
joins() {
	local out
	out=$(join "$2" "$3")
	check "$1" joined "$out" "$2" || return 1
	UP+=("$2")
	V4[$2]=$(awk '{print $2}' <<<"$out")
}
# refused WHAT SIDE LINK: the join is refused as used up and writes nothing
refused() {
	local err
	err=$(join "$2" "$3" --timeout 5 2>&1)
	check "$1 (exit 1)" test $? -eq 1
	check "$1: says used up" grep -q "used up" <<<"$err"
	check "$1: writes nothing" gone "$2"
}

# ---- mesh ----
check "mesh: a init" mx a init --network restartnet --name alpha --iface "${S_IF[a]}" \
	--port "$MESH_PORT"
check "mesh: a up" up a
UP=(a)
L=$(mx a invite --uses 3)
for s in b c d; do
	joins "mesh: $s joins" "$s" "$L"
done
agree mesh
for s in "${UP[@]}"; do
	for t in "${UP[@]}"; do
		[ "$s" = "$t" ] && continue
		check "mesh: $s -> $t pings" wait_for 10 "$s->$t" ping_ok "$s" "${V4[$t]:-}"
	done
done

# ---- member ----
restart member b
agree member
mapfile -t rest < <(others b)
pings member b "${rest[@]}"

# ---- root ----
LS=$(mx a invite)
L2=$(mx a invite --uses 2)
joins "root: e joins (single-use link)" e "$LS"
joins "root: f joins (first use of a two-use link)" f "$L2"
agree root-before
usable() { mx a invite --list | awk '{print $1, $2}'; } # id, uses (not the time left)
list_before=$(usable)
restart root a
check "root: invite --list is as before (uses made)" test "$(usable)" = "$list_before"
agree root
mapfile -t rest < <(others a)
pings root a "${rest[@]}"
refused "root: the single-use link used before the restart is refused after it" h "$LS"
joins "root: g joins (second use of the two-use link)" g "$L2"
refused "root: a third use of the two-use link is refused" h "$L2"
joins "root: h joins with a link made after the restart" h "$(mx a invite)"
agree root-joins
pings root-joins a g h

# ---- burst ----
# i, j, k: links listing a and three others; l: a link listing a alone,
# started as a is killed, so it fails (bound 10 s)
BURST=(i j k l)
declare -A LINK
for s in i j k; do LINK[$s]=$(mx a invite); done
LINK[l]=$(mx a invite --via alpha)
# the kill lands as soon as a has admitted the first of i, j, k, while the
# others run (a join takes some 20-50 ms here)
admitted_one() { local s; for s in i j k; do [ -e "$(st "$s")/data.mdb" ] && return 0; done; return 1; }
from=$(log_lines a)
pid=$(daemon_pid a)
check "burst: a's daemon found" test -n "$pid"
t0=$(now_us)
for s in i j k; do spawn "join-$s" - join "$s" "${LINK[$s]}" --timeout 30; done
check "burst: a admits the first joiner" wait_for -i 0.005 10 "a's first admission" admitted_one
spawn join-l - join l "${LINK[l]}" --timeout 10
kill -KILL "$pid"
say "burst: a killed $((($(now_us) - t0) / 1000)) ms after the joins started"
check "burst: a's daemon killed" wait_for 10 "a's daemon to die" eval "! proc_alive $pid"
mapfile -t UP < <(others a)
for s in "${BURST[@]}"; do
	check "burst: $s's join ends" waitexit "join-$s" 60
done
check "burst: a up again after SIGKILL" up a
check "burst: a's store opened clean (no store error in its log)" store_clean a "$from"
UP=(a "${UP[@]}")
FAILED=()
for s in "${BURST[@]}"; do
	out=$(cat "${MN_LOG[join-$s]}")
	if [ "${MN_RC[join-$s]}" = 0 ] && joined "$out" "$s"; then
		say "burst: $s joined after $((($(date -r "${MN_LOG[join-$s]}" +%s%6N) - t0) / 1000)) ms: $out"
		UP+=("$s")
		V4[$s]=$(awk '{print $2}' <<<"$out")
	else
		say "burst: $s failed (exit ${MN_RC[join-$s]}): $out"
		FAILED+=("$s")
	fi
done
say "burst: ${#FAILED[@]} of ${#BURST[@]} joins failed"
# a newcomer whose HELLO a never got (killed) is heard by its join sync's
# next try: 5, 15, 35 s after its start (gossip/swim.c)
agree burst 60
for s in "${BURST[@]}"; do
	[[ " ${FAILED[*]} " == *" $s "* ]] && continue
	pings burst "$s" a b
done
for s in "${FAILED[@]}"; do
	check "burst: the failed join of $s wrote nothing" gone "$s"
	joins "burst: $s's retry with a fresh link succeeds" "$s" "$(mx a invite)"
done
[ "${#FAILED[@]}" -gt 0 ] && agree burst-retry

# ---- crash ----
from=$(log_lines c)
crash crash c
check "crash: c up again after SIGKILL" up c
check "crash: c's store opened clean (no store error in its log)" store_clean c "$from"
check "crash: c holds its $((${#UP[@]} - 1)) members at once (from the store)" \
	test "$(n_members c)" = $((${#UP[@]} - 1))
agree crash
pings crash c a

for s in "${UP[@]}"; do down "$s"; done
no_sanitizer_report "$MN_TMP"/st-*/meshnode.log
mn_summary

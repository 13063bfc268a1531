#!/usr/bin/env bash
# Run simulator scenarios over many seeds: a protocol target counts when it
# holds on seeds it was not tuned on. Prints, per scenario, how many seeds
# passed and, for each that failed, the expectations it missed and the line
# that replays it. Exits 1 when any seed failed.
#
#   bench/sweep.sh [-n SEEDS] SCENARIO...   (a name in sim/scenarios or a path; default 20 seeds)
#
# Environment: MESHSIM (bench/lib.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=sweep.sh
. "$top/bench/lib.sh"
n=20
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: bench/sweep.sh [-n SEEDS] SCENARIO..." >&2; exit 2; }
for scn in "$@"; do
	f=$scn
	[ -f "$f" ] || f=$top/sim/scenarios/${scn%.scn}.scn
	[ -f "$f" ] || { echo "$me: no scenario $scn" >&2; exit 2; }
	pass=0 failed=""
	for ((seed = 1; seed <= n; seed++)); do
		out=$("$MESHSIM" "$f" --seed "$seed" 2>&1)
		if grep -q '^verdict=pass' <<<"$out"; then
			pass=$((pass + 1))
		else
			failed+="  seed $seed: $(grep -E 'FAILED|^error' <<<"$out" | sed 's/ (line [0-9]*)//' | paste -sd ';' -)"$'\n'
			failed+="    replay: $(grep '^replay:' <<<"$out" | sed 's/^replay: //')"$'\n'
		fi
	done
	echo "$(basename "$f" .scn): $pass/$n seeds pass"
	printf '%s' "$failed"
	[ "$pass" -eq "$n" ] || bad=1
done
exit "${bad:-0}"

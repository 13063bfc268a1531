#!/usr/bin/env bash
# The nightly sweep: every simulator scenario CI runs (the ones
# tests/sim/*.c name), over 20 seeds each, as a protocol target counts
# only when it holds on seeds nobody tuned on. Prints one line per
# scenario (seeds passed) and, for every failing seed, the expectations it
# missed and the line that replays it. Not run by CI (about 25 minutes on
# one core); exits 1 when any seed failed.
#
#   bench/nightly.sh [-n SEEDS] [SCENARIO...]   (default: every CI scenario, 20 seeds)
#
# Environment: MESHSIM (bench/lib.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=nightly.sh
. "$top/bench/lib.sh"
n=20
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
scns=("$@")
if [ ${#scns[@]} -eq 0 ]; then
	# the scenario files the CI tests run, in the order of their names
	mapfile -t scns < <(grep -ho '"[a-z0-9-]*\.scn"' "$top"/tests/sim/*.c | tr -d '"' | sort -u |
		while read -r f; do [ -f "$top/sim/scenarios/$f" ] && echo "${f%.scn}"; done)
fi
[ ${#scns[@]} -gt 0 ] || { echo "$me: no scenarios" >&2; exit 2; }
bad=0 total=0 start=$SECONDS
for scn in "${scns[@]}"; do
	f=$top/sim/scenarios/${scn%.scn}.scn
	[ -f "$f" ] || { echo "$me: no scenario $scn" >&2; exit 2; }
	pass=0 failed=""
	for ((seed = 1; seed <= n; seed++)); do
		out=$("$MESHSIM" "$f" --seed "$seed" 2>&1)
		total=$((total + 1))
		if grep -q '^verdict=pass' <<<"$out"; then
			pass=$((pass + 1))
			continue
		fi
		bad=$((bad + 1))
		failed+="  seed $seed: $(grep -E 'FAILED|^error' <<<"$out" | sed 's/ (line [0-9]*)//' | paste -sd ';' -)"$'\n'
		failed+="    replay: $(grep '^replay:' <<<"$out" | sed 's/^replay: //')"$'\n'
	done
	echo "$(basename "$f" .scn): $pass/$n seeds pass"
	printf '%s' "$failed"
done
echo "$((total - bad)) of $total runs passed in $((SECONDS - start)) s"
[ "$bad" -eq 0 ]

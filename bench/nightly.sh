#!/usr/bin/env bash
# The nightly sweep: every simulator scenario CI runs (the ones
# tests/sim/*.c name), over 20 seeds each (bench/sweep.sh), as a protocol
# target counts only when it holds on seeds nobody tuned on. Prints one
# line per scenario and, for every failing seed, the expectations it missed
# and the line that replays it. Not run by CI (about 25 minutes on one
# core); exits 1 when any seed failed.
#
#   bench/nightly.sh [-n SEEDS]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t scns < <(grep -ho '"[a-z0-9-]*\.scn"' "$top"/tests/sim/*.c | tr -d '"' | sort -u |
	while read -r f; do [ -f "$top/sim/scenarios/$f" ] && echo "${f%.scn}"; done)
[ ${#scns[@]} -gt 0 ] || { echo "nightly.sh: no scenarios in tests/sim" >&2; exit 2; }
start=$SECONDS
"$top/bench/sweep.sh" "$@" "${scns[@]}"
rc=$?
echo "${#scns[@]} scenarios in $((SECONDS - start)) s"
exit $rc

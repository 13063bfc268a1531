#!/usr/bin/env bash
# Run libFuzzer targets for a fixed time each and report what they did.
#
#   bench/fuzz.sh [-t SECONDS] [-r REFDIR] [TARGET...]   (default: 60 s, every built target)
#
# TARGET is a name such as fuzz_wg_recv or wg_recv. Each target runs alone
# (one process, one core), from a copy of its seed corpus in a temp dir, so
# fuzz/corpus/ is never written to. Prints one line per target: executions,
# exec/s, coverage (libFuzzer's last cov: and ft:) and crashes (crash-,
# leak-, timeout- and oom- artifacts), then a summary line. Artifacts are
# kept in build-fuzz/artifacts/TARGET/. Exits 1 on any crash, 2 on misuse.
#
# With -r REFDIR (another build's fuzz/ directory, e.g. a copy of the targets
# before a change), each final corpus is also replayed by REFDIR's target of
# the same name (-runs=0) and its cov/ft printed as ref-cov/ref-ft: the same
# yardstick for two builds' corpora, where cov alone also counts the setup
# code a target runs per input (and not when it builds its state once).
#
# Environment: MN_FUZZ_BIN (default build-fuzz/fuzz, from scripts/build.sh fuzz).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=fuzz.sh
usage() { echo "usage: bench/fuzz.sh [-t SECONDS] [-r REFDIR] [TARGET...]" >&2; exit 2; }
secs=60 ref=""
while [ $# -gt 0 ]; do
	case "$1" in
	-t) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; secs=$2; shift 2 ;;
	-r) [ $# -ge 2 ] && [ -d "$2" ] || usage; ref=$(cd "$2" && pwd); shift 2 ;;
	*) break ;;
	esac
done
case "${1:-}" in -*) usage ;; esac
bindir=${MN_FUZZ_BIN:-$top/build-fuzz/fuzz}
names=()
if [ $# -gt 0 ]; then
	for t in "$@"; do names+=("fuzz_${t#fuzz_}"); done
else
	for bin in "$bindir"/fuzz_*; do
		[ -x "$bin" ] && [ -f "$bin" ] && names+=("$(basename "$bin")")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "$me: no targets in $bindir (scripts/build.sh fuzz)" >&2; exit 2; }
for n in "${names[@]}"; do
	[ -x "$bindir/$n" ] || { echo "$me: no target $bindir/$n" >&2; exit 2; }
	[ -z "$ref" ] || [ -x "$ref/$n" ] || { echo "$me: no target $ref/$n" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

total_runs=0 total_crashes=0 bad=""
cols() { # the per-target line, with ref-cov/ref-ft under -r
	printf '%-18s %12s %9s %7s %8s %8s' "${@:1:6}"
	[ -z "$ref" ] || printf ' %8s %8s' "$7" "$8"
	printf '\n'
}
cols target executions exec/s cov ft crashes ref-cov ref-ft
for n in "${names[@]}"; do
	corpus=$tmp/$n/corpus art=$tmp/$n/art/
	mkdir -p "$corpus" "$art"
	seeds=$top/fuzz/corpus/${n#fuzz_}
	[ -d "$seeds" ] && cp -r "$seeds/." "$corpus/"
	# timeout: the run itself is bounded by -max_total_time; this only
	# catches a target that hangs before the fuzzing loop starts.
	timeout $((secs + 120)) "$bindir/$n" -max_total_time="$secs" -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art" "$corpus" >"$tmp/$n/log" 2>&1
	rc=$?
	log=$tmp/$n/log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	# the last status line carries the final coverage ("#N DONE cov: C ft: F ...")
	line=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$line")
	ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$line")
	crashes=$(find "$art" -maxdepth 1 -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	# a non-zero exit without an artifact (a crash in setup, the timeout) counts too
	[ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
	rcov="" rft=""
	if [ -n "$ref" ]; then
		line=$(timeout $((secs + 120)) "$ref/$n" -runs=0 -rss_limit_mb=2048 "$corpus" 2>&1 |
			grep -E '^#[0-9]+.*INITED.*cov: [0-9]+ ft: [0-9]+' | tail -1)
		rcov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$line")
		rft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$line")
	fi
	cols "$n" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes" "${rcov:-?}" "${rft:-?}"
	total_runs=$((total_runs + ${runs:-0}))
	if [ "$crashes" -gt 0 ]; then
		total_crashes=$((total_crashes + crashes))
		bad+=" $n"
		keep=$top/build-fuzz/artifacts/$n
		mkdir -p "$keep"
		cp "$art"* "$keep/" 2>/dev/null
		cp "$log" "$keep/$n.log"
		echo "  $n: exit $rc; artifacts and log in ${keep#"$top"/}/" >&2
		grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|deadly signal|^ALARM' "$log" | sed 's/^/  /' >&2
	fi
done
echo "${#names[@]} targets, ${secs} s each: $total_runs executions, $total_crashes crashes${bad:+ (${bad# })}"
[ "$total_crashes" -eq 0 ]

#!/usr/bin/env bash
# Install, build and run every test: the layer rules, unit (plain and
# ASan+UBSan), network namespace integration tests, and a short smoke of
# every fuzz target.
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
#
# Every part reports results as lines "PASS: name" / "FAIL: name" (Check's
# totals are converted), collected in build/test-results.txt.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

results="$top/build/test-results.txt"
mkdir -p build
: >"$results"
pass() { echo "PASS: $*" | tee -a "$results"; }
fail() { echo "FAIL: $*" | tee -a "$results"; }

# Scripts that print PASS:/FAIL: lines of their own; one that exits non-zero
# without a FAIL line counts as one failure.
run_scripts() { # [VAR=value ...] -- script...
	local envs=() t out rc
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
	for t in "$@"; do
		[ -f "$t" ] || continue
		out=$(env "${envs[@]}" timeout 900 bash "$t" 2>&1); rc=$?
		echo "$out" | sed "s|^|  [$(basename "$t")] |"
		echo "$out" | grep -E '^(PASS|FAIL): ' >>"$results"
		if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^FAIL: '; then
			fail "$(basename "$t") exited $rc"
		fi
	done
}

# Layer rules (DESIGN.md §1) on this tree, then the check's own test.
if scripts/check-layers.sh; then pass "layer rules"; else fail "layer rules"; fi
run_scripts -- tests/layers/t_*.sh

kinds=(plain san fuzz)
[ -n "${MN_TEST_KINDS:-}" ] && read -r -a kinds <<<"$MN_TEST_KINDS"
built=()
for kind in "${kinds[@]}"; do
	if scripts/build.sh "$kind"; then built+=("$kind"); else fail "build $kind"; fi
done

# Unit tests: every Check binary, in the plain and the sanitizer tree.
run_check() { # dir label
	local dir=$1 label=$2 bin out line checks failures errors
	for bin in "$dir"/tests/test_*; do
		[ -x "$bin" ] || continue
		out=$(CK_FORK=yes timeout 600 "$bin" 2>&1); local rc=$?
		echo "$out" | grep -E '^[0-9]+%: Checks|:[EF]:' | sed "s|^|  [$label $(basename "$bin")] |"
		line=$(echo "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -1)
		if [ -z "$line" ]; then
			fail "$label $(basename "$bin") (no Check summary, exit $rc)"
			continue
		fi
		checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		failures=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		errors=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		local ok=$((checks - failures - errors)) i
		for ((i = 0; i < ok; i++)); do echo "PASS: $label $(basename "$bin") #$i" >>"$results"; done
		for ((i = 0; i < failures + errors; i++)); do echo "FAIL: $label $(basename "$bin") #$i" >>"$results"; done
		[ "$rc" -ne 0 ] && [ $((failures + errors)) -eq 0 ] && fail "$label $(basename "$bin") exit $rc"
	done
}
for kind in "${built[@]}"; do
	case "$kind" in
	plain) run_check build unit ;;
	san) ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_check build-san unit-san ;;
	esac
done

# Fuzz smoke: each target for a bounded time from its seed corpus.
if [[ " ${built[*]} " == *" fuzz "* ]]; then
	for bin in build-fuzz/fuzz/fuzz_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		corpus=$(mktemp -d)
		[ -d "fuzz/corpus/${name#fuzz_}" ] && cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/"
		if timeout 120 "$bin" -max_total_time="${MN_FUZZ_SECONDS:-15}" -rss_limit_mb=2048 "$corpus" >"build/$name.log" 2>&1; then
			pass "fuzz smoke $name"
		else
			tail -30 "build/$name.log"; fail "fuzz smoke $name"
		fi
		rm -rf "$corpus"
	done
fi

# Network namespace tests: real binaries, one at a time.
if [[ " ${built[*]} " == *" plain "* ]] && [ -z "${MN_SKIP_NET:-}" ]; then
	run_scripts MESHNODE="$top/build/meshnode" -- tests/net/t_*.sh
elif [ -n "${MN_SKIP_NET:-}" ]; then
	fail "network tests skipped by MN_SKIP_NET (not allowed in CI)"
fi

npass=$(grep -c '^PASS: ' "$results")
nfail=$(grep -c '^FAIL: ' "$results")
echo "---- failures ----"; grep '^FAIL: ' "$results" || true
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]

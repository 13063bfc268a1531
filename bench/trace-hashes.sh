#!/usr/bin/env bash
# Print the trace hash and verdict of every CI-sized scenario at the seeds CI
# uses, one line each: "SCENARIO STORE seed=N verdict=V trace_hash=H".
# A refactoring that must not change behaviour prints the same lines before
# and after (diff the two outputs). Usage: bench/trace-hashes.sh [MESHSIM]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
meshsim=${1:-$top/build/meshsim}
seeds=${MN_SEEDS:-"1 2 3"}
for scn in smoke partition-heal swim-lan-ci swim-loss-ci swim-crash-ci swim-partition-ci swim-revoke-ci; do
	for store in memory lmdb; do
		case $scn in swim-crash-ci | swim-revoke-ci) ;; *) [ "$store" = lmdb ] && continue ;; esac
		for seed in $seeds; do
			set +e
			case $scn in swim-*) set_store=(--set "core_param store $store") ;; *) set_store=() ;; esac
			line=$("$meshsim" "$top/sim/scenarios/$scn.scn" --seed "$seed" "${set_store[@]}" 2>&1 | grep '^verdict=')
			set -e
			v=$(sed -E 's/.*verdict=([a-z]+).*/\1/' <<<"$line")
			h=$(sed -E 's/.*trace_hash=([0-9a-f]+).*/\1/' <<<"$line")
			echo "$scn $store seed=$seed verdict=$v trace_hash=$h"
		done
	done
done

#!/usr/bin/env bash
# Benchmark the membership protocol (gossip/, core swim) in the simulator
# against issue 3's targets: runs the big scenarios one after another (seed 1)
# and prints a markdown table on stdout (progress on stderr). A bench, not a
# test: the whole set takes about 25 minutes and ~12 GB on a 2-core VM; the
# CI-sized versions run in tests/test_sim (tests/sim/test_swim_scenarios.c).
#
#   bench/meshsim.sh [SCENARIO...]      default: all of the list below
#
# Environment:
#   MESHSIM      the meshsim binary (default build/meshsim, else meshsim on PATH)
#   MN_SIM_SEED  seed (default 1)
#   MN_SIM_OUT   directory for each run's JSON (default: a temporary one,
#                removed at exit)
#
# Columns: reach = time for a new record version to reach 50 / 99 / 99.99 /
# 100% of the nodes up (slowest of the run's datums); converge = calm phase
# start (the heal, the last pause) to every live node holding the same view;
# detect = crash to each observer's death verdict (max / mean); pkts and
# bytes per node per second from the scenario's `steady` time on; wall = real
# seconds for the whole run; RSS from /usr/bin/time when it is installed.
# Needs python3 to read meshsim's --json.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

me=meshsim.sh
. "$top/bench/lib.sh"
SEED=${MN_SIM_SEED:-1}
if [ -n "${MN_SIM_OUT:-}" ]; then
	OUT=$MN_SIM_OUT
	mkdir -p "$OUT" || exit 2
else
	OUT=$(mktemp -d) || exit 2
	trap 'rm -rf "$OUT"' EXIT
fi
TIME=
if [ -x /usr/bin/time ]; then
	TIME=/usr/bin/time
fi

# name|scenario file|extra meshsim arguments (one --set line at most)
RUNS=(
	"swim-bench-1k|swim-bench-1k.scn|"
	"swim-lan-10k|swim-lan-10k.scn|"
	"swim-crash-1k|swim-crash-1k.scn|"
	"swim-loss-1k-1h|swim-loss-1k-1h.scn|"
	"swim-partition-1k|swim-partition-1k.scn|"
	"swim-partition-1k (wan)|swim-partition-1k.scn|profile wan"
	"mesh-join-1k|mesh-join-1k.scn|"
	"swim-rogue-1k|swim-rogue-1k.scn|"
)
if [ $# -gt 0 ]; then
	RUNS=()
	for s in "$@"; do
		RUNS+=("$(basename "$s" .scn)|$(basename "$s")|")
	done
fi

echo "| scenario | nodes | simulated | verdict | reach 50/99/99.99/100 % (ms) | converge (ms) | detect max/mean (ms) | false susp. / deaths | pkts/node/s | B/node/s | wall (s) | RSS (MB) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
i=0
fails=0
for run in "${RUNS[@]}"; do
	IFS='|' read -r name file set <<<"$run"
	i=$((i + 1))
	json="$OUT/$i.json"
	tlog="$OUT/$i.time"
	args=("$top/sim/scenarios/$file" --seed "$SEED" --json)
	if [ -n "$set" ]; then
		args+=(--set "$set")
	fi
	echo "meshsim.sh: $name: $MESHSIM ${args[*]}" >&2
	if [ -n "$TIME" ]; then
		"$TIME" -f '%M' -o "$tlog" "$MESHSIM" "${args[@]}" >"$json" 2>"$OUT/$i.err"
	else
		"$MESHSIM" "${args[@]}" >"$json" 2>"$OUT/$i.err"
	fi
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fails=$((fails + 1))
	fi
	python3 - "$name" "$json" "$tlog" <<'PY' || { echo "| $name | | | error (see stderr) | | | | | | | | |"; cat "$OUT/$i.err" >&2; }
import json, os, sys
name, path, tlog = sys.argv[1:4]
d = json.load(open(path))
m = d["metrics"]
def f(k, nd=0):
    v = m.get(k)
    if v is None:
        return "-"
    return f"{v:.{nd}f}"
rss = "-"
if os.path.exists(tlog):
    try:
        rss = f"{int(open(tlog).read().split()[-1]) / 1024:.0f}"
    except (ValueError, IndexError):
        pass
verdict = d["verdict"]
bad = [e["metric"] for e in d["expectations"] if not e["ok"]]
if bad:
    verdict += " (" + ", ".join(bad) + ")"
if d.get("error"):
    verdict += " [" + d["error"] + "]"
cm = d.get("core_metrics") or {}
if cm.get("full_view_p50_ms") is not None:
    # the mesh core: join start to full view (sim/mesh_core.h)
    verdict += f"; full view p50/p99 {cm['full_view_p50_ms']:.0f}/{cm['full_view_p99_ms']:.0f} ms"
sim_s = d["duration_ms"] / 1000
print(f"| {name} | {d['nodes']} | {sim_s:.0f} s | {verdict} | "
      f"{f('reach50_ms')}/{f('reach99_ms')}/{f('reach9999_ms')}/{f('reach100_ms')} | "
      f"{f('converge_ms')} | {f('detect_ms_max')}/{f('detect_ms_mean')} | "
      f"{f('false_suspicions')} / {f('false_deaths')} | {f('steady_pkts_per_node_s', 2)} | "
      f"{f('steady_bytes_per_node_s')} | {d['wall_ms'] / 1000:.1f} | {rss} |")
PY
done
echo
echo "Speed targets: swim-bench-1k (1,000 nodes x 10 min) under 60 s, swim-lan-10k (10,000 x 10 min) under 600 s of wall time. seed=$SEED"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# Ablate the membership protocol's departures from memberlist (doc/gossip.md
# §7, "Changes from memberlist, and what the simulator measured"): for each
# change the simulator can measure with a core_param knob, a small sweep of
# the parameter (ours, memberlist's, one or two others) over CI-sized
# scenarios (at most 200 nodes) and a few seeds. Prints markdown tables on
# stdout, progress on stderr. A bench, not a test: 5-6 minutes of wall time
# on the 2-core VM (runs one meshsim at a time).
#
#   bench/ablate.sh [PART...]   parts: floor deadprobe ppdead inc detect
#                               spread pushpull gossip (default: all)
#
# Environment:
#   MESHSIM       the meshsim binary (default build/meshsim, else meshsim on
#                 PATH)
#   MN_ABL_SEEDS  seeds of the swept runs (default "1 2 3 4 5")
#   MN_ABL_SEEDS_SLOW  seeds of the longer runs (swim-lan-ci, 900 s
#                 partitions; default: the first 3 of MN_ABL_SEEDS)
#   MN_ABL_OUT    directory for each run's JSON (default: a temporary one,
#                 removed at exit)
#
# Cells are "mean / max" over the seeds unless said otherwise; "never k/n":
# k of the n seeds never reached it within the run. Needs python3 to read
# meshsim's --json.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

me=ablate.sh
. "$top/bench/lib.sh"
read -r -a SEEDS <<<"${MN_ABL_SEEDS:-1 2 3 4 5}"
if [ -n "${MN_ABL_SEEDS_SLOW:-}" ]; then
	read -r -a SLOW <<<"$MN_ABL_SEEDS_SLOW"
else
	SLOW=("${SEEDS[@]:0:3}")
fi
if [ -n "${MN_ABL_OUT:-}" ]; then
	OUT=$MN_ABL_OUT
	mkdir -p "$OUT" || exit 2
else
	OUT=$(mktemp -d) || exit 2
	trap 'rm -rf "$OUT"' EXIT
fi
SCN=$top/sim/scenarios
PARTS=("$@")
if [ ${#PARTS[@]} -eq 0 ]; then
	PARTS=(floor deadprobe ppdead inc detect spread pushpull gossip)
fi
want() {
	local p
	for p in "${PARTS[@]}"; do
		[ "$p" = "$1" ] && return 0
	done
	return 1
}
START=$SECONDS

# Scenarios of our own. floor: swim-loss-ci's shape without its pause line
# (each sweep adds its own) and without injections.
cat >"$OUT/floor.scn" <<'EOF'
core swim
core_param preload 1
profile lan
duration 330s
loss 5%
expect false_deaths == 0
EOF
# steady: an established network, nothing happens (push-pull's steady cost).
cat >"$OUT/steady.scn" <<'EOF'
core swim
core_param preload 1
nodes 100
profile lan
duration 300s
steady 30s
EOF

# The summariser: one table row from a set of runs.
#   sum.py LABEL SPEC... -- JSON...
# SPEC: m:METRIC:FMT or c:COUNTER:FMT; FMT: mm (mean / max), max, sum, mean,
# rate (false deaths as "runs with any / runs").
cat >"$OUT/sum.py" <<'EOF'
import json, sys
args = sys.argv[1:]
label = args[0]
cut = args.index("--")
specs, files = args[1:cut], args[cut + 1:]
runs = [json.load(open(f)) for f in files]
def num(v):
    if 0 < abs(v) < 1:
        return f"{v:.2g}" if abs(v) < 0.1 else f"{v:.2f}".rstrip("0")
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"
cells = [label]
for spec in specs:
    src, key, fmt = spec.split(":")
    vals = [(r["metrics"] if src == "m" else r["core_counters"]).get(key) for r in runs]
    have = [v for v in vals if v is not None]
    miss = len(vals) - len(have)
    if "_ms" in key and fmt != "rate":
        have = [v / 1000 for v in have]  # seconds
    if not have:
        cells.append(f"never {miss}/{len(vals)}")
        continue
    if fmt == "mm":
        s = f"{num(sum(have) / len(have))} / {num(max(have))}"
    elif fmt == "max":
        s = num(max(have))
    elif fmt == "sum":
        s = num(sum(have))
    elif fmt == "mean":
        s = num(sum(have) / len(have))
    elif fmt == "rate":
        s = f"{sum(1 for v in have if v > 0)}/{len(have)}"
    else:
        raise SystemExit("bad FMT " + fmt)
    if miss:
        s += f" (never {miss}/{len(vals)})"
    cells.append(s)
fails = sum(1 for r in runs if r["verdict"] != "pass")
why = sorted({e["metric"] for r in runs for e in r["expectations"] if not e["ok"]} |
             {"error" for r in runs if r.get("error")})
cells.append(f"{fails}/{len(runs)}" + (f" ({', '.join(why)})" if why else ""))
print("| " + " | ".join(cells) + " |")
EOF

# run FILE SEED ARGS... : run meshsim once (cached by its arguments), print
# the JSON file's name on stdout.
run() {
	local file=$1 seed=$2
	shift 2
	local key
	key=$(printf '%s\0' "$file" "$seed" "$@" | md5sum | cut -c1-16)
	local json="$OUT/$key.json"
	if [ ! -s "$json" ]; then
		echo "ablate.sh: [$((SECONDS - START)) s] $(basename "$file") --seed $seed $*" >&2
		"$MESHSIM" "$file" --seed "$seed" --json "$@" >"$json" 2>"$OUT/$key.err"
		if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$json" 2>/dev/null; then
			echo "ablate.sh: meshsim failed: $(basename "$file") --seed $seed $*" >&2
			cat "$OUT/$key.err" >&2
			rm -f "$json"
			return 1
		fi
		echo "$json" >>"$OUT/runs.log"
	fi
	echo "$json"
}

# row LABEL "SPEC..." FILE "SEEDS..." ARGS... : run every seed, print a row.
row() {
	local label=$1 specs=$2 file=$3 seeds=$4
	shift 4
	local files=() s j
	for s in $seeds; do
		j=$(run "$file" "$s" "$@") && files+=("$j")
	done
	if [ ${#files[@]} -eq 0 ]; then
		echo "| $label | (every run failed: see stderr) |"
		return
	fi
	# shellcheck disable=SC2086
	python3 "$OUT/sum.py" "$label" $specs -- "${files[@]}"
}

S=${SEEDS[*]}
SS=${SLOW[*]}
echo "# bench/ablate.sh: seeds $S (slow runs: $SS), $(basename "$MESHSIM")"
echo

if want floor; then
	echo "## 1. suspicion_floor: false deaths at small N (5 % loss, pauses)"
	echo
	echo "Scenario: swim-loss-ci's shape (preloaded, 5 % loss, 330 s) at N nodes;"
	echo "every 5 s, 5 % of the nodes (at least one) paused for up to P (uniform)."
	echo "Floor 4 s is memberlist's minimum at N <= 10 (suspicion_mult 4 x 1 s)."
	echo "Cells: false deaths mean / max (false suspicions mean) over the seeds."
	echo
	echo "| N | floor | P = 1 s | P = 3 s | P = 5 s | P = 7 s |"
	echo "|---|---|---|---|---|---|"
	for n in 3 8 16; do
		for fl in 4s 5s 8s; do
			line="| $n | $fl"
			for p in 1s 3s 5s 7s; do
				files=()
				for s in $S; do
					j=$(run "$OUT/floor.scn" "$s" --nodes "$n" \
						--set "core_param suspicion_floor $fl" \
						--set "every 5s until 300s pause 5% for up to $p") && files+=("$j")
				done
				cell=$(python3 - "${files[@]}" <<'PY'
import json, sys
r = [json.load(open(f))["metrics"] for f in sys.argv[1:]]
fd = [x["false_deaths"] for x in r]
fs = [x["false_suspicions"] for x in r]
print(f"{sum(fd) / len(fd):.1f} / {max(fd):.0f} ({sum(fs) / len(fs):.0f})")
PY
				)
				line="$line | $cell"
			done
			echo "$line |"
		done
	done
	echo
fi

if want deadprobe; then
	echo "## 2. dead_probe_interval: healing a partition, and its cost"
	echo
	echo "swim-partition-ci (100 nodes, 50/50 for 2 min, healed at 140 s; run to"
	echo "900 s so the slow paths finish). converge = heal -> every node agrees (s)."
	echo "0 = never (memberlist); push-pull (1 in 4 to a dead member) still runs."
	echo
	echo "| dead_probe_interval | converge after heal (s) | B/node/s (run) | dead probes | fails |"
	echo "|---|---|---|---|---|"
	for d in 2s 5s 15s 30s 0; do
		row "$d" "m:converge_ms:mm m:bytes_per_node_s:mean c:dead_probes:mean" \
			"$SCN/swim-partition-ci.scn" "$S" --duration 900s --set "core_param dead_probe_interval $d"
	done
	echo
	echo "Its standing cost: swim-crash-ci (100 nodes, 2 dead for good from 30 s,"
	echo "2 more crashed 120-180 s), steady rates from 60 s on."
	echo
	echo "| dead_probe_interval | steady B/node/s | steady pkts/node/s | detect max (s) | converge after restart (s) | fails |"
	echo "|---|---|---|---|---|---|"
	for d in 2s 5s 15s 30s 0; do
		row "$d" "m:steady_bytes_per_node_s:mean m:steady_pkts_per_node_s:mean m:detect_ms_max:max m:converge_ms:mm" \
			"$SCN/swim-crash-ci.scn" "$S" --set "steady 60s" --set "core_param dead_probe_interval $d"
	done
	echo
fi

if want ppdead; then
	echo "## 3. pushpull_dead_one_in: healing by push-pull alone (dead probes off)"
	echo
	echo "swim-partition-ci to 900 s with dead_probe_interval 0. 0 = push-pull"
	echo "never picks a dead member (memberlist)."
	echo
	echo "| pushpull_dead_one_in | converge after heal (s) | B/node/s (run) | push-pulls | fails |"
	echo "|---|---|---|---|---|"
	for k in 1 2 4 8 0; do
		row "$k" "m:converge_ms:mm m:bytes_per_node_s:mean c:pushpulls:mean" \
			"$SCN/swim-partition-ci.scn" "$SS" --duration 900s \
			--set "core_param dead_probe_interval 0" --set "core_param pushpull_dead_one_in $k"
	done
	echo
fi

if want inc; then
	echo "## 4. inc_jump_max: the largest incarnation reached (bound 1024)"
	echo
	echo "core counter incarnation_max (the highest incarnation any node reached: an"
	echo "honest jump is at most that), max over the seeds."
	echo
	echo "| scenario | incarnation max | refutes (mean) | false suspicions (mean) | fails |"
	echo "|---|---|---|---|---|"
	row "swim-loss-ci (100 nodes, 5 % loss, pauses <= 1 s)" "c:incarnation_max:max c:refutes:mean m:false_suspicions:mean" \
		"$SCN/swim-loss-ci.scn" "$S"
	row "swim-loss-ci, 10 % loss, pauses <= 3 s" "c:incarnation_max:max c:refutes:mean m:false_suspicions:mean" \
		"$SCN/swim-loss-ci.scn" "$S" --set "loss 10%" --set "every 5s until 300s pause 5% for up to 3s"
	row "swim-partition-ci" "c:incarnation_max:max c:refutes:mean m:false_suspicions:mean" \
		"$SCN/swim-partition-ci.scn" "$S"
	echo
fi

if want detect; then
	echo "## 5. A remote DEAD is a suspicion: crash to dead at every node"
	echo
	echo "swim-crash-ci (100 nodes; detect = crash -> each observer's death"
	echo "verdict, over 2 crashes for good and 2 crashes later restarted)."
	echo "Promised bound (doc/gossip.md §8, swim_core_detect_bound) at N = 100: 60.4 s."
	echo
	echo "| run | detect max (s) | detect mean (s) | undetected | false deaths | fails |"
	echo "|---|---|---|---|---|---|"
	row "swim-crash-ci" "m:detect_ms_max:mm m:detect_ms_mean:mm m:undetected:max m:false_deaths:max" \
		"$SCN/swim-crash-ci.scn" "$S"
	row "swim-crash-ci, 5 % loss" "m:detect_ms_max:mm m:detect_ms_mean:mm m:undetected:max m:false_deaths:max" \
		"$SCN/swim-crash-ci.scn" "$S" --set "loss 5%"
	echo
fi

if want spread; then
	echo "## 7. Record bodies pulled: spread of a new version, cost"
	echo
	echo "swim-lan-ci (200 nodes, cold join, a new version every 10 s from 60 s);"
	echo "reach = slowest version of the run to reach that share of the nodes (s)."
	echo
	echo "| run | reach 50 % | reach 99 % | reach 99.99 % | reach 100 % | steady B/node/s | steady pkts/node/s | converge (s) | fails |"
	echo "|---|---|---|---|---|---|---|---|---|"
	row "swim-lan-ci" "m:reach50_ms:mm m:reach99_ms:mm m:reach9999_ms:mm m:reach100_ms:mm m:steady_bytes_per_node_s:mean m:steady_pkts_per_node_s:mean m:converge_ms:mm" \
		"$SCN/swim-lan-ci.scn" "$SS"
	echo
fi

if want pushpull; then
	echo "## 6. UDP digest push-pull: what it costs"
	echo
	echo "The same runs with push-pull on (pushpull_interval 30 s, scaled: 90 s at"
	echo "N = 100) and off (0). B/push-pull = (tx bytes on - tx bytes off) / push-pulls"
	echo "(an estimate: the two runs draw different random choices)."
	echo
	echo "| run | push-pull | B/node/s (run) | tx bytes (mean) | push-pulls (mean) | converge (s) | fails |"
	echo "|---|---|---|---|---|---|---|"
	est=()
	for sc in steady partition; do
		if [ $sc = steady ]; then f=$OUT/steady.scn; else f=$SCN/swim-partition-ci.scn; fi
		for pp in 30s 0; do
			row "$sc" "m:bytes_per_node_s:mean m:tx_bytes:mean c:pushpulls:mean m:converge_ms:mm" \
				"$f" "$SS" --set "core_param pushpull_interval $pp" | sed "s/^| $sc |/| $sc | $pp |/"
		done
		on=() off=()
		for s in $SS; do
			on+=("$(run "$f" "$s" --set "core_param pushpull_interval 30s")")
			off+=("$(run "$f" "$s" --set "core_param pushpull_interval 0")")
		done
		est+=("$(python3 - "$sc" "${on[*]}" "${off[*]}" <<'PY'
import json, sys
sc, on, off = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
a = [json.load(open(f)) for f in on]
b = [json.load(open(f)) for f in off]
tx = sum(x["metrics"]["tx_bytes"] for x in a) - sum(x["metrics"]["tx_bytes"] for x in b)
pp = sum(x["core_counters"]["pushpulls"] for x in a)
print(f"{tx / pp:.0f} B per push-pull" if pp else "no push-pull")
PY
		)")
	done
	echo
	echo "Estimated from the steady runs: ${est[0]} (the partition runs differ by"
	echo "more than push-pull costs: ${est[1]})."
	echo
fi

if want gossip; then
	echo "## Gossip parameters (memberlist's, unchanged): spread under loss vs cost"
	echo
	echo "swim-loss-ci (100 nodes, 5 % loss, pauses, a version every 30 s). reach99"
	echo "= slowest version to 99 %; reach100 = to every node (a version that misses"
	echo "a node waits for push-pull); B/node/s from 30 s on."
	echo
	echo "| setting | reach 50 % (s) | reach 99 % (s) | reach 100 % (s) | steady B/node/s | false susp. | runs with a false death | fails |"
	echo "|---|---|---|---|---|---|---|---|"
	specs="m:reach50_ms:mm m:reach99_ms:mm m:reach100_ms:mm m:steady_bytes_per_node_s:mean m:false_suspicions:mean m:false_deaths:rate"
	# ours (= memberlist's LAN values) run without --set: the same runs as
	# part "inc" uses, so they run once
	row "defaults: gossip_interval 200ms, retransmit_mult 4, gossip_nodes 3" "$specs" \
		"$SCN/swim-loss-ci.scn" "$S"
	for kv in "gossip_interval 100ms" "gossip_interval 500ms" "gossip_interval 1s" \
		"retransmit_mult 2" "retransmit_mult 3" "retransmit_mult 6" \
		"gossip_nodes 2" "gossip_nodes 4"; do
		row "$kv" "$specs" "$SCN/swim-loss-ci.scn" "$S" --set "core_param $kv"
	done
	echo
fi

if [ -f "$OUT/runs.log" ]; then
	# shellcheck disable=SC2046
	python3 - $(sort -u "$OUT/runs.log") <<'PY'
import json, sys
best = (-1, "")
for f in sys.argv[1:]:
    d = json.load(open(f))
    v = d["core_counters"].get("incarnation_max", 0)
    if v > best[0]:
        best = (v, d["replay"])
print(f"Largest incarnation over the {len(sys.argv) - 1} runs (change 4, bound 1024): "
      f"{best[0]}, in {best[1]}")
print()
PY
fi
nruns=0
[ -f "$OUT/runs.log" ] && nruns=$(sort -u "$OUT/runs.log" | wc -l)
echo "$nruns runs of meshsim, $((SECONDS - START)) s of wall time."

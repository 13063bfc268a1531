# bench/lib.sh - sourced by the simulator benchmarks: find meshsim and
# python3 (which reads meshsim's --json), or exit 2 naming what is missing.
# Sets MESHSIM. The caller sets `top` (the repository) and `me` (its name).
MESHSIM=${MESHSIM:-$top/build/meshsim}
if [ ! -x "$MESHSIM" ]; then
	MESHSIM=$(command -v meshsim || true)
fi
if [ -z "$MESHSIM" ] || [ ! -x "$MESHSIM" ]; then
	echo "$me: no meshsim (set MESHSIM=path/to/meshsim)" >&2
	exit 2
fi
if ! command -v python3 >/dev/null; then
	echo "$me: needs python3 to read meshsim --json" >&2
	exit 2
fi

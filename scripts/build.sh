#!/usr/bin/env bash
# Build meshnode out of tree. Usage: scripts/build.sh [plain|san|fuzz]...
# plain -> build/, san -> build-san/ (ASan+UBSan), fuzz -> build-fuzz/ (clang, libFuzzer)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi >/dev/null
jobs=$(nproc)
for kind in "${@:-plain}"; do
	case "$kind" in
	plain) dir=build; args=() ;;
	san) dir=build-san; args=(--enable-sanitizers) ;;
	fuzz) dir=build-fuzz; args=(--enable-fuzz CC=clang) ;;
	*) echo "build: unknown kind $kind" >&2; exit 2 ;;
	esac
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ]; then
		(cd "$dir" && ../configure -q "${args[@]}")
	fi
	make -s -C "$dir" -j"$jobs" all
	make -s -C "$dir" -j"$jobs" check TESTS= >/dev/null
done

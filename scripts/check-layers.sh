#!/usr/bin/env bash
# Check the layers' dependency rule (DESIGN.md §1) on direct includes and calls.
# Usage: scripts/check-layers.sh [ROOT]   (ROOT defaults to this repository)
#
# Rules, by folder:
#   core (base/ wg/ gossip/ nat/ node/): sans-I/O. No <uv.h>, <time.h>,
#     <sys/time.h>; no calls to uv_*, clock_gettime, time, gettimeofday,
#     socket, send*, recv*, randombytes_*, nor libsodium's unseeded
#     crypto_*_keypair (the crypto_*_seed_keypair forms take the seed from
#     the node's generator and are fine). Any mention of uv_*, randombytes_*
#     or crypto_*_keypair counts, so a function pointer is caught too.
#   includes: a folder includes only headers of the folders below it, so
#     there are no loops between folders:
#       base <- wg, gossip, nat <- node <- daemon <- cli
#       store: base, gossip        sim: anything but daemon/ and cli/
# Every folder is on the include path, so an include names a bare file; it
# is resolved to the folder holding that header. A name held by two folders
# is itself a violation (the include would be ambiguous). Names held by no
# folder are system headers. Comments and string literals are blanked first
# so that prose never trips a rule; line numbers are kept.
#
# Prints every violation as FILE:LINE: what [rule]; exits 1 if there is any.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
root=${root%/}
[ -d "$root" ] || { echo "check-layers: no such directory: $root" >&2; exit 2; }

core="base wg gossip nat node"
folders="base wg gossip nat node store daemon cli sim"

# allowed FOLDER: the folders whose headers FOLDER may include.
allowed() {
	case $1 in
	base) echo "base" ;;
	wg) echo "base wg" ;;
	gossip) echo "base gossip" ;;
	nat) echo "base nat" ;;
	node) echo "base wg gossip nat node" ;;
	store) echo "base gossip store" ;;
	daemon) echo "base wg gossip nat node store daemon" ;;
	cli) echo "base wg gossip nat node store daemon cli" ;;
	sim) echo "base wg gossip nat node store sim" ;;
	esac
}

# Header owners: "name folder" per line, for the awk pass below.
owners=$(for f in $folders; do
	[ -d "$root/$f" ] || continue
	find "$root/$f" -name '*.h' -printf "%f $f\n"
done)
rules=$(for f in $folders; do echo "$f $(allowed "$f")"; done)

files=()
for f in $folders; do
	[ -d "$root/$f" ] || continue
	while IFS= read -r -d '' x; do files+=("$x"); done \
		< <(find "$root/$f" \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
done
[ ${#files[@]} -gt 0 ] || { echo "check-layers: no sources under $root" >&2; exit 2; }

# Pass 1: blank comments and the contents of string and character literals,
# keeping newlines (so line numbers hold) and the file name of an #include.
strip() {
	awk '
	FNR == 1 { st = 0; printf "\f%s\n", FILENAME }  # a \f line starts a file
	{
		line = $0; out = ""; n = length(line); i = 1
		incl = (st == 0 && line ~ /^[ \t]*#[ \t]*include/)
		while (i <= n) {
			c = substr(line, i, 1); d = substr(line, i, 2)
			if (st == 1) {                   # inside /* */
				if (d == "*/") { st = 0; out = out "  "; i += 2; continue }
				out = out " "; i++; continue
			}
			if (st == 2 || st == 3) {        # inside "..." or '\''...'\''
				q = (st == 2) ? "\"" : "'\''"
				if (c == "\\") { out = out "  "; i += 2; continue }
				if (c == q) { st = 0; out = out c; i++; continue }
				out = out (incl ? c : " "); i++; continue
			}
			if (d == "/*") { st = 1; out = out "  "; i += 2; continue }
			if (d == "//") break
			if (c == "\"") { st = 2; out = out c; i++; continue }
			if (c == "'\''") { st = 3; out = out c; i++; continue }
			out = out c; i++
		}
		# A literal does not run past its line, unless the line is continued.
		if ((st == 2 || st == 3) && substr(line, n, 1) != "\\") st = 0
		print out
	}' "$@"
}

# Pass 2: apply the rules to the stripped text.
strip "${files[@]}" | awk -v root="$root" -v core="$core" \
	-v owners="$owners" -v rules="$rules" '
BEGIN {
	n = split(owners, ol, "\n")
	for (i = 1; i <= n; i++) {
		if (split(ol[i], p, " ") != 2) continue
		if (p[1] in owner && owner[p[1]] != p[2]) owner[p[1]] = owner[p[1]] "," p[2]
		else owner[p[1]] = p[2]
	}
	n = split(rules, rl, "\n")
	for (i = 1; i <= n; i++) {
		m = split(rl[i], p, " ")
		for (j = 2; j <= m; j++) may[p[1] " " p[j]] = 1
		may_list[p[1]] = substr(rl[i], length(p[1]) + 2)
	}
	n = split(core, cl, " "); for (i = 1; i <= n; i++) iscore[cl[i]] = 1
	banned_inc["uv.h"] = 1; banned_inc["time.h"] = 1; banned_inc["sys/time.h"] = 1
	bad = 0
}
function report(what, rule) {
	printf "%s:%d: %s [%s]\n", file, lineno, what, rule; bad++
}
/^\f/ {
	file = substr($0, 2); folder = substr(file, length(root) + 2)
	sub(/\/.*/, "", folder); lineno = 0; next
}
{ lineno++ }
/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
	s = $0; sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
	q = substr(s, 1, 1); s = substr(s, 2); sub(/[>"].*/, "", s)
	if (iscore[folder] && (s in banned_inc || s ~ /^uv\//))
		report("includes <" s ">", "core is sans-I/O: no libuv, no clock")
	base = s; sub(/.*\//, "", base)
	if (base in owner) {
		o = owner[base]
		if (o ~ /,/)
			report("includes " q s (q == "<" ? ">" : q) " held by " o,
			    "a header name belongs to one folder")
		else if (!((folder " " o) in may))
			report("includes " q s (q == "<" ? ">" : q) " of " o "/",
			    folder "/ may include only " may_list[folder])
	}
	next
}
iscore[folder] {
	s = " " $0 " "
	for (;;) {
		# Leftmost of: a mention of a name only libuv or the unseeded
		# generators of libsodium have, or a call of a libc clock or socket
		# function (a member ".send(" or "->send(" is not one).
		a = match(s, /[^A-Za-z0-9_](uv_[A-Za-z0-9_]*|randombytes_[A-Za-z0-9_]*|crypto_[A-Za-z0-9_]*_keypair)[^A-Za-z0-9_]/)
		as = RSTART; al = RLENGTH
		b = match(s, /[^A-Za-z0-9_.>](clock_gettime|time|gettimeofday|socket|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg)[ \t]*\(/)
		if (!a && !b) break
		if (a && (!b || as < RSTART)) { RSTART = as; RLENGTH = al }
		id = substr(s, RSTART + 1, RLENGTH - 1); sub(/[^A-Za-z0-9_].*/, "", id)
		s = substr(s, RSTART + RLENGTH - 1)
		if (id ~ /_seed_keypair$/) continue
		if (id ~ /^uv_/) r = "core is sans-I/O: no libuv"
		else if (id ~ /^(randombytes_|crypto_)/) r = "core draws randomness from its seeded generator"
		else if (id ~ /^(clock_gettime|time|gettimeofday)$/) r = "core is sans-I/O: time is an input"
		else r = "core is sans-I/O: no sockets"
		report("uses " id, r)
	}
}
END {
	if (bad) { printf "check-layers: %d violation(s)\n", bad; exit 1 }
}'

#!/usr/bin/env bash
# meshnode backup-root and restore-root on state directories made by
# `meshnode init` (files only: no namespace, no daemon, no network).
#
#   usage     --help (0); no --out/--in, no passphrase, an empty one (env or
#             file): usage errors (2)
#   backup    writes FILE 0600 with the header in clear; refuses an existing
#             FILE (unchanged) and a node without a root key
#   restore   root.key back byte for byte, 0600, with the passphrase from the
#             environment or a file (final newline dropped); refused while a
#             root key is there
#   wrong     a wrong passphrase and a changed byte: exit 1, "wrong passphrase
#             or damaged file", nothing written; garbage: "not a meshnode root
#             backup"
#   network   a backup of another network, and of another network of the same
#             name, refused (before the passphrase is tried: a wrong one gets
#             the same answer)
#
# Argon2id runs at the moderate limits (about 1 s and 256 MiB each, 5 runs).
# Environment: MESHNODE (lib.sh). Needs no root, but runs with the net tests.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

T=$(mktemp -d /tmp/mnbackup.XXXXXX) || { echo "FAIL: mesh_backup setup"; exit 1; }
trap 'rm -rf "$T"' EXIT
PASS='a long passphrase, not a short one'
mn() { timeout 60 "$MESHNODE" "$@"; }
# in_err PATTERN: the last command's stderr ($T/err) holds PATTERN
in_err() { grep -q -- "$1" "$T/err"; }
mode_of() { stat -c %a "$1"; }
init() { mn init --network "$1" --name n1 --state "$2" >/dev/null; }

# ---- usage ----
for c in backup-root restore-root; do
	check "usage: $c --help exits 0" eval "mn $c --help | grep -q '^usage: meshnode $c'"
done
MESHNODE_PASSPHRASE=$PASS mn backup-root --state "$T/a" 2>"$T/err"
check "usage: backup-root without --out (2)" test $? -eq 2
MESHNODE_PASSPHRASE=$PASS mn restore-root --state "$T/a" 2>"$T/err"
check "usage: restore-root without --in (2)" test $? -eq 2
unset MESHNODE_PASSPHRASE
mn backup-root --out "$T/x" --state "$T/a" 2>"$T/err"
check "usage: no passphrase (2)" test $? -eq 2
check "usage: ... saying how to give one" in_err "MESHNODE_PASSPHRASE"
MESHNODE_PASSPHRASE= mn backup-root --out "$T/x" --state "$T/a" 2>"$T/err"
check "usage: an empty passphrase in the environment (2)" test $? -eq 2
printf '\n' >"$T/empty.pass"
mn backup-root --out "$T/x" --passphrase-file "$T/empty.pass" --state "$T/a" 2>"$T/err"
check "usage: a passphrase file with an empty line (2)" test $? -eq 2
check "usage: ... saying it is empty" in_err "passphrase is empty"
check "usage: ... and nothing written" test ! -e "$T/x"

# ---- backup ----
check "init: network home" init home "$T/a"
MESHNODE_PASSPHRASE=$PASS mn backup-root --out "$T/home.backup" --state "$T/a"
check "backup: exit 0" test $? -eq 0
check "backup: mode 0600" test "$(mode_of "$T/home.backup")" = 600
check "backup: the header line" test "$(head -1 "$T/home.backup")" = "meshnode-root-backup v1"
check "backup: the network in clear" grep -qx 'network home' "$T/home.backup"
check "backup: the limits in clear" grep -qE '^kdf argon2id13 ops [0-9]+ mem [0-9]+$' "$T/home.backup"
check "backup: no temporary file left" test "$(ls -A "$T" | grep -c tmp)" -eq 0
sum=$(md5sum <"$T/home.backup")
MESHNODE_PASSPHRASE=$PASS mn backup-root --out "$T/home.backup" --state "$T/a" 2>"$T/err"
check "backup: an existing FILE is refused (1)" test $? -eq 1
check "backup: ... unchanged" test "$(md5sum <"$T/home.backup")" = "$sum"
check "backup: ... saying why" in_err "exists: not overwritten"
MESHNODE_PASSPHRASE=$PASS mn backup-root --out "$T/y" --state "$T/nothing" 2>"$T/err"
check "backup: an uninitialized directory (1)" test $? -eq 1

# ---- restore ----
cp -p "$T/a/root.key" "$T/root.key.orig"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/home.backup" --state "$T/a" 2>"$T/err"
check "restore: refused while a root key is there (1)" test $? -eq 1
check "restore: ... saying why" in_err "already holds a root key"
rm "$T/a/root.key"
MESHNODE_PASSPHRASE=$PASS mn backup-root --out "$T/z" --state "$T/a" 2>"$T/err"
check "backup: a node without a root key (1)" test $? -eq 1
check "backup: ... saying why" in_err "holds no root key"
MESHNODE_PASSPHRASE='a long passphrase, not a short on' mn restore-root --in "$T/home.backup" --state "$T/a" 2>"$T/err"
check "wrong: a wrong passphrase (1)" test $? -eq 1
check "wrong: ... wrong passphrase or damaged file" in_err "wrong passphrase or damaged file"
check "wrong: ... nothing written" test ! -e "$T/a/root.key"
sed 's/^sealed \(.\)/sealed X\1/; s/^sealed X\(.\)\(.\)/sealed \2\1/' "$T/home.backup" >"$T/damaged"
check "wrong: (a backup with its sealed line changed)" eval "! cmp -s '$T/home.backup' '$T/damaged'"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/damaged" --state "$T/a" 2>"$T/err"
check "wrong: a changed byte (1)" test $? -eq 1
check "wrong: ... wrong passphrase or damaged file" in_err "wrong passphrase or damaged file"
echo garbage >"$T/garbage"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/garbage" --state "$T/a" 2>"$T/err"
check "wrong: garbage (1)" test $? -eq 1
check "wrong: ... not a meshnode root backup" in_err "not a meshnode root backup"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/home.backup" --state "$T/a"
check "restore: exit 0" test $? -eq 0
check "restore: root.key as it was, byte for byte" cmp -s "$T/a/root.key" "$T/root.key.orig"
check "restore: mode 0600" test "$(mode_of "$T/a/root.key")" = 600
rm "$T/a/root.key"
printf '%s\n' "$PASS" >"$T/pass"
check "restore: the passphrase from a file (final newline dropped)" \
	mn restore-root --in "$T/home.backup" --passphrase-file "$T/pass" --state "$T/a"
check "restore: ... the same root.key" cmp -s "$T/a/root.key" "$T/root.key.orig"

# ---- another network ----
check "init: network other" init other "$T/b"
rm "$T/b/root.key"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/home.backup" --state "$T/b" 2>"$T/err"
check "network: a backup of another network (1)" test $? -eq 1
check "network: ... naming both" in_err "a backup of network home; this node is in network other"
check "init: another network named home" init home "$T/c"
rm "$T/c/root.key"
MESHNODE_PASSPHRASE=$PASS mn restore-root --in "$T/home.backup" --state "$T/c" 2>"$T/err"
check "network: another network of the same name (1)" test $? -eq 1
check "network: ... saying another root key" in_err "another network named home"
MESHNODE_PASSPHRASE=wrong mn restore-root --in "$T/home.backup" --state "$T/c" 2>"$T/err"
check "network: ... checked before the passphrase is tried" in_err "another network named home"
check "network: ... nothing written" test ! -e "$T/b/root.key" -a ! -e "$T/c/root.key"

mn_summary

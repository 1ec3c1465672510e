#!/usr/bin/env bash
# Opt-in long test: a stream larger than 4 GiB (default 5 GiB, incompressible) backed up from a
# pipe, with peak RSS recorded (memory must stay bounded whatever the input size), then restored
# and compared by SHA-256, and checked by stock restic.
# Usage: bench/large_stream.sh [GiB]
set -euo pipefail
cd "$(dirname "$0")/.."
HS=${HS:-$PWD/build/src/hasteward}
GIB=${1:-5}
work=$(mktemp -d /var/tmp/hasteward-large-XXXXXX)
trap 'rm -rf "$work"' EXIT
export RESTIC_PASSWORD=large RESTIC_CACHE_DIR="$work/cache"
gen() { head -c "$((GIB * 1024 * 1024 * 1024))" /dev/zero |
        openssl enc -aes-256-ctr -nosalt -K "$(printf '%064d' 7)" -iv "$(printf '%032d' 7)"; }
"$HS" repo init -r "$work/repo" -q
expected=$(gen | sha256sum | cut -d' ' -f1)
gen | /usr/bin/time -f "backup: %e s wall, %U s user, %S s sys, peak RSS %M KiB" \
  "$HS" backup -r "$work/repo" --stdin --stdin-filename large.bin -q
/usr/bin/time -f "restore: %e s wall, peak RSS %M KiB" \
  "$HS" export -r "$work/repo" --snapshot latest -o - | sha256sum | cut -d' ' -f1 > "$work/got"
echo "input sha256    $expected"
echo "restored sha256 $(cat "$work/got")"
[ "$expected" = "$(cat "$work/got")" ] && echo "restored stream is byte-identical"
restic -r "$work/repo" check --read-data-subset 1/8 | tail -1

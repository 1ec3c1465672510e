#!/usr/bin/env bash
# The main job on the embedded default: a local repository in a temporary directory, a generated
# stream backed up, listed, checked and restored, printing what happens at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh >/dev/null
./tools/build.sh hasteward >/dev/null
HS="$PWD/build/src/hasteward"
work=$(mktemp -d /tmp/hasteward-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
export HASTEWARD_BACKUPS_PATH="$work/repo" RESTIC_PASSWORD="demo-password"
step() { printf '\n== %s\n' "$*"; }

step "create a repository (restic format v2) at $HASTEWARD_BACKUPS_PATH"
"$HS" repo init

step "back up a generated 64 MiB stream"
head -c 67108864 /dev/urandom > "$work/input.bin"
"$HS" backup --stdin --stdin-filename demo/stream/input.bin --tag type=backup < "$work/input.bin"

step "list backups"
"$HS" get backups

step "check the repository, reading all data"
"$HS" repo check --read-data

step "restore and compare"
"$HS" export --snapshot latest -o "$work/restored.bin"
if cmp -s "$work/input.bin" "$work/restored.bin"; then
  echo "restored data is byte-identical to the input"
else
  echo "restored data differs" >&2
  exit 1
fi

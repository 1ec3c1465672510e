#!/usr/bin/env bash
# Cleans up after a stuck or killed run: stops the processes still running inside its root,
# unmounts everything under it (umount -R, lazily if busy) and, with --rm, deletes the run dir.
# Usage: tools/fresh-debian/cleanup.sh [--rm] [$FRESH_DIR/runs/<name>-<timestamp> ...]
#        (no dir: every run dir that still has something mounted)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rm_after=0
if [ "${1:-}" = --rm ]; then rm_after=1; shift; fi
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  mapfile -t dirs < <(mounts_under "$FRESH/runs" | sed -E "s#^($FRESH/runs/[^/]+).*#\1#" | sort -u)
fi
for d in "${dirs[@]}"; do
  d=${d%/}
  echo "== $d"
  kill_root_procs "$d/root"
  umount_tree "$d"
  if [ "$rm_after" = 1 ]; then rm -rf --one-file-system "$d" && echo "removed $d"; fi
done
mounts_under "$FRESH" || true

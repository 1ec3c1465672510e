#!/usr/bin/env bash
# The archive index at scale (issue #31 item 3): one `wal-push` of a new segment, one `wal-fetch`
# of an archived one and one `pitr status`, each under /usr/bin/time -v (wall time, max RSS), on a
# local repository holding a synthetic archive of N segments written by build/bench/wal_index_gen
# (snapshots and index as wal-push writes them; small segments, PER_SNAPSHOT per snapshot, one
# native base at the first). Target: the largest N's figures within 1.5x of the smallest's.
#
#   bench/wal_index_scale.sh [path/to/hasteward]      SIZES="100 10000 500000" PER_SNAPSHOT=10000
#
# STRACE=1 adds, per N, the syscalls of one status (`strace -f -c`: openat, newfstatat, statx,
# getdents64, read and the total) and the size of hasteward/archive-index/.
#
# Keys use the test KDF (HASTEWARD_KDF_PARAMS=1024,8,1) so scrypt does not hide what scales. Each
# command runs once to warm the repository cache and the page cache, then RUNS (5) times measured:
# pushes of new segments, fetches of other synthetic segments (their prefetch of 8 stays among the
# synthetic ones, below the 16 MiB pushed ones) each into an empty directory (nothing
# from an earlier prefetch), status as is. Prints per N the median wall time, the median CPU time
# (user + system) and the largest max RSS; "snapshots" counts those before the measured pushes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${1:-$ROOT/build/src/hasteward}
GEN=${GEN:-$ROOT/build/bench/wal_index_gen}
SIZES=${SIZES:-"100 10000 500000"}
PER_SNAPSHOT=${PER_SNAPSHOT:-10000}
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 2; }
command -v bc >/dev/null || { echo "bc is missing (apt-get install bc)"; exit 2; }

W=$(mktemp -d /tmp/hs-bench-walidx-XXXXXX)
trap 'rm -rf "$W"' EXIT
export HASTEWARD_KDF_PARAMS=1024,8,1 RESTIC_PASSWORD=bench TZ=UTC XDG_CACHE_HOME=$W/cache
CL=(-e cnpg -c shop -n bench)
# `pitr status` resolves the cluster in the inventory; nothing contacts the instance.
export HASTEWARD_INVENTORY=$W/inventory.yaml
printf 'clusters:\n- name: shop\n  namespace: bench\n  engine: cnpg\n  credentials: {user: postgres}\n  instances:\n  - {name: shop-0, port: 1}\n' >"$HASTEWARD_INVENTORY"

segment_name() { printf '%08X%08X%08X' 1 $(($1 / 256)) $(($1 % 256)); }

# once <cmd...>: runs it under time -v; prints "<wall s> <max RSS KiB> <user+system CPU s>" (the
# wall time from the nanosecond clock: time -v's has 10 ms steps).
once() {
  local start end
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$W/time" "$@" >/dev/null 2>"$W/err"; then
    echo "failed: $*" >&2; cat "$W/err" >&2; exit 1
  fi
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(awk -F': ' '/Maximum resident/ {r = $2}
    /User time|System time/ {c += $2} END {print r, c}' "$W/time")"
}
# summarize: reads once's lines; prints "median wall s / median CPU s / max RSS MiB". The CPU
# time is what the machine's other load moves least (the wall time of a push is mostly fsyncs).
summarize() {
  awk '{print $1, $2, $3}' | sort -n | awk '{w[NR] = $1; c[NR] = $3; if ($2 > r) r = $2}
    END {n = asort(c); printf "%.3f / %.2f / %.0f", w[int((NR + 1) / 2)], c[int((n + 1) / 2)], r / 1024}'
}
RUNS=${RUNS:-5}

echo "each: median wall s / median CPU (user+sys) s / max RSS MiB"
printf '%-8s %-9s | %-20s | %-20s | %-20s\n' segments snapshots "wal-push" "wal-fetch" "pitr status"
for N in $SIZES; do
  export RESTIC_REPOSITORY=$W/repo-$N
  "$HW" -q repo init >/dev/null
  "$GEN" "$RESTIC_REPOSITORY" bench shop "$N" "$PER_SNAPSHOT" 2>/dev/null
  mkdir -p "$W/wal-$N/pg_wal/archive_status"
  for s in $(seq $((N + 1)) $((N + 1 + RUNS))); do
    head -c $((16 * 1024 * 1024)) /dev/urandom > "$W/wal-$N/pg_wal/$(segment_name "$s")"
  done
  "$HW" -q wal-push "${CL[@]}" "$W/wal-$N/pg_wal/$(segment_name $((N + 1)))" >/dev/null
  PUSH=$(for r in $(seq 1 "$RUNS"); do
    once "$HW" -q wal-push "${CL[@]}" "$W/wal-$N/pg_wal/$(segment_name $((N + 1 + r)))"
  done | summarize)
  mkdir -p "$W/restore-$N-0/pg_wal"
  "$HW" -q wal-fetch "${CL[@]}" "$(segment_name $((N / 3 + 1)))" "$W/restore-$N-0/pg_wal/RECOVERYXLOG"
  FETCH=$(for r in $(seq 1 "$RUNS"); do
    mkdir -p "$W/restore-$N-$r/pg_wal"
    once "$HW" -q wal-fetch "${CL[@]}" "$(segment_name $(((N / 2 + r * 7) % (N - 9) + 1)))" \
      "$W/restore-$N-$r/pg_wal/RECOVERYXLOG"
  done | summarize)
  "$HW" -q pitr status "${CL[@]}" >/dev/null
  STATUS=$(for r in $(seq 1 "$RUNS"); do once "$HW" -q pitr status "${CL[@]}"; done | summarize)
  SNAPS=$(( (N + PER_SNAPSHOT - 1) / PER_SNAPSHOT + 1 ))  # + the base (before the pushes)
  printf '%-8s %-9s | %-20s | %-20s | %-20s\n' "$N" "$SNAPS" "$PUSH" "$FETCH" "$STATUS"
  if [ "${STRACE:-0}" = 1 ]; then
    # The steadier comparison on a loaded machine: what one status asks the kernel for, and the
    # size of the index files it reads.
    strace -f -c -o "$W/strace" "$HW" -q pitr status "${CL[@]}" >/dev/null
    SYSCALLS=$(awk '$NF ~ /^(openat|newfstatat|statx|getdents64|read|total)$/ {
      printf "%s %s  ", $NF, $4}' "$W/strace")
    INDEX_BYTES=$(du -cb "$RESTIC_REPOSITORY"/hasteward/archive-index/* | tail -1 | cut -f1)
    echo "         status syscalls: $SYSCALLS; archive-index/ $INDEX_BYTES bytes in" \
      "$(ls "$RESTIC_REPOSITORY"/hasteward/archive-index | wc -l) files"
  fi
  rm -rf "$RESTIC_REPOSITORY" "$W/wal-$N" "$W/restore-$N-"*
done

#!/usr/bin/env bash
# The binlog piece index at scale: one load of a cluster's binlog catalog (what `pitr status`, a
# restore's plan and the archiver's first cycle read before anything else) through the index and
# by the snapshot scan it replaces, each under /usr/bin/time -v (wall time, max RSS), on a local
# repository holding a synthetic archive of N pieces written by build/bench/binlog_index_gen
# (snapshots and index as the archiver writes them, PER_SNAPSHOT pieces per snapshot).
#
#   bench/binlog_index_scale.sh [path/to/hasteward]      SIZES="100 100000" PER_SNAPSHOT=10
#
# Keys use the test KDF so scrypt does not hide what scales. Each load runs once to warm the page
# cache, then RUNS (3) times measured; prints per N the median wall time, median CPU time (user +
# system) and the largest max RSS of each mode.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${1:-$ROOT/build/src/hasteward}
GEN=${GEN:-$ROOT/build/bench/binlog_index_gen}
SIZES=${SIZES:-"100 100000"}
PER_SNAPSHOT=${PER_SNAPSHOT:-10}
RUNS=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 2; }
command -v bc >/dev/null || { echo "bc is missing (apt-get install bc)"; exit 2; }

W=$(mktemp -d /tmp/hs-bench-binidx-XXXXXX)
trap 'rm -rf "$W"' EXIT
export HASTEWARD_KDF_PARAMS=1024,8,1 RESTIC_PASSWORD=bench TZ=UTC

# once <cmd...>: "<wall s> <max RSS KiB> <user+system CPU s>" of one run.
once() {
  local start end
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$W/time" "$@" >"$W/out" 2>"$W/err"; then
    echo "failed: $*" >&2; cat "$W/err" >&2; exit 1
  fi
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(awk -F': ' '/Maximum resident/ {r = $2}
    /User time|System time/ {c += $2} END {print r, c}' "$W/time")"
}
# summarize: once's lines in; "median wall s / median CPU s / max RSS MiB" out.
summarize() {
  sort -n | awk '{w[NR] = $1; c[NR] = $3; if ($2 > r) r = $2}
    END {n = asort(c); printf "%.3f / %.2f / %.0f", w[int((NR + 1) / 2)], c[int((n + 1) / 2)], r / 1024}'
}
measure() {
  once "$@" >/dev/null
  for _ in $(seq "$RUNS"); do once "$@"; done | summarize
}

echo "each: median wall s / median CPU (user+sys) s / max RSS MiB"
printf '%-8s %-9s %-8s | %-22s | %-22s\n' pieces snapshots gen-s "load via index" "load by scan"
for N in $SIZES; do
  export RESTIC_REPOSITORY=$W/repo-$N
  "$HW" -q repo init >/dev/null
  gen_start=$(date +%s)
  "$GEN" gen "$RESTIC_REPOSITORY" bench shop "$N" "$PER_SNAPSHOT" 2>/dev/null
  gen_s=$(($(date +%s) - gen_start))
  indexed=$(measure "$GEN" load "$RESTIC_REPOSITORY" bench shop index)
  snapshots=$(sed -n 's/.*"snapshots":\([0-9]*\).*/\1/p' "$W/out")
  scanned=$(measure "$GEN" load "$RESTIC_REPOSITORY" bench shop scan)
  printf '%-8s %-9s %-8s | %-22s | %-22s\n' "$N" "$snapshots" "$gen_s" "$indexed" "$scanned"
  rm -rf "$RESTIC_REPOSITORY"
done

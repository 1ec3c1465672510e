#!/usr/bin/env bash
# Memory and time on a repository of N blobs (issue #33): a repository made by
# build/bench/index_scale_gen (N small data blobs in real packs and restic-shaped index files,
# after one small real backup), then on it, each once under /usr/bin/time -v:
#   hasteward backup --stdin of a SIZE_MB stream with an empty index cache (on-disk index:
#   HASTEWARD_INDEX=disk; it builds the index from the index files first, and the build's own
#   time is printed from its log line), hasteward repo check after it, with an empty cache again
#   (builds the index) and with the index cached, restic backup --stdin of the same stream,
#   restic check, restic list blobs (its index load, plus one line a blob).
# Then a restore of the stream's snapshot by each (hasteward export, restic restore; compared with
# the stream), and prune: a snapshot of the generator references USED_PERCENT % of its packs fully
# and USED_PERCENT/5 % half (so prune removes the rest and repacks the half-used ones);
# hasteward prune runs on the repository, restic prune on a copy of it (with a copy of restic's
# cache), both with their default --max-unused 5 %; then restic check of hasteward's result.
# Prints wall s, CPU s and peak RSS MiB of each, and the stock restic listing of the index files.
#
#   bench/index_scale.sh [path/to/hasteward]    BLOBS=10000000 SIZE_MB=1024 USED_PERCENT=40
#
# ONLY_PRUNE=1 leaves out the checks and restic's index listing before the restores (the backups
# stay: the restores need them).
#
# Needs restic 0.14, /usr/bin/time, ~90 bytes of disk a blob plus twice SIZE_MB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${1:-$ROOT/build/src/hasteward}
GEN=${GEN:-$ROOT/build/bench/index_scale_gen}
BLOBS=${BLOBS:-10000000}
SIZE_MB=${SIZE_MB:-1024}
USED_PERCENT=${USED_PERCENT:-40}
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 2; }
command -v restic >/dev/null || { echo "restic is missing"; exit 2; }

W=$(mktemp -d /var/tmp/hs-bench-index-XXXXXX)
trap 'rm -rf "$W"' EXIT
export HASTEWARD_KDF_PARAMS=1024,8,1 RESTIC_PASSWORD=bench TZ=UTC
export RESTIC_REPOSITORY=$W/repo RESTIC_CACHE_DIR=$W/restic-cache
export HASTEWARD_INDEX=disk HASTEWARD_INDEX_CACHE_DIR=$W/index-cache

# once <label> <cmd...>: "<label> <wall s> <CPU s> <max RSS MiB>" of one run.
once() {
  local label=$1 start end
  shift
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$W/time" "$@" >"$W/out" 2>"$W/err"; then
    echo "failed: $*" >&2; tail -20 "$W/err" >&2; exit 1
  fi
  end=$(date +%s.%N)
  awk -v l="$label" -v w="$(echo "$end - $start" | bc)" -F': ' '/Maximum resident/ {r = $2}
    /User time|System time/ {c += $2} END {printf "%-34s %8.1f %8.1f %8.0f\n", l, w, c, r / 1024}' \
    "$W/time"
}

"$HW" -q repo init >/dev/null
head -c $((8 << 20)) /dev/urandom >"$W/small"
"$HW" -q backup --stdin --stdin-filename small.bin <"$W/small" >/dev/null
gen_start=$(date +%s)
"$GEN" "$RESTIC_REPOSITORY" "$BLOBS" 50000 "$USED_PERCENT" 2>"$W/gen.err" || {
  cat "$W/gen.err" >&2; exit 1; }
tr '\r' '\n' <"$W/gen.err" | grep snapshot || true
echo "generated $BLOBS blobs in $(($(date +%s) - gen_start)) s;" \
  "index files $(ls "$RESTIC_REPOSITORY/index" | wc -l)," \
  "$(du -sm "$RESTIC_REPOSITORY/index" | cut -f1) MiB; packs $(du -sm "$RESTIC_REPOSITORY/data" | cut -f1) MiB"
echo "restic list index: $(restic list index --no-lock | wc -l) files;" \
  "restic cat index (first): $(restic cat index "$(restic list index --no-lock | head -1)" --no-lock | head -c 80)..."
head -c $((SIZE_MB << 20)) /dev/urandom >"$W/stream"

printf '%-34s %8s %8s %8s\n' "" "wall s" "CPU s" "RSS MiB"
# build_time: the on-disk index build inside the run just measured, from its log line.
build_time() {
  grep -o 'built the on-disk blob index.*' "$W/err" | sed 's/^/  /' || echo "  (no index build)"
}
# The backup first, with an empty cache: it builds the on-disk index of the generated index files
# itself before it reads the stream. Then checks: one right after (the cached file plus the
# backup's new index file in memory), one with an empty cache again (builds the index of every
# index file, then checks), one with that file cached.
ONLY_PRUNE=${ONLY_PRUNE:-0}
rm -rf "$HASTEWARD_INDEX_CACHE_DIR"
once "hasteward backup (builds index)" sh -c "'$HW' backup --stdin --stdin-filename stream.bin <'$W/stream'"
build_time
if [ "$ONLY_PRUNE" != 1 ]; then
  once "hasteward check (after backup)" "$HW" repo check
  rm -rf "$HASTEWARD_INDEX_CACHE_DIR"
  once "hasteward check (empty cache)" "$HW" repo check
  build_time
  once "hasteward check (cached)" "$HW" repo check
fi
once "restic backup" sh -c "restic backup --stdin --stdin-filename stream.bin <'$W/stream'"
[ "$ONLY_PRUNE" = 1 ] || once "restic check" restic check
# restic's index load alone (plus printing one line a blob).
[ "$ONLY_PRUNE" = 1 ] || once "restic list blobs" sh -c "restic list blobs --no-lock >/dev/null"

# Restore of the stream: each tool's newest snapshot is its backup of it.
once "hasteward export" "$HW" export --snapshot latest -o "$W/restored"
cmp -s "$W/stream" "$W/restored" || { echo "hasteward export differs from the stream"; exit 1; }
rm -f "$W/restored"
once "restic restore" restic restore latest --no-lock --target "$W/restored-dir"
cmp -s "$W/stream" "$W/restored-dir/stream.bin" || { echo "restic restore differs"; exit 1; }
rm -rf "$W/restored-dir"

# Prune: restic on a copy of the same repository and cache.
cp -a "$RESTIC_REPOSITORY" "$W/repo-restic"
cp -a "$RESTIC_CACHE_DIR" "$W/restic-cache-copy"
echo "before prune: $(du -sm "$RESTIC_REPOSITORY/data" | cut -f1) MiB of packs," \
  "$(ls "$RESTIC_REPOSITORY/snapshots" | wc -l) snapshots; load $(cut -d' ' -f1-3 /proc/loadavg)"
once "hasteward prune" "$HW" prune --keep-last 100 --type all --json
build_time
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); g=j["gc"]
print("hasteward prune: index %s, %d blobs; packs keep %d remove %d repack %d; deleted %d packs"
      % (j["index"], j["index_blobs"], g["keep"], g["remove"], g["repack"], g["packs_deleted"]))' "$W/out"
RESTIC_REPOSITORY=$W/repo-restic RESTIC_CACHE_DIR=$W/restic-cache-copy \
  once "restic prune" restic prune
grep -E "^(to delete|to repack|remaining|total prune)" "$W/out" || true
echo "after prune: hasteward $(du -sm "$RESTIC_REPOSITORY/data" | cut -f1) MiB of packs," \
  "restic $(du -sm "$W/repo-restic/data" | cut -f1) MiB"
once "restic check (hasteward's prune)" restic check
[ "$ONLY_PRUNE" = 1 ] || { once "hasteward check (after prune)" "$HW" repo check; build_time; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Issue #33's PostgreSQL bench: the second backup after a workload that changes ~1 % of the pages
# (half a contiguous range of pgbench_accounts, half scattered single rows), HASteward native
# (per --block-size, and as incremental and --full when the binary has those flags) against
# pgBackRest 2.45 block incremental (repo-block=y repo-bundle=y) and classic incremental. Every
# tool takes its full backup first, then one workload runs, so every second backup sees the same
# changed pages and the same WAL. Prints, per backup: seconds, CPU seconds, peak RSS, bytes read
# from the data directory, bytes stored; then the changed pages (hashed before and after, outside
# the timed runs) and the issue's ratios (read <= 3 x changed, stored <= 0.5 x pgBackRest's
# block incremental).
#
#   SCALE=100 bench/block_incremental_pg.sh [path/to/hasteward]
#
# Needs root (the server runs as 'postgres'), pgbench, pgbackrest (tools/setup.sh --bench).
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
SCALE=${SCALE:-100}
PROCESSES=${PROCESSES:-2}
BLOCK_SIZES=${BLOCK_SIZES:-"524288 16384"}
PERCENT=${PERCENT:-1}
PAGE=8192
# WAL_KEEP=2GB keeps the WAL since the full backups in pg_wal, where an incremental hasteward
# backup can read it when no hasteward WAL archive (wal-push) holds it; unset: the server default.
WAL_KEEP=${WAL_KEEP:-}
# shellcheck source=bench/lib/pg_bench_server.sh
. "$(dirname "$0")/lib/pg_bench_server.sh"
# shellcheck source=bench/lib/backup_measure.sh
. "$(dirname "$0")/lib/backup_measure.sh"

pg_bench_workdir hs-bench-blockincr
pg_bench_up
# A vacuum between two tools' second backups would change pages one saw and the other did not.
psql_ -c "ALTER SYSTEM SET autovacuum = off"
if [ -n "$WAL_KEEP" ]; then psql_ -c "ALTER SYSTEM SET wal_keep_size = '$WAL_KEEP'"; fi
# pgBackRest 2.45 takes repo-block only with beta=y (2.46 made block incremental a release feature).
pg_bench_pgbackrest beta=y "repo1-path=$W/pgbr-block" repo1-block=y repo1-bundle=y \
  "repo2-path=$W/pgbr-classic"
pg_bench_init "$SCALE"
SERVER_PID=$(head -1 "$DATA/postmaster.pid")

# HASteward's variants: each block size, and, when the binary takes --full (the incremental
# backups of issue #33), the second backup both ways.
MODES=(default)
HW_HELP=$("$HW" backup --help)
if grep -qE -- '--incremental' <<<"$HW_HELP"; then
  MODES=(incremental full)  # --incremental (the default since session 35; named for older builds)
  grep -E -- '--full|--incremental' <<<"$HW_HELP" | sed 's/^/hasteward: /'
elif grep -qE -- '--full([^-]|$)' <<<"$HW_HELP"; then
  MODES=(default full)
  grep -E -- '--full|--incremental' <<<"$HW_HELP" | sed 's/^/hasteward: /'
fi
VARIANTS=()
for bs in $BLOCK_SIZES; do
  for mode in "${MODES[@]}"; do VARIANTS+=("$bs:$mode"); done
done
hw() { # hw VARIANT: the hasteward backup command of the variant, its repository exported
  local bs=${1%:*} mode=${1#*:}
  export RESTIC_REPOSITORY=$W/hw-$bs-$mode HASTEWARD_BACKUPS_PATH=$W/hw-$bs-$mode
  HW_CMD=("$HW" --json backup -e cnpg -c bench -n b --method native --threads "$PROCESSES" --block-size "$bs")
  HW_LABEL="hasteward $((bs / 1024)) KiB blocks"
  if [ "$mode" = full ]; then
    HW_CMD+=(--full)
    HW_LABEL+=", --full"
  elif [ "$mode" = incremental ]; then
    HW_CMD+=(--incremental)
    HW_LABEL+=", incremental"
  elif [ "${#MODES[@]}" -gt 1 ]; then
    HW_LABEL+=", incremental"
  fi
}
hw_stored() { echo -e "$1\t$(tail -1 "$W/out" | jq -r .data_added_packed)" >>"$W/tool-stored.tsv"; }
# pgBackRest's own figure: the newest backup's size in the repository.
br_stored() {
  echo -e "$1\t$("${BR[@]}" info --repo="$2" --output=json |
    jq -r '.[0].backup[-1].info.repository.delta')" >>"$W/tool-stored.tsv"
}

echo "== full backups"
for v in "${VARIANTS[@]}"; do
  hw "$v"
  "$HW" repo init >/dev/null
  measure "$HW_LABEL: full" "$RESTIC_REPOSITORY" tool+server "${HW_CMD[@]}"
  hw_stored "$HW_LABEL: full"
done
measure "pgbackrest block: full" "$W/pgbr-block" tool+server "${BR[@]}" backup --repo=1 --type=full
br_stored "pgbackrest block: full" 1
measure "pgbackrest classic: full" "$W/pgbr-classic" tool+server "${BR[@]}" backup --repo=2 --type=full
br_stored "pgbackrest classic: full" 2

echo "== workload: ~$PERCENT % of the pages"
pg_bench_quiet
psql_ -c "CHECKPOINT"
python3 "$BENCH_LIB/page_diff.py" snapshot "$DATA" "$PAGE" "$W/pages-before"
read -r _ _ _ TOTAL_PAGES < <(python3 "$BENCH_LIB/page_diff.py" diff "$W/pages-before" "$W/pages-before")
TARGET=$((TOTAL_PAGES * PERCENT / 100))
read -r ROWS ROWS_PER_PAGE < <(psql_ -F ' ' -c \
  "SELECT count(*), count(*) / (pg_relation_size('pgbench_accounts') / 8192) FROM pgbench_accounts")
# Each updated account leaves its old page (fillfactor 100: no room for a HOT update), lands on a
# page appended to the table and adds a primary-key entry: ~2 heap pages per page of rows plus
# a leaf page per ~180 entries (splits included): ~2.34 pages per page of rows. Half the target
# as one range of rows...
RANGE=$((TARGET * ROWS_PER_PAGE * 50 / 234))
FIRST=$((ROWS / 3))
LAST=$((FIRST + RANGE - 1))
range_pages() { psql_ -c "SELECT count(DISTINCT (ctid::text::point)[0]) FROM pgbench_accounts WHERE aid BETWEEN $FIRST AND $LAST"; }
OLD_PAGES=$(range_pages)
psql_ -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN $FIRST AND $LAST"
echo "contiguous: accounts $FIRST..$LAST ($RANGE rows) on $OLD_PAGES pages, now on $(range_pages) new pages"
# ...and half as pgbench's own transactions: one random account, teller and branch updated and a
# history row inserted each; ~2 changed pages apiece (the account's old page, an index leaf).
TRANSACTIONS=$((TARGET / 4))
runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -n -c 1 -t "$TRANSACTIONS" postgres >/dev/null
echo "scattered: $TRANSACTIONS pgbench transactions (accounts, tellers, branches, history)"
psql_ -c "CHECKPOINT"
pg_bench_quiet
python3 "$BENCH_LIB/page_diff.py" snapshot "$DATA" "$PAGE" "$W/pages-after"
read -r CHANGED RELATION OTHER TOTAL_PAGES < <(python3 "$BENCH_LIB/page_diff.py" diff "$W/pages-before" "$W/pages-after")
echo "changed: $CHANGED of $TOTAL_PAGES 8 KiB pages ($(awk -v c="$CHANGED" -v t="$TOTAL_PAGES" \
  'BEGIN { printf "%.2f", 100 * c / t }') %, data directory without the log: $((TOTAL_PAGES * PAGE / 1048576)) MiB): $RELATION in table and index files, $OTHER elsewhere"

echo "== second backups"
for v in "${VARIANTS[@]}"; do
  hw "$v"
  pg_bench_quiet
  measure "$HW_LABEL: second" "$RESTIC_REPOSITORY" tool+server "${HW_CMD[@]}"
  hw_stored "$HW_LABEL: second"
  # How it read, in the product's own count (--json "read": data files and WAL apart); older
  # builds: their log.
  if tail -1 "$W/out" | jq -e .read >/dev/null 2>&1; then
    tail -1 "$W/out" | jq -r --arg l "$HW_LABEL" '[$l, .read, (.read_reason // "-"),
      .data_bytes_read, .wal_bytes_read, .reused_bytes, .changed_blocks] | @tsv' >>"$W/hw-read.tsv"
  else
    grep -iE 'incremental|full read|parent' "$W/err" | tail -2 | sed 's/^/  log: /' || true
  fi
done
pg_bench_quiet
measure "pgbackrest block: incr (second)" "$W/pgbr-block" tool+server "${BR[@]}" backup --repo=1 --type=incr
br_stored "pgbackrest block: incr (second)" 1
pg_bench_quiet
measure "pgbackrest classic: incr (second)" "$W/pgbr-classic" tool+server "${BR[@]}" backup --repo=2 --type=incr
br_stored "pgbackrest classic: incr (second)" 2

report $((CHANGED * PAGE)) "pgbackrest block: incr (second)"
echo
echo "full backups:"
awk -F'\t' '$1 ~ /full$/ { printf "  %-40s %7.1f s %9.1f MiB read %9.1f MiB stored\n", $1, $2, $5 / 1048576, $9 / 1048576 }' "$W/results.tsv"
echo "read columns (MiB): label, data read, tool tree rchar, server children rchar"
awk -F'\t' '{ printf "  %-40s %9.1f %9.1f %9.1f\n", $1, $5 / 1048576, $6 / 1048576, $7 / 1048576 }' "$W/results.tsv"
if [ -s "$W/hw-read.tsv" ]; then
  echo "hasteward's own count of its second backups (MiB): label, read, reason, data files, WAL, reused, changed blocks"
  awk -F'\t' '{ printf "  %-40s %-12s %-10s %9.1f %9.1f %9.1f %8d\n", $1, $2, $3, $4 / 1048576, $5 / 1048576, $6 / 1048576, $7 }' "$W/hw-read.tsv"
fi

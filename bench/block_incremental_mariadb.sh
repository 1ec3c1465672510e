#!/usr/bin/env bash
# Issue #33's MariaDB bench: the second backup after a workload that changes ~1 % of the 16 KiB
# pages (half a contiguous range of sbtest1's rows, half single rows scattered over the other
# tables), HASteward native (per --block-size, and as incremental and --full when the binary has
# those flags) against `mariadb-backup --incremental-basedir`, into a target directory
# (uncompressed) and as `--stream=xbstream | zstd`. Every tool takes its full backup first, then
# one workload runs. Prints, per backup: seconds, CPU seconds, peak RSS, bytes read from the data
# directory, bytes stored; then the changed pages (hashed before and after, outside the timed
# runs) and the issue's ratios (read <= 3 x changed, stored <= 0.5 x mariadb-backup's
# incremental, the zstd stream's).
#
#   ROWS=1000000 bench/block_incremental_mariadb.sh [path/to/hasteward]
#
# Needs root (the server runs as 'mysql'), sysbench, mariadb-backup, zstd.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
ROWS=${ROWS:-1000000}
TABLES=${TABLES:-8}
THREADS=${THREADS:-2}
BLOCK_SIZES=${BLOCK_SIZES:-"65536 16384"}
PERCENT=${PERCENT:-1}
PAGE=16384
# shellcheck source=bench/lib/mariadb_bench_server.sh
. "$(dirname "$0")/lib/mariadb_bench_server.sh"
# shellcheck source=bench/lib/backup_measure.sh
. "$(dirname "$0")/lib/backup_measure.sh"

mariadb_bench_workdir hs-bench-mbincr
mariadb_bench_up
sysbench_prepare "$TABLES" "$ROWS" "$THREADS"

# mariadb-backup reads the data files, for hasteward as for itself; hasteward's own rchar would
# add the stream it reads from mariadb-backup's pipe. So mariadb-backup runs through proc_io.py,
# which counts its reads alone (the sandbox's binDir has no mariadb-backup: hasteward finds it on
# PATH).
mkdir -p "$W/shim"
cat >"$W/shim/mariadb-backup" <<SHIM
#!/bin/sh
exec python3 $BENCH_LIB/proc_io.py run $W/reader-io -- $(command -v mariadb-backup) "\$@"
SHIM
chmod 755 "$W/shim/mariadb-backup"
MB=("$W/shim/mariadb-backup" --defaults-file="$CNF" --backup --user=admin --password="$PW"
  --host=127.0.0.1 --port="$PORT" --protocol=tcp)

MODES=(default)
HW_HELP=$("$HW" backup --help)
if grep -qE -- '--full([^-]|$)' <<<"$HW_HELP"; then
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
  HW_CMD=(env "PATH=$W/shim:$PATH" "$HW" --json backup -e mariadb -c bench -n b --method native
    --threads "$THREADS" --block-size "$bs")
  HW_LABEL="hasteward $((bs / 1024)) KiB blocks"
  if [ "$mode" = full ]; then
    HW_CMD+=(--full)
    HW_LABEL+=", --full"
  fi
}
hw_stored() { echo -e "$1\t$(tail -1 "$W/out" | jq -r .data_added_packed)" >>"$W/tool-stored.tsv"; }
mkdir -p "$W/mb-dir" "$W/mb-zst" "$W/mb-tmp"
# mariadb-backup into a target directory (its files as they are, uncompressed) ...
MB_DIR() { MB_CMD=("${MB[@]}" --target-dir="$W/mb-dir/$1" "${@:2}"); }
# ... and streamed through zstd (level 3, as hasteward's default), its LSNs kept beside.
MB_ZST() {
  MB_CMD=(bash -c 'set -o pipefail; out=$1; shift; "$@" | zstd -q -3 -T'"$THREADS"' >"$out"' mb
    "$W/mb-zst/$1.xb.zst" "${MB[@]}" --stream=xbstream --target-dir="$W/mb-tmp"
    --extra-lsndir="$W/mb-zst/$1-lsn" "${@:2}")
}

echo "== full backups"
for v in "${VARIANTS[@]}"; do
  hw "$v"
  "$HW" repo init >/dev/null
  measure "$HW_LABEL: full" "$RESTIC_REPOSITORY" reader "${HW_CMD[@]}"
  hw_stored "$HW_LABEL: full"
done
MB_DIR full
measure "mariadb-backup dir: full" "$W/mb-dir" reader "${MB_CMD[@]}"
MB_ZST full
measure "mariadb-backup stream + zstd: full" "$W/mb-zst" reader "${MB_CMD[@]}"

echo "== workload: ~$PERCENT % of the pages"
# Pages are counted in the files a physical backup copies: not the binary logs (sysbench's
# prepare leaves more binlog than table data) nor the temporary tablespace.
BINLOG=$(sql -e "SELECT IFNULL(@@log_bin_basename, '')")
BINLOG=${BINLOG##*/}
SKIP='^ibtmp1$'
if [ -n "$BINLOG" ]; then SKIP+="|^$BINLOG\\.([0-9]+|index)\$"; fi
echo "pages counted in $DATA but the files matching $SKIP"
PURGED=1 mariadb_bench_quiet
python3 "$BENCH_LIB/page_diff.py" snapshot "$DATA" "$PAGE" "$W/pages-before" "$SKIP"
read -r _ _ _ TOTAL_PAGES < <(python3 "$BENCH_LIB/page_diff.py" diff "$W/pages-before" "$W/pages-before")
TARGET=$((TOTAL_PAGES * PERCENT / 100))
ROWS_PER_PAGE=$(sql -e "SELECT ROUND(table_rows / (data_length / 16384)) FROM information_schema.tables
  WHERE table_schema = 'sbtest' AND table_name = 'sbtest1'")
# c is CHAR(120): a new value of the same length is written in place, so a row range changes the
# primary-key leaf pages that hold it and nothing else but undo log. Half the target as one range...
RANGE=$((TARGET * ROWS_PER_PAGE / 2))
FIRST=$((ROWS / 3))
LAST=$((FIRST + RANGE - 1))
NEW_C="REPEAT(LEFT(MD5(RAND()), 10), 12)"
sql -e "UPDATE sbtest.sbtest1 SET c = $NEW_C WHERE id BETWEEN $FIRST AND $LAST"
echo "contiguous: sbtest1 rows $FIRST..$LAST ($RANGE rows, ~$ROWS_PER_PAGE a page)"
# ...and half as single rows at random ids of the other tables, one page each.
SCATTERED=$((TARGET / 2))
python3 - "$TABLES" "$ROWS" "$SCATTERED" "$NEW_C" >"$W/scattered.sql" <<'PY'
import random, sys
tables, rows, count, new_c = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
others = list(range(2, tables + 1)) or [1]
ids = {t: set() for t in others}
for _ in range(count):
    ids[random.choice(others)].add(random.randint(1, rows))
for t, chosen in ids.items():
    if chosen:
        print(f"UPDATE sbtest.sbtest{t} SET c = {new_c} WHERE id IN ({','.join(map(str, sorted(chosen)))});")
PY
sql <"$W/scattered.sql"
echo "scattered: $SCATTERED single rows in sbtest2..sbtest$TABLES"
PURGED=1 mariadb_bench_quiet
python3 "$BENCH_LIB/page_diff.py" snapshot "$DATA" "$PAGE" "$W/pages-after" "$SKIP"
read -r CHANGED RELATION OTHER TOTAL_PAGES < <(python3 "$BENCH_LIB/page_diff.py" diff "$W/pages-before" "$W/pages-after")
echo "changed: $CHANGED of $TOTAL_PAGES 16 KiB pages ($(awk -v c="$CHANGED" -v t="$TOTAL_PAGES" \
  'BEGIN { printf "%.2f", 100 * c / t }') %, counted files: $((TOTAL_PAGES * PAGE / 1048576)) MiB): $RELATION in .ibd files, $OTHER elsewhere (system and undo tablespaces)"

echo "== second backups"
for v in "${VARIANTS[@]}"; do
  hw "$v"
  mariadb_bench_quiet
  measure "$HW_LABEL: second" "$RESTIC_REPOSITORY" reader "${HW_CMD[@]}"
  hw_stored "$HW_LABEL: second"
done
mariadb_bench_quiet
MB_DIR incr --incremental-basedir="$W/mb-dir/full"
measure "mariadb-backup dir: incremental (second)" "$W/mb-dir" reader "${MB_CMD[@]}"
mariadb_bench_quiet
MB_ZST incr --incremental-basedir="$W/mb-zst/full-lsn"
measure "mariadb-backup stream + zstd: incremental (second)" "$W/mb-zst" reader "${MB_CMD[@]}"

report $((CHANGED * PAGE)) "mariadb-backup stream + zstd: incremental (second)"
echo
echo "full backups:"
awk -F'\t' '$1 ~ /full$/ { printf "  %-44s %7.1f s %9.1f MiB read %9.1f MiB stored\n", $1, $2, $5 / 1048576, $9 / 1048576 }' "$W/results.tsv"

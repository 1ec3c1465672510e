#!/usr/bin/env bash
# HASteward native MariaDB backups against `mariadb-backup --stream=mbstream | restic backup
# --stdin`, one run on one sysbench database (issue #12's benchmark). For each: full backup
# seconds, MB/s (of the data directory), CPU seconds (user+sys of the process tree), peak RSS,
# stored bytes (repository growth); then 1 % of the rows changed, scattered over every table, and
# the second backup's stored bytes. Finally the second backup's stored bytes of HASteward for several
# data-file block sizes (BLOCK_SIZES).
#
#   ROWS=1000000 bench/native_mariadb_compare.sh [path/to/hasteward]
#
# Needs root (the server runs as 'mysql'), sysbench, mariadb-backup, restic.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
ROWS=${ROWS:-1000000}
TABLES=${TABLES:-8}
THREADS=${THREADS:-2}
BLOCK_SIZES=${BLOCK_SIZES:-"16384 65536 262144"}

# shellcheck source=bench/lib/mariadb_bench_server.sh
. "$(dirname "$0")/lib/mariadb_bench_server.sh"

mariadb_bench_workdir hs-bench-mbnative
mariadb_bench_up
sysbench_prepare "$TABLES" "$ROWS" "$THREADS"

bytes() { du -sb "$1" | cut -f1; }
run() {
  local label=$1 repo=$2
  shift 2
  local before after
  before=$(bytes "$repo")
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  after=$(bytes "$repo")
  read -r secs user sys rss <"$W/time"
  awk -v l="$label" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" -v d="$DB_BYTES" \
    -v st="$((after - before))" 'BEGIN { printf "%-36s %7.1f s %7.1f MB/s %7.1f CPU-s %7.0f MiB RSS %9.1f MiB stored\n",
      l, s, d / 1e6 / s, u + y, r / 1024, st / 1048576 }'
}
change_one_percent() {
  for t in $(seq 1 "$TABLES"); do
    sql -e "UPDATE sbtest.sbtest$t SET k = k + 1 WHERE rand() < 0.01"
  done
}
hw_repo() { export HASTEWARD_BACKUPS_PATH=$W/$1 RESTIC_REPOSITORY=$W/$1; }
PIPE="mariadb-backup --defaults-file=$CNF --backup --stream=mbstream --target-dir=$W/mbtmp --user=admin --password=\$MYSQL_PWD --host=127.0.0.1 --port=$PORT --protocol=tcp 2>/dev/null | restic -r $W/restic backup --stdin --stdin-filename backup.mbstream -q"
mkdir -p "$W/mbtmp"

hw_repo hw
"$HW" repo init >/dev/null
restic -r "$W/restic" init >/dev/null 2>&1
echo "== full backups"
run "hasteward native" "$W/hw" "$HW" backup -e mariadb -c bench -n b --method native --threads "$THREADS"
run "mariadb-backup | restic --stdin" "$W/restic" sh -c "$PIPE"
echo "== 1 % of rows changed, scattered"
change_one_percent
mariadb_bench_quiet
run "hasteward native (second)" "$W/hw" "$HW" backup -e mariadb -c bench -n b --method native --threads "$THREADS"
mariadb_bench_quiet
run "mariadb-backup | restic (second)" "$W/restic" sh -c "$PIPE"

echo "== restore to a running server"
want=$(sql -e "CHECKSUM TABLE sbtest.sbtest1")
"$HW" instance stop -c bench -n b -i 0 >/dev/null
rm -rf "$DATA"
start=$(date +%s.%N)
"$HW" restore -e mariadb -c bench -n b --snapshot latest --yes >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "hasteward native restore: $(echo "$(date +%s.%N) - $start" | bc) s"
[ "$(sql -e "CHECKSUM TABLE sbtest.sbtest1")" = "$want" ] || { echo "restored data differs"; exit 1; }
# The restic pipeline's restore: the stream back through mbstream, prepared, then the server started.
"$HW" instance stop -c bench -n b -i 0 >/dev/null
rm -rf "$DATA"
start=$(date +%s.%N)
mkdir -p "$DATA"
restic -r "$W/restic" dump -q latest backup.mbstream | mbstream -x -C "$DATA"
mariadb-backup --prepare --target-dir="$DATA" >/dev/null 2>&1
chown -R mysql:mysql "$DATA"
"$HW" instance start -c bench -n b -i 0 >/dev/null
echo "restic dump | mbstream restore: $(echo "$(date +%s.%N) - $start" | bc) s"
[ "$(sql -e "CHECKSUM TABLE sbtest.sbtest1")" = "$want" ] || { echo "restic-restored data differs"; exit 1; }

echo "== second-backup stored bytes by data-file block size"
for bs in $BLOCK_SIZES; do
  hw_repo "bs-$bs"
  "$HW" repo init >/dev/null
  "$HW" backup -e mariadb -c bench -n b --method native --block-size "$bs" >/dev/null 2>&1
  change_one_percent
  run "block $bs: second backup" "$W/bs-$bs" "$HW" backup -e mariadb -c bench -n b --method native --block-size "$bs"
done

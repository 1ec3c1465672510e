#!/usr/bin/env bash
# HASteward native PostgreSQL backups against pgBackRest and the restic pipeline, one run on one
# pgbench database (issue #12's benchmark). Measures, for each tool: full backup seconds, MB/s,
# CPU seconds (user+sys of the tool's process tree), peak RSS, stored bytes (repository growth);
# restore to a running, writable server in seconds (the restic pipeline: restic dump | tar -x); then changes 1 % of the rows (scattered) and
# measures the second backup's stored bytes (pgBackRest: incremental). Finally the stored bytes of
# a second HASteward backup for several data-file block sizes (BLOCK_SIZES).
#
#   SCALE=100 bench/native_pg_compare.sh [path/to/hasteward]
#
# Needs root (servers run as 'postgres'), pgbench, pgbackrest (Debian package), restic.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
SCALE=${SCALE:-100}
PROCESSES=${PROCESSES:-2}
BLOCK_SIZES=${BLOCK_SIZES:-"8192 32768 65536 131072"}
# shellcheck source=bench/lib/pg_bench_server.sh
. "$(dirname "$0")/lib/pg_bench_server.sh"

pg_bench_workdir hs-bench-native
pg_bench_up
pg_bench_pgbackrest "repo1-path=$W/pgbr"
pg_bench_init "$SCALE"

bytes() { du -sb "$1" | cut -f1; }
# run <label> <repo dir> <cmd...>: prints seconds, MB/s of the database size, CPU s, RSS, stored.
run() {
  local label=$1 repo=$2
  shift 2
  local before after
  before=$(bytes "$repo")
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  after=$(bytes "$repo")
  read -r secs user sys rss <"$W/time"
  awk -v l="$label" -v s="$secs" -v u="$user" -v y="$sys" -v r="$rss" -v d="$DB_BYTES" \
    -v st="$((after - before))" 'BEGIN { printf "%-34s %7.1f s %7.1f MB/s %7.1f CPU-s %7.0f MiB RSS %9.1f MiB stored\n",
      l, s, d / 1e6 / s, u + y, r / 1024, st / 1048576 }'
}

hw_repo() { export RESTIC_REPOSITORY=$W/$1 HASTEWARD_BACKUPS_PATH=$W/$1; }
hw_repo hw
"$HW" repo init >/dev/null
restic -r "$W/restic" init >/dev/null 2>&1

echo "== full backups"
run "hasteward native" "$W/hw" "$HW" backup -e cnpg -c bench -n b --method native --threads "$PROCESSES"
run "pgbackrest full (zst, $PROCESSES proc)" "$W/pgbr" "${BR[@]}" backup --type=full
run "pg_basebackup | restic --stdin" "$W/restic" sh -c \
  "runuser -u postgres -- $PGBIN/pg_basebackup -h $SOCK -p $PORT -D - -F tar -X fetch -c fast | restic -r $W/restic backup --stdin --stdin-filename base.tar -q"

echo "== 1 % of rows changed, scattered"
psql_ -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.01" \
  -c "UPDATE pgbench_tellers SET tbalance = tbalance + 1 WHERE random() < 0.01" \
  -c "UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE random() < 0.01" -c "CHECKPOINT"
# The update wrote ~0.5 GB of WAL: each second backup starts once archive-push took it.
pg_bench_quiet
run "hasteward native (second)" "$W/hw" "$HW" backup -e cnpg -c bench -n b --method native --threads "$PROCESSES"
pg_bench_quiet
run "pgbackrest incr" "$W/pgbr" "${BR[@]}" backup --type=incr
pg_bench_quiet
run "pg_basebackup | restic (second)" "$W/restic" sh -c \
  "runuser -u postgres -- $PGBIN/pg_basebackup -h $SOCK -p $PORT -D - -F tar -X fetch -c fast | restic -r $W/restic backup --stdin --stdin-filename base.tar -q"

echo "== restore to a running, writable server"
want=$(psql_ -c "SELECT sum(abalance) FROM pgbench_accounts")
writable() { [ "$(psql_ -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = "t" ]; }
check() { [ "$(psql_ -c 'SELECT sum(abalance) FROM pgbench_accounts')" = "$want" ] || { echo "restored data differs"; exit 1; }; }
pgctl stop -m fast
rm -rf "$DATA"
start=$(date +%s.%N)
"$HW" restore -e cnpg -c bench -n b --snapshot latest --yes >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
until writable; do sleep 0.2; done
echo "hasteward native restore: $(echo "$(date +%s.%N) - $start" | bc) s"
check
pgctl stop -m fast
rm -rf "$DATA" "$DATA".hasteward-*
start=$(date +%s.%N)
"${BR[@]}" restore --process-max="$PROCESSES" >/dev/null
pgctl start
until writable; do sleep 0.2; done
echo "pgbackrest restore:       $(echo "$(date +%s.%N) - $start" | bc) s"
check
pgctl stop -m fast
rm -rf "$DATA"
start=$(date +%s.%N)
install -d -o postgres -m 700 "$DATA"
restic -r "$W/restic" dump -q latest base.tar | runuser -u postgres -- tar -x -C "$DATA"
pgctl start
until writable; do sleep 0.2; done
echo "restic dump | tar restore: $(echo "$(date +%s.%N) - $start" | bc) s"
check

echo "== second-backup stored bytes by data-file block size"
for bs in $BLOCK_SIZES; do
  hw_repo "bs-$bs"
  "$HW" repo init >/dev/null
  "$HW" backup -e cnpg -c bench -n b --method native --block-size "$bs" >/dev/null 2>&1
  psql_ -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.01" -c "CHECKPOINT"
  run "block $bs: second backup" "$W/bs-$bs" "$HW" backup -e cnpg -c bench -n b --method native --block-size "$bs"
done

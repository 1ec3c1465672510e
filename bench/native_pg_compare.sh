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
PGBIN=/usr/lib/postgresql/15/bin
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)"; exit 2; }

W=$(mktemp -d /tmp/hs-bench-native-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache
cleanup() { "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

"$HW" sandbox up -e cnpg -c bench -n b --instances 1 >/dev/null
DATA=$W/state/b/bench/bench-0/data
SOCK=$W/state/b/bench/bench-0/sock
PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
psql_() { runuser -u postgres -- psql -h "$SOCK" -p "$PORT" -X -q -A -t "$@"; }
pgctl() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$W/pgbr-log/pg.log" -w -t 600 "$@" >/dev/null; }

# pgBackRest needs WAL archiving for a consistent backup; HASteward does not use it but pays for
# it the same way (archive_command runs for both).
install -d -o postgres -m 700 "$W/pgbr" "$W/pgbr-log" "$W/pgbr-spool"
cat >"$W/pgbackrest.conf" <<CONF
[global]
repo1-path=$W/pgbr
log-path=$W/pgbr-log
spool-path=$W/pgbr-spool
compress-type=zst
compress-level=3
process-max=$PROCESSES
start-fast=y
[bench]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=$SOCK
CONF
chmod 644 "$W/pgbackrest.conf"
BR=(runuser -u postgres -- pgbackrest --config="$W/pgbackrest.conf" --stanza=bench)
psql_ -c "ALTER SYSTEM SET archive_mode = on" \
  -c "ALTER SYSTEM SET archive_command = 'pgbackrest --config=$W/pgbackrest.conf --stanza=bench archive-push %p'"
pgctl restart
"${BR[@]}" stanza-create >/dev/null

echo "pgbench -i -s $SCALE ..."
runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -i -s "$SCALE" -q postgres 2>/dev/null
psql_ -c "CHECKPOINT"
DB_BYTES=$(psql_ -c "SELECT pg_database_size('postgres')")
echo "database: $((DB_BYTES / 1048576)) MiB"

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
# The update wrote ~0.5 GB of WAL that pgBackRest's archive-push compresses in the background:
# whichever tool ran first would share the CPU with it. Each second backup starts once it is done.
quiet() {
  psql_ -c "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 600); do
    ls "$DATA"/pg_wal/archive_status/*.ready >/dev/null 2>&1 || return 0
    sleep 0.5
  done
  echo "the WAL archive did not catch up"; exit 1
}
quiet
run "hasteward native (second)" "$W/hw" "$HW" backup -e cnpg -c bench -n b --method native --threads "$PROCESSES"
quiet
run "pgbackrest incr" "$W/pgbr" "${BR[@]}" backup --type=incr
quiet
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

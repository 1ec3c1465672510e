#!/usr/bin/env bash
# MariaDB point-in-time replay: HASteward's `restore --until-gtid` (archived binlogs applied by the
# server's parallel replication applier) against `mariadb-binlog <files> | mariadb` (one client
# session), one run on the same input (issue #13's benchmark, target >= 2x):
#   1. a one-instance sandbox, sysbench tables, a native base backup;
#   2. a sysbench write load (oltp_write_only) until BINLOG_MB of binlog was written after the base;
#      the end GTID and every table's checksum are noted, and HASteward archives the binlogs;
#   3. (a) `hasteward restore --until-gtid <end>` into the stopped instance: the base, then the
#      replay; its replay phase (printed by the restore) and the whole restore are timed;
#   4. (b) the same base restored again (`restore --snapshot`, no replay), then the binlogs written
#      after the base piped through `mariadb-binlog --start-position | mariadb`, timed;
#   5. seconds, MB/s of binlog and the ratio (b)/(a) for the replay phase; both end states must have
#      the checksums noted in step 2.
#
#   BINLOG_MB=1100 bench/binlog_replay_compare.sh [path/to/hasteward]
#
# Needs root (the server runs as 'mysql'), sysbench, mariadb-binlog, restic not needed.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
BINLOG_MB=${BINLOG_MB:-1100}
TABLES=${TABLES:-8}
ROWS=${ROWS:-100000}
THREADS=${THREADS:-8}  # sysbench client threads of the load

W=$(mktemp -d /tmp/hs-bench-binlogreplay-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
export HASTEWARD_BACKUPS_PATH=$W/repo RESTIC_REPOSITORY=$W/repo RESTIC_PASSWORD=bench
export RESTIC_CACHE_DIR=$W/restic-cache
LOAD=
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
cleanup() {
  kill_tree $$
  [ -z "$LOAD" ] || kill "$LOAD" 2>/dev/null || true
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  rm -rf "$W" || true
}
trap cleanup EXIT
hw() { "$HW" "$1" -e mariadb -c bench -n b "${@:2}"; }

"$HW" sandbox up -e mariadb -c bench -n b --instances 1 >/dev/null
"$HW" repo init >/dev/null
PORT=$("$HW" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
DATA=$W/state/b/bench/bench-0/data
PW=$(cat "$W/state/b/bench/admin.password")
export MYSQL_PWD=$PW
sql() { mariadb -h 127.0.0.1 -P "$PORT" -u admin -N -B "$@"; }
sb() {
  sysbench "$1" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" --mysql-user=admin \
    --mysql-password="$PW" --tables="$TABLES" --table-size="$ROWS" "${@:2}"
}
checksums() {
  local tables=""
  for t in $(seq 1 "$TABLES"); do tables+="${tables:+, }sbtest.sbtest$t"; done
  sql -e "CHECKSUM TABLE $tables" | md5sum | cut -d' ' -f1
}
binlog_bytes_after() {  # bytes of binlog written after file $1 offset $2
  sql -e "SHOW BINARY LOGS" | awk -v f="$1" -v p="$2" '$1 >= f { n += ($1 == f) ? $2 - p : $2 } END { print n + 0 }'
}
now() { date +%s.%N; }

sql -e "CREATE DATABASE sbtest"
# The base is taken on the idle server, before the tables are created: the replay then starts with
# sysbench's CREATE TABLE and bulk inserts, then its write load.
# mariadb-backup interleaves its redo log copy with a data file in the stream while InnoDB
# writes redo, which the native backup refuses (exit 13, "interleaved files
# are not supported"): wait until the redo log is quiet, and retry.
lsn() { sql -e "SHOW ENGINE INNODB STATUS" | sed -n 's/.*Log sequence number *\([0-9]*\).*/\1/p'; }
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  before=$(lsn); sleep 2
  [ "$(lsn)" = "$before" ] || continue
  hw backup --method native >/dev/null 2>"$W/backup.err" && break
  [ "$attempt" = 10 ] && { cat "$W/backup.err"; exit 1; }
done
read -r BASE_FILE BASE_POS < <(sql -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
echo "sysbench prepare: $TABLES tables x $ROWS rows ..."
sb oltp_write_only --threads=2 prepare >/dev/null
echo "base backup taken at $BASE_FILE:$BASE_POS"

echo "write load until $BINLOG_MB MB of binlog ..."
# Started directly (not through sb, a function whose background subshell a kill would leave
# sysbench running behind).
sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
  --mysql-user=admin --mysql-password="$PW" --tables="$TABLES" --table-size="$ROWS" \
  --threads="$THREADS" --time=0 --events=0 run >/dev/null 2>&1 &
LOAD=$!
while [ "$(binlog_bytes_after "$BASE_FILE" "$BASE_POS")" -lt $((BINLOG_MB * 1048576)) ]; do
  sleep 1
done
kill "$LOAD" && wait "$LOAD" 2>/dev/null || true
# A commit the server is still finishing for a sysbench session that is gone would land after the
# end GTID is read: wait until those sessions are gone.
while [ "$(sql -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = 'sbtest'")" != 0 ]; do
  sleep 0.2
done
END_GTID=$(sql -e "SELECT @@gtid_binlog_pos")
WANT=$(checksums)
BYTES=$(binlog_bytes_after "$BASE_FILE" "$BASE_POS")
mkdir -p "$W/binlogs"
FILES=()
for f in $(sql -e "SHOW BINARY LOGS" | awk -v f="$BASE_FILE" '$1 >= f { print $1 }'); do
  cp "$DATA/$f" "$W/binlogs/$f"
  FILES+=("$W/binlogs/$f")
done
echo "binlog after the base: $((BYTES / 1048576)) MiB in ${#FILES[@]} files, end GTID $END_GTID"
start=$(now)
hw archive binlog >/dev/null
echo "hasteward archive binlog: $(echo "$(now) - $start" | bc) s"

echo "== (a) hasteward restore --until-gtid $END_GTID"
"$HW" instance stop -c bench -n b -i 0 >/dev/null
start=$(now)
hw restore --until-gtid "$END_GTID" --yes >"$W/restore.out" 2>"$W/restore.err" || {
  cat "$W/restore.out" "$W/restore.err"
  exit 1
}
WHOLE_A=$(echo "$(now) - $start" | bc)
cat "$W/restore.out"
REPLAY_A=$(sed -n 's/.*replay \([0-9.]*\) s).*/\1/p' "$W/restore.out")
[ "$(checksums)" = "$WANT" ] || { echo "(a) end state differs from the source's"; exit 1; }
[ "$(sql -e "SELECT @@gtid_binlog_pos")" = "$END_GTID" ] || { echo "(a) GTID differs"; exit 1; }

echo "== (b) the same base, then mariadb-binlog | mariadb"
"$HW" instance stop -c bench -n b -i 0 >/dev/null
hw restore --snapshot latest --yes >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
start=$(now)
mariadb-binlog --start-position="$BASE_POS" "${FILES[@]}" |
  mariadb -h 127.0.0.1 -P "$PORT" -u admin --binary-mode --max-allowed-packet=1G
REPLAY_B=$(echo "$(now) - $start" | bc)
[ "$(checksums)" = "$WANT" ] || { echo "(b) end state differs from the source's"; exit 1; }

echo "== results ($((BYTES / 1048576)) MiB of binlog, checksums of both end states equal the source's)"
awk -v a="$REPLAY_A" -v w="$WHOLE_A" -v b="$REPLAY_B" -v n="$BYTES" 'BEGIN {
  printf "%-44s %8.1f s %8.1f MB/s\n", "hasteward replay (parallel applier)", a, n / 1e6 / a
  printf "%-44s %8.1f s\n", "hasteward whole restore (base + replay)", w
  printf "%-44s %8.1f s %8.1f MB/s\n", "mariadb-binlog | mariadb", b, n / 1e6 / b
  printf "replay speed-up: %.2fx\n", b / a
}'

#!/usr/bin/env bash
# Instant restore (issue #35) on MariaDB against a full native restore of the same snapshot, on one
# sysbench database: seconds from the command to the first committed write on the restored server
#   - hasteward restore --instant   (the server starts on the mounted snapshot)
#   - hasteward restore (native)    (the tree is restored first)
# plus, for the instant restore, the hydration and the pause at the move to local disk (the
# command's JSON result). Every sysbench table's CHECKSUM TABLE is compared with the source's
# after each restore. The data directory grows by about 250 bytes per row; the issue asks for
# >= 5 GB (TABLES=8 ROWS=2500000).
#
#   TABLES=8 ROWS=2500000 bench/instant_restore_mariadb.sh [path/to/hasteward]
#
# Needs root (overlayfs, FUSE; the server runs as 'mysql'), sysbench.
set -euo pipefail
ENGINE=mariadb
. "$(dirname "$0")/lib/instant_restores.sh"
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
ROWS=${ROWS:-250000}
TABLES=${TABLES:-8}
THREADS=${THREADS:-2}

instant_bench_workdir hs-bench-minstant

"$HW" sandbox up -e mariadb -c bench -n b --instances 1 >/dev/null
PORT=$("$HW" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
DATA=$W/state/b/bench/bench-0/data
export MYSQL_PWD
MYSQL_PWD=$(cat "$W/state/b/bench/admin.password")
sql() { mariadb -h 127.0.0.1 -P "$PORT" -u admin -N -B "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

sql -e "CREATE DATABASE sbtest"
echo "sysbench prepare: $TABLES tables x $ROWS rows ..."
sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
  --mysql-user=admin --mysql-password="$MYSQL_PWD" --tables="$TABLES" --table-size="$ROWS" \
  --threads="$THREADS" prepare >/dev/null
sql -e "CREATE TABLE sbtest.first_write (at datetime(6))"
TABLE_LIST=$(seq -s, -f "sbtest.sbtest%g" 1 "$TABLES")
checksums() { sql -e "CHECKSUM TABLE $TABLE_LIST"; }
want=$(checksums)
TABLE_MIB=$(sql -e "SELECT round(sum(data_length + index_length) / 1048576) FROM information_schema.tables WHERE table_schema = 'sbtest'")
echo "tables: $TABLE_MIB MiB; data directory (with binlogs and InnoDB logs): $(($(du -sb "$DATA" | cut -f1) / 1048576)) MiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$HW" repo init >/dev/null
start=$(now)
"$HW" backup -e mariadb -c bench -n b --method native --threads "$THREADS" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "hasteward native backup:  $(since "$start") s"

# Polls until an INSERT commits on the restored server; prints the seconds since $1.
first_write() {
  until sql -e "INSERT INTO sbtest.first_write VALUES (now(6))" >/dev/null 2>&1; do sleep 0.1; done
  since "$1"
}
check() {
  [ "$(checksums)" = "$want" ] || { echo "restored data differs"; exit 1; }
}
lose_data() {
  "$HW" instance stop -e mariadb -c bench -n b -i 0 >/dev/null 2>&1 || true
  rm -rf "$DATA" "$DATA".hasteward-*
}

echo "== seconds from the command to the first committed write"
time_instant_restore
time_native_restore
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

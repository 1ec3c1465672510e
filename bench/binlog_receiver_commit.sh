#!/usr/bin/env bash
# Commit latency and throughput with the semi-synchronous binlog receiver (issue #52's benchmark,
# MariaDB): sysbench oltp_insert (THREADS threads, DURATION s per mode) against one MariaDB 10.11
# sandbox instance (sync_binlog = 1, innodb_flush_log_at_trx_commit = 1), one mode after another
# on the same server:
#   async        the binlog archived by `archive binlog --follow --interval 1s` after the fact
#                (the archiver runs: its reads share the machine, as in production);
#   hasteward    `archive binlog --sync` into a local repository: a commit returns once the
#                repository holds its binlog events (AFTER_SYNC semi-sync acknowledgement);
#   hasteward-s3 the same into an S3 repository on Ceph RGW on loopback (bench/s3_bench_server,
#                built by `./tools/build.sh s3_bench_server`; skipped when it is missing).
# Prints tps and mean/95th latency per mode, the receiver's mean store time and what it left.
#
#   bench/binlog_receiver_commit.sh [path/to/hasteward]     (THREADS=4 DURATION=20)
#
# Needs root (the server runs as 'mysql'), sysbench.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
THREADS=${THREADS:-4}
DURATION=${DURATION:-20}
# shellcheck source=bench/lib/mariadb_bench_server.sh
. "$(dirname "$0")/lib/mariadb_bench_server.sh"
# shellcheck source=bench/lib/s3_bench_server.sh
. "$(dirname "$0")/lib/s3_bench_server.sh"
mariadb_bench_workdir hs-bench-binlog-receiver
export HASTEWARD_BACKUPS_PATH=$W/repo
mariadb_bench_up
"$HW" repo init >/dev/null
sql -e "SET GLOBAL sync_binlog = 1; SET GLOBAL innodb_flush_log_at_trx_commit = 1"
sysbench_prepare 4 10000 4 >/dev/null

run_sysbench() {  # MODE
  local out tps avg p95
  out=$(sysbench oltp_insert --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
    --mysql-user=admin --mysql-password="$PW" --tables=4 --table-size=10000 \
    --threads="$THREADS" --time="$DURATION" --report-interval=0 run 2>&1)
  tps=$(sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec.)/\1/p' <<<"$out")
  avg=$(sed -n 's/^ *avg: *\([0-9.]*\)/\1/p' <<<"$out")
  p95=$(sed -n 's/^ *95th percentile: *\([0-9.]*\)/\1/p' <<<"$out")
  printf '%-14s tps %9s   mean latency %7s ms   95th %7s ms\n' "$1" "$tps" "$avg" "$p95"
}
stop_bg() {  # PID
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
wait_semisync() {  # the writer waits for the receiver
  for _ in $(seq 300); do
    [ "$(sql -e "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'" | cut -f2)" = 1 ] &&
      [ "$(sql -e "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'" | cut -f2)" = ON ] && return 0
    sleep 0.1
  done
  echo "the receiver does not acknowledge"; cat "$W"/receiver*.log; exit 1
}
echo "sysbench oltp_insert, $THREADS threads, $DURATION s per mode, sync_binlog = 1"

"$HW" archive binlog --follow --interval 1s -e mariadb -c bench -n b >"$W/archiver.log" 2>&1 &
ARCHIVER=$!
run_sysbench async
stop_bg $ARCHIVER

"$HW" archive binlog --sync --json -e mariadb -c bench -n b >"$W/receiver.json" 2>"$W/receiver.log" &
RECEIVER=$!
wait_semisync
run_sysbench hasteward
stop_bg $RECEIVER
sql -e "SET GLOBAL rpl_semi_sync_master_enabled = OFF"

SERVER=${SERVER:-$(dirname "$(dirname "$HW")")/bench/s3_bench_server}
if [ -x "$SERVER" ]; then
  s3_bench_up "$SERVER"
  S3="s3:$S3_ENDPOINT/$S3_BUCKET/receiver"
  HASTEWARD_BACKUPS_PATH=$S3 "$HW" repo init >/dev/null
  HASTEWARD_BACKUPS_PATH=$S3 "$HW" archive binlog --sync -e mariadb -c bench -n b \
    >"$W/receiver-s3.log" 2>&1 &
  RECEIVER=$!
  wait_semisync
  run_sysbench hasteward-s3
  stop_bg $RECEIVER
  sql -e "SET GLOBAL rpl_semi_sync_master_enabled = OFF"
  s3_bench_down
fi
echo "store per piece (local): $(python3 -c '
import json, sys
m = [json.loads(l)["store_micros"] for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{sum(m) / len(m) / 1000:.2f} ms mean over {len(m)} readings" if m else "none")' "$W/receiver.json")"
# A receiver stopped by SIGTERM leaves the pieces stored since its last consolidation (every 5 s):
# its next session moves them into a snapshot first; restores read them either way.
echo "streamed pieces left in the local repository: $(find "$W/repo/hasteward/wal-stream" -type f 2>/dev/null | wc -l)"

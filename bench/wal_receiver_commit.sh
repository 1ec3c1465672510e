#!/usr/bin/env bash
# Commit latency and throughput with a synchronous WAL receiver (issue #52's benchmark): pgbench
# (simple-update, CLIENTS clients, DURATION s per mode) against one PostgreSQL 15 sandbox
# instance with synchronous_commit = on, in four modes, one after another on the same server:
#   async        no synchronous standby (WAL archived by archive_command after the fact);
#   hasteward    `hasteward wal-receive` into a local repository, synchronous_standby_names naming
#                it: a commit returns once the repository holds its WAL;
#   pg_receivewal  `pg_receivewal --synchronous` into a local directory (Barman's method), named
#                the same way: a commit returns once that directory has it fsynced.
#   hasteward-s3 the receiver into an S3 repository on Ceph RGW on loopback (bench/s3_bench_server,
#                built by `./tools/build.sh s3_bench_server`; skipped when it is missing).
# Prints tps and mean latency per mode.
#
#   bench/wal_receiver_commit.sh [path/to/hasteward]     (CLIENTS=4 DURATION=20)
#
# Needs root (the server runs as postgres), pgbench, pg_receivewal.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
CLIENTS=${CLIENTS:-4}
DURATION=${DURATION:-20}
# shellcheck source=bench/lib/pg_bench_server.sh
. "$(dirname "$0")/lib/pg_bench_server.sh"
# shellcheck source=bench/lib/s3_bench_server.sh
. "$(dirname "$0")/lib/s3_bench_server.sh"
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
pg_bench_workdir hs-bench-receiver
export HASTEWARD_BACKUPS_PATH=$W/repo
pg_bench_up
"$HW" repo init >/dev/null
psql_ -c "CREATE DATABASE bench" >/dev/null
runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -i -s 10 -q bench >/dev/null 2>&1

sync_names() {  # NAME ('' = none): the synchronous standby, reloaded
  psql_ -c "ALTER SYSTEM SET synchronous_standby_names = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
}
wait_streaming() {  # APPLICATION_NAME
  for _ in $(seq 200); do
    [ "$(psql_ -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$1' AND state = 'streaming'")" = 1 ] && return 0
    sleep 0.1
  done
  echo "$1 does not stream"; exit 1
}
run_pgbench() {  # MODE
  local out
  out=$(runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -N -c "$CLIENTS" -j "$CLIENTS" \
    -T "$DURATION" bench 2>&1)
  local tps lat
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  printf '%-16s tps %10s   mean latency %8s ms\n' "$1" "$tps" "$lat"
}
stop_bg() {  # PID
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
psql_ -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
echo "pgbench -N, $CLIENTS clients, $DURATION s per mode, synchronous_commit = on"

sync_names ''
run_pgbench async

# The binary itself in the background (not through a function): $! is then the receiver's PID.
"$HW" wal-receive --json -e cnpg -c bench -n b >"$W/receiver.json" 2>"$W/receiver.log" &
RECEIVER=$!
wait_streaming hasteward_receiver
sync_names hasteward_receiver
run_pgbench hasteward
sync_names ''
stop_bg $RECEIVER
drop_slot() {  # the walsender ends a moment after its client
  for _ in $(seq 100); do
    psql_ -c "SELECT pg_drop_replication_slot('hasteward_receiver')" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the receiver's slot stays active"; exit 1
}
drop_slot

install -d -o postgres -m 700 "$W/receivewal"
runuser -u postgres -- pg_receivewal -h "$SOCK" -p "$PORT" -D "$W/receivewal" --synchronous \
  --no-loop >"$W/receivewal.log" 2>&1 &
RECEIVEWAL=$!
wait_streaming pg_receivewal
sync_names pg_receivewal
run_pgbench pg_receivewal
sync_names ''
stop_bg $RECEIVEWAL

SERVER=${SERVER:-$(dirname "$(dirname "$HW")")/bench/s3_bench_server}
if [ -x "$SERVER" ]; then
  s3_bench_up "$SERVER"
  S3="s3:$S3_ENDPOINT/$S3_BUCKET/receiver"
  HASTEWARD_BACKUPS_PATH=$S3 "$HW" repo init >/dev/null
  HASTEWARD_BACKUPS_PATH=$S3 "$HW" wal-receive -e cnpg -c bench -n b >"$W/receiver-s3.log" 2>&1 &
  RECEIVER=$!
  wait_streaming hasteward_receiver
  sync_names hasteward_receiver
  run_pgbench hasteward-s3
  sync_names ''
  stop_bg $RECEIVER
  s3_bench_down
fi
echo "store per piece (local): $(python3 -c '
import json, sys
m = [json.loads(l)["store_micros"] for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{sum(m) / len(m) / 1000:.2f} ms mean over {len(m)} stores" if m else "none")' "$W/receiver.json")"
echo "pieces left in the local repository: $(find "$W/repo/hasteward/wal-stream" -type f 2>/dev/null | wc -l)"

#!/usr/bin/env bash
# The WAL block reference reader (issue #33) on real pgbench WAL: its parse speed in MB/s and its
# set of (relation, fork, block) against pg_waldump's over the same interval.
#
#   bench/wal_block_refs.sh [path/to/hasteward]      SCALE=10 TARGET_MB=300 RUNS=5
#
# A one-instance sandbox (wal_keep_size large enough to keep every segment in pg_wal) initialised
# by `pgbench -i -s SCALE`; the interval starts after it and runs pgbench (TPC-B, 4 clients) in
# rounds of 30 s, each after a CHECKPOINT (full-page images follow each), until TARGET_MB of WAL
# were written. build/bench/wal_block_refs_bench reads the segments into memory once and
# times the reader over them RUNS times (median); `pg_waldump --stats` over the same interval is
# timed once for scale (PostgreSQL's own decoder, its summary only). Needs root and pgbench.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${1:-$ROOT/build/src/hasteward}
DRIVER=${DRIVER:-$ROOT/build/bench/wal_block_refs_bench}
SCALE=${SCALE:-10}
TARGET_MB=${TARGET_MB:-300}
RUNS=${RUNS:-5}
PGBIN=/usr/lib/postgresql/15/bin

W=$(mktemp -d /tmp/hs-bench-walrefs-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
cleanup() { "$HW" sandbox down -c walrefs -n b >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

"$HW" sandbox up -e cnpg -c walrefs -n b --instances 1 >/dev/null
WAL=$W/state/b/walrefs/walrefs-0/data/pg_wal
SOCK=$W/state/b/walrefs/walrefs-0/sock
PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
psql_() { runuser -u postgres -- psql -h "$SOCK" -p "$PORT" -X -q -A -t "$@"; }
pgbench_() { runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" "$@"; }

psql_ -c "ALTER SYSTEM SET wal_keep_size = '8GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
  -c "SELECT pg_reload_conf()" >/dev/null
pgbench_ -i -s "$SCALE" -q postgres >/dev/null 2>&1
FROM=$(psql_ -c "SELECT pg_current_wal_insert_lsn()")
written() { psql_ -c "SELECT ((pg_current_wal_insert_lsn() - '$FROM'::pg_lsn) / 1048576)::int"; }
while [ "$(written)" -lt "$TARGET_MB" ]; do
  psql_ -c "CHECKPOINT" >/dev/null
  pgbench_ -c 4 -j 2 -T 30 -n postgres >/dev/null 2>&1
done
TO=$(psql_ -c "SELECT pg_current_wal_insert_lsn()")
psql_ -c "SELECT pg_switch_wal()" >/dev/null  # every record before TO is in the files now
echo "interval $FROM .. $TO ($(written) MiB of WAL, pgbench scale $SCALE), load $(cut -d' ' -f1-3 /proc/loadavg)"

"$DRIVER" "$WAL" "$FROM" "$TO" "$RUNS" --blocks >"$W/mine"
head -1 "$W/mine"
start=$(date +%s.%N)
"$PGBIN/pg_waldump" --path="$WAL" --start="$FROM" --end="$TO" --stats >/dev/null
end=$(date +%s.%N)
echo "pg_waldump --stats over the same interval: $(echo "$end - $start" | bc) s"

grep '^rel ' "$W/mine" | sort -u >"$W/mine.blocks"
"$PGBIN/pg_waldump" --path="$WAL" --start="$FROM" --end="$TO" --bkp-details |
  grep -o 'blkref #[0-9]*: rel [0-9/]* fork [a-z]* blk [0-9]*' | sed 's/^blkref #[0-9]*: //' |
  sort -u >"$W/waldump.blocks"
echo "distinct blocks: reader $(wc -l <"$W/mine.blocks"), pg_waldump $(wc -l <"$W/waldump.blocks"), in one only: $(comm -3 "$W/mine.blocks" "$W/waldump.blocks" | wc -l)"

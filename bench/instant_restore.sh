#!/usr/bin/env bash
# Instant restore (issue #35) against a full restore, on one pgbench database: seconds from the
# command to the first committed write on the restored instance for
#   - hasteward restore --instant   (the instance starts on the mounted snapshot)
#   - hasteward restore (native)    (the tree is restored first)
#   - pgbackrest restore            (of the same database, backed up by pgBackRest)
# plus, for the instant restore, the hydration time and the pause at the move to local disk (the
# command's JSON result), and `verify --instant` against `verify` of the same snapshot. The database size is SIZE_MB (pgbench scale = SIZE_MB / 15); the issue
# asks for >= 10240.
#
#   SIZE_MB=2048 bench/instant_restore.sh [path/to/hasteward]
#
# Needs root (overlayfs, FUSE; servers run as 'postgres'), pgbench, pgbackrest, fuse3.
set -euo pipefail
ENGINE=cnpg
. "$(dirname "$0")/lib/instant_restores.sh"
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
SIZE_MB=${SIZE_MB:-2048}
SCALE=$((SIZE_MB / 15))
PROCESSES=${PROCESSES:-2}
PGBIN=/usr/lib/postgresql/15/bin
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (tools/setup.sh --bench)"; exit 2; }

instant_bench_workdir hs-bench-instant

"$HW" sandbox up -e cnpg -c bench -n b --instances 1 >/dev/null
DATA=$W/state/b/bench/bench-0/data
SOCK=$W/state/b/bench/bench-0/sock
PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
psql_() { runuser -u postgres -- psql -h "$SOCK" -p "$PORT" -X -q -A -t "$@"; }
pgctl() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$W/pgbr-log/pg.log" -w -t 600 "$@" >/dev/null; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

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
psql_ -c "CREATE TABLE first_write (at timestamptz)" -c "CHECKPOINT"
DB_BYTES=$(psql_ -c "SELECT pg_database_size('postgres')")
echo "database: $((DB_BYTES / 1048576)) MiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$HW" repo init >/dev/null
start=$(now)
"$HW" backup -e cnpg -c bench -n b --method native --threads "$PROCESSES" >/dev/null
echo "hasteward native backup:  $(since "$start") s"
"${BR[@]}" backup --type=full >/dev/null
want=$(psql_ -c "SELECT sum(abalance) FROM pgbench_accounts")

echo "== verify of the native snapshot (scratch server, checks, evidence)"
start=$(now)
"$HW" verify -e cnpg -c bench -n b --instant --force >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "hasteward verify --instant: $(since "$start") s"
start=$(now)
"$HW" verify -e cnpg -c bench -n b --force >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "hasteward verify:           $(since "$start") s"

# Polls until an INSERT commits on the restored instance; prints the seconds since $1.
first_write() {
  until psql_ -c "INSERT INTO first_write VALUES (now())" >/dev/null 2>&1; do sleep 0.1; done
  since "$1"
}
check() {
  [ "$(psql_ -c 'SELECT sum(abalance) FROM pgbench_accounts')" = "$want" ] || { echo "restored data differs"; exit 1; }
}
lose_data() {
  pgctl stop -m fast 2>/dev/null || true
  rm -rf "$DATA" "$DATA".hasteward-*
}

echo "== seconds from the command to the first committed write"
time_instant_restore
time_native_restore

lose_data
start=$(now)
"${BR[@]}" restore --process-max="$PROCESSES" >/dev/null
pgctl start
echo "pgbackrest restore:         $(first_write "$start") s"
check
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Recovery time of a cross-cluster DR standby (issue #15's benchmark): the seconds from
# `hasteward standby activate` to a writable cluster at the DR site, for a pgbench database of
# SIZE (pgbench scale, default 66 = ~1 GB) with DURATION seconds (default 900) of archived writes:
#   1. two sandbox "sites" ("src" and "dr", each its own HASTEWARD_STATE_DIR and inventory, as
#      tests/support/standby_sites.h) sharing one S3 repository: a Ceph RGW on loopback
#      (build/bench/s3_bench_server). Not a local directory: the servers' wal-push / wal-fetch run
#      as 'postgres' and a local repository's files are the creator's (0400, directories 0700);
#   2. at the source: pgbench -i, `archive enable`, a native backup, then pgbench -R RATE (default
#      50 transactions/s) for DURATION seconds with archiving on; the load stops, the current
#      segment is switched and waited for in the archive, the committed row count noted, and the
#      source is killed (kill -9 of its postmaster);
#   3. at the DR site: the standby is declared (probe = the dead source), the source's credentials
#      provisioned, and `standby activate --confirm <now>` runs while a poller tries one INSERT into
#      a table only the restored database has, every 0.2 s.
# Prints: seconds to the first accepted write, seconds until `activate` returned, seconds in each
# phase (from the timestamped `standby activation: phase X` lines), segments replayed and WAL bytes
# written under load, and whether the restored row count equals the source's last committed count.
#
#   SIZE=66 DURATION=900 RATE=50 bench/standby_rto.sh [path/to/hasteward]
#   SIZE=2 DURATION=60 bench/standby_rto.sh        # a short run (~3 minutes)
#   ACTIVATE_LOG=FILE keeps the activation's log, each line prefixed with its Unix time.
#
# Needs root (the servers run as 'postgres'), pgbench, radosgw (Ceph), and
# `./tools/build.sh s3_bench_server`. PostgreSQL only (ENGINE=cnpg); MariaDB is not built here.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HW=${1:-$ROOT/build/src/hasteward}
SERVER=${SERVER:-$(dirname "$(dirname "$HW")")/bench/s3_bench_server}
ENGINE=${ENGINE:-cnpg}
SIZE=${SIZE:-66}
DURATION=${DURATION:-900}
RATE=${RATE:-50}
[ "$ENGINE" = cnpg ] || { echo "ENGINE=$ENGINE: only cnpg is measured by this script"; exit 2; }
[ -x "$SERVER" ] || { echo "$SERVER is missing (./tools/build.sh s3_bench_server)"; exit 2; }

W=$(mktemp -d /var/tmp/hs-bench-rto-XXXXXX)
chmod 755 "$W"
export TZ=UTC RESTIC_PASSWORD=bench
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# `hasteward` at site $1 (src|dr): its own state dir, inventory and restic cache.
site() {
  local s=$1
  shift
  HASTEWARD_STATE_DIR=$W/$s/state HASTEWARD_INVENTORY=$W/$s/inventory.yaml \
    RESTIC_CACHE_DIR=$W/$s/cache "$HW" "$@"
}
PIDS=()
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
cleanup() {
  kill_tree $$
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  site src sandbox down -c shop -n src >/dev/null 2>&1 || true
  site dr sandbox down -c shop -n dr >/dev/null 2>&1 || true
  if [ -n "${SRV_PID:-}" ]; then
    # The server exits (stopping the RGW) at the end of its input.
    eval 'exec {SRV[1]}>&-' 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT

coproc SRV { "$SERVER"; }
read -r _ endpoint <&"${SRV[0]}"
read -r _ bucket <&"${SRV[0]}"
read -r _ AWS_ACCESS_KEY_ID <&"${SRV[0]}"
read -r _ AWS_SECRET_ACCESS_KEY <&"${SRV[0]}"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
REPO="s3:$endpoint/$bucket/rto"
export RESTIC_REPOSITORY=$REPO HASTEWARD_BACKUPS_PATH=$REPO

for s in src dr; do
  install -d -m 755 "$W/$s"
  site "$s" sandbox up -e cnpg -c shop -n "$s" --instances 1 >/dev/null
  # The files each site's server (wal-push / wal-fetch) reads as 'postgres'.
  printf '%s\n' "$RESTIC_PASSWORD" >"$W/$s/password"
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$W/$s/aws"
  chown postgres "$W/$s/password" "$W/$s/aws"
  chmod 600 "$W/$s/password" "$W/$s/aws"
done
site src repo init >/dev/null
port() { sed -n 's/^ *port: //p' "$W/$1/inventory.yaml" | head -1; }
SRC_PORT=$(port src)
DR_PORT=$(port dr)
psql_() {  # <site> <psql args...>
  local s=$1
  shift
  runuser -u postgres -- psql -h "$W/$s/state/$s/shop/shop-0/sock" -p "$(port "$s")" -X -q -A -t \
    -v ON_ERROR_STOP=1 "$@"
}

echo "pgbench -i -s $SIZE at the source ..."
runuser -u postgres -- pgbench -h "$W/src/state/src/shop/shop-0/sock" -p "$SRC_PORT" -i \
  -s "$SIZE" -q postgres >/dev/null 2>&1
psql_ src -c "CREATE TABLE rto_probe (at timestamptz)" -c "CHECKPOINT"
DB_BYTES=$(psql_ src -c "SELECT pg_database_size('postgres')")
site src archive enable -e cnpg -c shop -n src --password-file "$W/src/password" \
  --s3-credentials-file "$W/src/aws" >/dev/null 2>"$W/archive-enable.log"
t=$(now)
site src backup -e cnpg -c shop -n src --method native >/dev/null 2>"$W/backup.log" ||
  { cat "$W/backup.log"; exit 1; }
BACKUP_S=$(secs "$t" "$(now)")

LOAD_START_LSN=$(psql_ src -c "SELECT pg_current_wal_lsn()")
echo "pgbench -R $RATE for $DURATION s at the source, archiving ..."
runuser -u postgres -- pgbench -h "$W/src/state/src/shop/shop-0/sock" -p "$SRC_PORT" -n -c 2 -j 1 \
  -R "$RATE" -T "$DURATION" postgres >"$W/pgbench.log" 2>&1
SOURCE_ROWS=$(psql_ src -c "SELECT count(*) FROM pgbench_history")
WAL_BYTES=$(psql_ src -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$LOAD_START_LSN')")
SEGMENT=$(psql_ src -c "SELECT pg_walfile_name(pg_switch_wal())")
t=$(now)
archived() { psql_ src -c "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"; }
until a=$(archived) && [ -n "$a" ] && [[ ! "$a" < "$SEGMENT" ]]; do
  sleep 0.5
  [ "$(secs "$t" "$(now)" | cut -d. -f1)" -lt 1800 ] || { echo "segment $SEGMENT never archived"; exit 1; }
done
ARCHIVE_LAG_S=$(secs "$t" "$(now)")
kill -9 "$(head -1 "$W/src/state/src/shop/shop-0/data/postmaster.pid")"

# The DR site: the source's roles come with the physical restore, so its passwords are provisioned
# at the DR site ahead of time (tests/support/standby_sites.h ShareCredentials).
for f in superuser.password replication.password; do
  cp "$W/src/state/src/shop/$f" "$W/dr/state/dr/shop/$f"
done
cat >"$W/dr/standby.yaml" <<YAML
standbys:
- name: shop-dr
  source:
    repository: $REPO
    passwordFile: $W/dr/password
    s3CredentialsFile: $W/dr/aws
    probe: 127.0.0.1:$SRC_PORT
    cluster: {engine: cnpg, namespace: src, name: shop}
  template: {engine: cnpg, instances: 1, namespace: dr, name: shop}
  activation: {acceptUnverified: true}
  stateFile: $W/dr/standby-shop-dr.json
YAML

# The poller: the DR site's empty sandbox cluster has no rto_probe table, so the first INSERT
# that succeeds is the restored, promoted database's.
(
  while ! runuser -u postgres -- psql -h "$W/dr/state/dr/shop/shop-0/sock" -p "$DR_PORT" -X -q \
    -c "INSERT INTO rto_probe VALUES (now())" >/dev/null 2>&1; do
    sleep 0.2
  done
  now >"$W/writable.at"
) &
PIDS+=($!)
echo "standby activate at the DR site ..."
START=$(now)
site dr standby activate shop-dr --config "$W/dr/standby.yaml" \
  --confirm "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --json >"$W/activate.json" \
  2> >(while IFS= read -r line; do echo "$(now) $line"; done >"$W/activate.log") ||
  { cat "$W/activate.log"; exit 1; }
DONE=$(now)
wait "${PIDS[0]}"
WRITABLE=$(cat "$W/writable.at")
sleep 0.5  # the process substitution flushes its last lines
[ -z "${ACTIVATE_LOG:-}" ] || cp "$W/activate.log" "$ACTIVATE_LOG"

echo "--- standby_rto (ENGINE=cnpg SIZE=$SIZE DURATION=${DURATION}s RATE=${RATE}/s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "database size:                    $((DB_BYTES / 1048576)) MiB (pgbench scale $SIZE)"
echo "native backup:                    $BACKUP_S s"
echo "transactions under load:          $(grep -o 'number of transactions actually processed: [0-9]*' "$W/pgbench.log" | grep -o '[0-9]*$')"
echo "WAL written under load:           $((WAL_BYTES / 1048576)) MiB"
echo "last segment archived after:      $ARCHIVE_LAG_S s"
echo "activate -> first accepted write: $(secs "$START" "$WRITABLE") s"
echo "activate command returned after:  $(secs "$START" "$DONE") s"
mapfile -t PHASES < <(sed -n 's/^\([0-9.]*\) .*standby activation: phase \([A-Za-z]*\).*/\1 \2/p' "$W/activate.log")
for i in "${!PHASES[@]}"; do
  read -r at phase <<<"${PHASES[$i]}"
  next=$DONE
  [ $((i + 1)) -lt ${#PHASES[@]} ] && next=${PHASES[$((i + 1))]%% *}
  [ "$phase" = Activated ] && continue
  printf 'phase %-27s%s s\n' "$phase:" "$(secs "$at" "$next")"
done
# Inside Restoring: the instances stopped and the restore planned (the base and the archive's
# timeline path read from the repository), the base restore, then the server's replay of the
# archive until it promoted.
logged() { sed -n "s/^\([0-9.]*\) .*$1.*/\1/p" "$W/activate.log" | head -1; }
BASE_AT=$(logged "restoring native snapshot")
REPLAY_AT=$(logged "replays archived WAL")
PROMOTED_AT=$(logged "runs on the restored data and accepts writes")
RESTORING_AT=$(logged "standby activation: phase Restoring")
if [ -n "$BASE_AT" ] && [ -n "$REPLAY_AT" ] && [ -n "$PROMOTED_AT" ]; then
  echo "  stop and plan, before the base: $(secs "$RESTORING_AT" "$BASE_AT") s"
  echo "  base restore:                   $(secs "$BASE_AT" "$REPLAY_AT") s"
  echo "  WAL replay to promotion:        $(secs "$REPLAY_AT" "$PROMOTED_AT") s"
fi
# The restore's fetch server (pitr/wal/wal_fetch_server.h) logs how many of the server's
# wal-fetch calls it answered and how many of those from its read-ahead.
FETCHED=$(sed -n "s/.*replay fetched through the restore's fetch server *//p" "$W/activate.log" | tail -1)
[ -z "$FETCHED" ] || echo "  fetched by the fetch server:    $FETCHED"
RECORD=$W/dr/standby-shop-dr-activation.json
python3 - "$RECORD" <<'PY'
import json, sys
audit = json.load(open(sys.argv[1]))["audit"]
print(f"segments replayed:                {audit.get('replayed')} x 16 MiB, "
      f"to {audit.get('replayStop')}")
PY
DR_ROWS=$(psql_ dr -c "SELECT count(*) FROM pgbench_history")
if [ "$DR_ROWS" = "$SOURCE_ROWS" ]; then
  echo "rows (pgbench_history):           $DR_ROWS at the DR site = $SOURCE_ROWS committed at the source"
else
  echo "rows (pgbench_history):           $DR_ROWS at the DR site != $SOURCE_ROWS committed at the source"
  exit 1
fi

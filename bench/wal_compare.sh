#!/usr/bin/env bash
# hasteward wal-push / wal-fetch against pgBackRest archive-push / archive-get (issue #13's
# benchmark), one run each on the same WAL segments of one sandbox cluster (pgbench's load, then
# bulk inserts of text).
# Prints segments/s for: push one call per segment with an empty queue (the server caught up),
# push with every segment queued (.ready: the server fell behind, hasteward batches), and fetch of
# every segment in order (hasteward prefetches 8; pgBackRest's archive-get without async), and the
# same fetches through a running wal-agent.
#
#   SEGMENTS=64 bench/wal_compare.sh [path/to/hasteward]
#   WAL_REPO=s3 ...: hasteward's repositories on a real S3 server (Ceph RGW on loopback, started
#   by build/bench/s3_bench_server); pgBackRest is then skipped (its S3 client needs TLS).
#   hasteward binaries with a repository cache also run the one-call-per-segment push with
#   --no-cache, to show what the cache saves.
#
# Needs root (the server runs as 'postgres'), pgbench, pgbackrest (Debian package), restic.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
SEGMENTS=${SEGMENTS:-64}
PGBIN=/usr/lib/postgresql/15/bin
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)"; exit 2; }

W=$(mktemp -d /tmp/hs-bench-wal-XXXXXX)
chmod 755 "$W"
if [ "${WAL_REPO:-local}" = s3 ]; then
  coproc SRV { "${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}/bench/s3_bench_server"; }
  read -r _ endpoint <&"${SRV[0]}"; read -r _ bucket <&"${SRV[0]}"
  read -r _ AWS_ACCESS_KEY_ID <&"${SRV[0]}"; read -r _ AWS_SECRET_ACCESS_KEY <&"${SRV[0]}"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  repo_at() { echo "s3:$endpoint/$bucket/$1"; }
else
  repo_at() { echo "$W/$1"; }
fi
# Each run starts with an empty repository cache (the bench measures the steady state of calls).
export XDG_CACHE_HOME=$W/xdg-cache
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache
cleanup() { "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

"$HW" sandbox up -e cnpg -c bench -n b --instances 1 >/dev/null
DATA=$W/state/b/bench/bench-0/data
SOCK=$W/state/b/bench/bench-0/sock
PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
psql_() { runuser -u postgres -- psql -h "$SOCK" -p "$PORT" -X -q -A -t "$@"; }

# Segments to archive: written by pgbench, copied out of pg_wal as the server completes them.
psql_ -c "ALTER SYSTEM SET wal_keep_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
FIRST=$(psql_ -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -i -s 1 -q postgres 2>/dev/null
# Then bulk inserts of hexadecimal text (about 2x compressible, as pgbench's WAL was): pgbench's
# own transactions made WAL too slowly on a loaded machine (2 segments in 5 minutes at load 13).
psql_ -c "CREATE TABLE bench_fill (id bigint, v text)" >/dev/null
while :; do
  CUR=$(psql_ -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
  N=$(( 16#${CUR:16:8} - 16#${FIRST:16:8} ))
  [ "$N" -ge "$SEGMENTS" ] && break
  psql_ -c "INSERT INTO bench_fill SELECT g, md5(g::text) || md5(random()::text) FROM generate_series(1, 100000) g" >/dev/null
done
psql_ -c "CHECKPOINT" >/dev/null
install -d -o postgres -m 700 "$W/wal/pg_wal/archive_status"
mapfile -t SEGS < <(cd "$DATA/pg_wal" && ls | grep -E '^[0-9A-F]{24}$' | sort | awk -v f="$FIRST" '$0 >= f' | head -"$SEGMENTS")
for s in "${SEGS[@]}"; do cp "$DATA/pg_wal/$s" "$W/wal/pg_wal/$s"; done
chown -R postgres "$W/wal"
COUNT=${#SEGS[@]}
echo "segments: $COUNT x 16 MiB"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
trap 'echo "load after: $(cut -d" " -f1-3 /proc/loadavg)"; cleanup' EXIT

rate() {  # <label> <seconds>
  awk -v l="$1" -v s="$2" -v n="$COUNT" 'BEGIN { printf "%-44s %6.1f s %7.1f segments/s\n", l, s, n / s }'
}
timed() {  # <cmd...>: seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

# --- hasteward (local repository) ---
use_repo() { export RESTIC_REPOSITORY=$(repo_at "$1"); export HASTEWARD_BACKUPS_PATH=$RESTIC_REPOSITORY; "$HW" repo init >/dev/null; }
# AGENT_ONLY=1: only the calls through a running wal-agent (the way `serve` archives and a DR
# activation or PITR restore replays) and pgBackRest; the direct calls open the repository (a
# scrypt key derivation) each time and took 3 minutes per phase at load 12.
direct() { [ "${AGENT_ONLY:-0}" != 1 ]; }
if direct && "$HW" wal-push --help 2>/dev/null | grep -q -- --no-cache; then
  use_repo hw-nocache
  push_nocache() { for s in "${SEGS[@]}"; do "$HW" -q wal-push --no-cache -e cnpg -c bench -n b "$W/wal/pg_wal/$s"; done; }
  rate "hasteward wal-push, empty queue, --no-cache" "$(timed push_nocache)"
fi
use_repo hw
push_each() { for s in "${SEGS[@]}"; do "$HW" -q wal-push -e cnpg -c bench -n b "$W/wal/pg_wal/$s"; done; }
if direct; then rate "hasteward wal-push, empty queue" "$(timed push_each)"; fi
# The same calls handing each segment to a running `hasteward wal-agent` (repository kept open).
direct && use_repo hw-agent  # agent-only: the agent pushes into hw, which the fetches read
"$HW" wal-agent -e cnpg -c bench -n b --socket "$W/agent.sock" --client-user root 2>"$W/agent.log" &
AGENT=$!
for _ in $(seq 100); do [ -S "$W/agent.sock" ] && break; sleep 0.1; done
push_agent() { for s in "${SEGS[@]}"; do "$HW" -q wal-push -e cnpg -c bench -n b --agent-socket "$W/agent.sock" "$W/wal/pg_wal/$s"; done; }
rate "hasteward wal-push through wal-agent" "$(timed push_agent)"
kill -TERM "$AGENT"; wait "$AGENT" || true
echo "  requests the agent archived: $(grep -c "archived '" "$W/agent.log" || true)"
install -d "$W/restore/pg_wal"
if direct; then
  use_repo hw2
  for s in "${SEGS[@]}"; do : >"$W/wal/pg_wal/archive_status/$s.ready"; done
  rate "hasteward wal-push, all queued (batches)" "$(timed push_each)"
  rm -f "$W"/wal/pg_wal/archive_status/*.ready
  fetch_each() {
    for s in "${SEGS[@]}"; do "$HW" -q wal-fetch -e cnpg -c bench -n b "$s" "$W/restore/pg_wal/RECOVERYXLOG"; done
  }
  rate "hasteward wal-fetch (prefetch 8)" "$(timed fetch_each)"
fi
# The same calls asking a running `hasteward wal-agent` (repository kept open, reading ahead),
# as the server's restore_command does when `archive enable --agent-socket` wrote it, and a
# restore's own fetch server. Each segment goes to its own file, compared with the original after.
"$HW" wal-agent -e cnpg -c bench -n b --socket "$W/fetch-agent.sock" --client-user root 2>"$W/fetch-agent.log" &
AGENT=$!
for _ in $(seq 100); do [ -S "$W/fetch-agent.sock" ] && break; sleep 0.1; done
install -d "$W/restore-agent/pg_wal"
fetch_agent() {
  for s in "${SEGS[@]}"; do "$HW" -q wal-fetch -e cnpg -c bench -n b --agent-socket "$W/fetch-agent.sock" "$s" "$W/restore-agent/pg_wal/$s"; done
}
rate "hasteward wal-fetch through wal-agent" "$(timed fetch_agent)"
kill -TERM "$AGENT"; wait "$AGENT" || true
for s in "${SEGS[@]}"; do cmp -s "$W/wal/pg_wal/$s" "$W/restore-agent/pg_wal/$s" || { echo "fetched $s differs"; exit 1; }; done
echo "  answered by the agent: $(grep -o ' fetched=[0-9]*' "$W/fetch-agent.log" | tail -1), $(grep -o 'fetched_from_prefetch=[0-9]*' "$W/fetch-agent.log" | tail -1), $(grep -o 'fetched_from_ahead=[0-9]*' "$W/fetch-agent.log" | tail -1); every segment identical"
if direct && "$HW" wal-fetch --help 2>/dev/null | grep -q -- --no-cache; then
  rm -f "$W"/restore/pg_wal/hasteward-prefetch/*
  fetch_nocache() {
    for s in "${SEGS[@]}"; do "$HW" -q wal-fetch --no-cache --prefetch 0 -e cnpg -c bench -n b "$s" "$W/restore/pg_wal/RECOVERYXLOG"; done
  }
  rate "hasteward wal-fetch, no prefetch, --no-cache" "$(timed fetch_nocache)"
  rm -f "$W"/restore/pg_wal/hasteward-prefetch/*
fi
fetch_plain() {
  for s in "${SEGS[@]}"; do "$HW" -q wal-fetch --prefetch 0 -e cnpg -c bench -n b "$s" "$W/restore/pg_wal/RECOVERYXLOG"; done
}
if direct; then rate "hasteward wal-fetch, no prefetch" "$(timed fetch_plain)"; fi
[ "${WAL_REPO:-local}" = s3 ] && { echo "pgBackRest skipped on S3"; exit 0; }
echo "hasteward stored: $(du -sb "$W/hw" | cut -f1) bytes"

# --- pgBackRest: zstd at the level hasteward's wal-push uses ("auto" = zstd level 1), so both
# spend the same compression effort (pgBackRest's own default for zst is level 3; BR_ZSTD_LEVEL=3
# runs that). hasteward's repository is also encrypted (AES-256-CTR + Poly1305), pgBackRest's is
# not (its default). ---
install -d -o postgres -m 700 "$W/pgbr" "$W/pgbr-log" "$W/pgbr-spool"
cat >"$W/pgbackrest.conf" <<CONF
[global]
repo1-path=$W/pgbr
log-path=$W/pgbr-log
spool-path=$W/pgbr-spool
compress-type=zst
compress-level=${BR_ZSTD_LEVEL:-1}
[bench]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=$SOCK
CONF
chmod 644 "$W/pgbackrest.conf"
BR=(runuser -u postgres -- pgbackrest --config="$W/pgbackrest.conf" --stanza=bench)
"${BR[@]}" stanza-create >/dev/null
br_push() { for s in "${SEGS[@]}"; do "${BR[@]}" archive-push "$W/wal/pg_wal/$s"; done; }
rate "pgbackrest archive-push" "$(timed br_push)"
install -d -o postgres "$W/restore-br/pg_wal"
br_get() { for s in "${SEGS[@]}"; do "${BR[@]}" archive-get "$s" "$W/restore-br/pg_wal/RECOVERYXLOG"; done; }
rate "pgbackrest archive-get" "$(timed br_get)"
echo "pgbackrest stored: $(du -sb "$W/pgbr/archive" | cut -f1) bytes"

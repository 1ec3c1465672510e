# Sourced by the PostgreSQL backup benches (bench/native_pg_compare.sh,
# bench/block_incremental_pg.sh): a work directory, a one-instance cnpg sandbox with pgbench data,
# and pgBackRest set up beside it. The caller defines HW (the hasteward binary).
PGBIN=/usr/lib/postgresql/15/bin

# pg_bench_workdir PREFIX: makes the work directory $W and the environment every hasteward call
# reads; on exit, takes the sandbox down and removes the directory.
pg_bench_workdir() {
  W=$(mktemp -d "/tmp/$1-XXXXXX")
  chmod 755 "$W"
  export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
  export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache
  trap pg_bench_cleanup EXIT
}
pg_bench_cleanup() {
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  rm -rf "$W"
}

# pg_bench_up: the sandbox instance; sets DATA, SOCK, PORT and the functions psql_ and pgctl.
pg_bench_up() {
  "$HW" sandbox up -e cnpg -c bench -n b --instances 1 >/dev/null
  DATA=$W/state/b/bench/bench-0/data
  SOCK=$W/state/b/bench/bench-0/sock
  PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
}
psql_() { runuser -u postgres -- psql -h "$SOCK" -p "$PORT" -X -q -A -t "$@"; }
pgctl() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$W/pgbr-log/pg.log" -w -t 600 "$@" >/dev/null; }

# pg_bench_pgbackrest REPO_LINE...: a stanza 'bench' whose [global] section holds the given
# repository lines (repo1-path=..., repo1-block=y, repo2-path=...) besides the shared settings,
# WAL archiving through it, the server restarted; sets BR (the pgbackrest command prefix).
# pgBackRest needs WAL archiving for a consistent backup; HASteward does not use it but pays for
# it the same way (archive_command runs for both).
pg_bench_pgbackrest() {
  command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (tools/setup.sh --bench)"; exit 2; }
  install -d -o postgres -m 700 "$W/pgbr-log" "$W/pgbr-spool"
  local line
  for line in "$@"; do
    case $line in repo*-path=*) install -d -o postgres -m 700 "${line#*=}" ;; esac
  done
  {
    echo "[global]"
    printf '%s\n' "$@"
    cat <<CONF
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
  } >"$W/pgbackrest.conf"
  chmod 644 "$W/pgbackrest.conf"
  BR=(runuser -u postgres -- pgbackrest --config="$W/pgbackrest.conf" --stanza=bench)
  psql_ -c "ALTER SYSTEM SET archive_mode = on" \
    -c "ALTER SYSTEM SET archive_command = 'pgbackrest --config=$W/pgbackrest.conf --stanza=bench archive-push %p'"
  pgctl restart
  "${BR[@]}" stanza-create >/dev/null
}

# pg_bench_init SCALE: pgbench's tables, checkpointed; sets DB_BYTES.
pg_bench_init() {
  echo "pgbench -i -s $1 ..."
  runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -i -s "$1" -q postgres 2>/dev/null
  psql_ -c "CHECKPOINT"
  DB_BYTES=$(psql_ -c "SELECT pg_database_size('postgres')")
  echo "database: $((DB_BYTES / 1048576)) MiB"
}

# pg_bench_quiet: waits until pgBackRest's archive-push has taken every WAL segment. A workload
# writes WAL that archive-push compresses in the background: whichever tool ran first would share
# the CPU with it.
pg_bench_quiet() {
  psql_ -c "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 600); do
    ls "$DATA"/pg_wal/archive_status/*.ready >/dev/null 2>&1 || return 0
    sleep 0.5
  done
  echo "the WAL archive did not catch up"
  exit 1
}

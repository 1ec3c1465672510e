# Sourced by the MariaDB backup benches (bench/native_mariadb_compare.sh,
# bench/block_incremental_mariadb.sh): a work directory, a one-instance mariadb sandbox and
# sysbench's tables in it. The caller defines HW (the hasteward binary).

# mariadb_bench_workdir PREFIX: makes the work directory $W and the environment every hasteward
# call reads; on exit, takes the sandbox down and removes the directory.
mariadb_bench_workdir() {
  W=$(mktemp -d "/tmp/$1-XXXXXX")
  chmod 755 "$W"
  export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
  export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$W/restic-cache
  trap mariadb_bench_cleanup EXIT
}
mariadb_bench_cleanup() {
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  rm -rf "$W"
}

# mariadb_bench_up: the sandbox instance; sets PORT, DATA, CNF (its option file), PW (the admin
# password, also exported as MYSQL_PWD for sql and the clients).
mariadb_bench_up() {
  "$HW" sandbox up -e mariadb -c bench -n b --instances 1 >/dev/null
  PORT=$("$HW" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
  DATA=$W/state/b/bench/bench-0/data
  CNF=$(sed -n 's/^ *configFile: //p' "$HASTEWARD_INVENTORY" | head -1)
  PW=$(cat "$W/state/b/bench/admin.password")
  export MYSQL_PWD=$PW
}
sql() { mariadb -h 127.0.0.1 -P "$PORT" -u admin -N -B "$@"; }

# sysbench_prepare TABLES ROWS THREADS: sysbench's oltp tables in database sbtest; sets DB_BYTES
# (the data directory's size).
sysbench_prepare() {
  sql -e "CREATE DATABASE sbtest"
  echo "sysbench prepare: $1 tables x $2 rows ..."
  sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
    --mysql-user=admin --mysql-password="$PW" --tables="$1" --table-size="$2" \
    --threads="$3" prepare >/dev/null
  DB_BYTES=$(du -sb "$DATA" | cut -f1)
  echo "data directory: $((DB_BYTES / 1048576)) MiB"
}

# mariadb_bench_quiet: waits until the buffer pool holds no dirty page. After an update InnoDB
# flushes dirty pages and purges old row versions in the background: whichever tool ran first
# would share the CPU and disk with it. With PURGED=1 it first waits for the purge to finish
# (its history list empty), so the data files stop changing.
mariadb_bench_quiet() {
  if [ "${PURGED:-0}" = 1 ]; then
    for _ in $(seq 1200); do
      [ "$(sql -e "SHOW ENGINE INNODB STATUS" | grep -o 'History list length [0-9]*' | grep -o '[0-9]*$')" = 0 ] && break
      sleep 0.5
    done
  fi
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  for _ in $(seq 1200); do
    [ "$(sql -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | cut -f2)" = 0 ] && return 0
    sleep 0.5
  done
  echo "InnoDB did not flush its dirty pages"
  exit 1
}

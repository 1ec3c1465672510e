#!/usr/bin/env bash
# Produces a real SQL dump for the benchmarks: a throwaway mariadbd on a unix socket, filled by
# sysbench (oltp tables), dumped with mariadb-dump --single-transaction. Cached in $BENCH_DIR.
# Usage: bench/make_sysbench_dump.sh [tables] [rows-per-table]   (default 8 x 1000000 ~ 1.6 GB)
set -euo pipefail
BENCH_DIR=${BENCH_DIR:-/var/tmp/hasteward-bench}
TABLES=${1:-8}
ROWS=${2:-1000000}
out="$BENCH_DIR/sysbench-${TABLES}x${ROWS}.sql"
[ -s "$out" ] && { echo "$out"; exit 0; }
mkdir -p "$BENCH_DIR"
db=$(mktemp -d "$BENCH_DIR/mariadb-XXXXXX")
cleanup() {
  [ -f "$db/pid" ] && kill "$(cat "$db/pid")" 2>/dev/null || true
  sleep 2
  rm -rf "$db"
}
trap cleanup EXIT
mariadb-install-db --no-defaults --datadir="$db/data" --auth-root-authentication-method=normal \
  --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$db/data" --socket="$db/sock" --skip-networking \
  --pid-file="$db/pid" --user=root --innodb-buffer-pool-size=1G \
  --innodb-flush-log-at-trx-commit=0 --log-error="$db/err.log" &
for _ in $(seq 1 100); do [ -S "$db/sock" ] && break; sleep 0.2; done
mariadb --socket="$db/sock" -uroot -e "CREATE DATABASE sbtest"
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$db/sock" --mysql-user=root \
  --tables="$TABLES" --table-size="$ROWS" --threads=2 prepare >&2
mariadb-dump --socket="$db/sock" -uroot --all-databases --single-transaction > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"

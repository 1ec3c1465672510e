#!/usr/bin/env bash
# PostgreSQL switchover wall time under a pgbench load (issue #14's benchmark, PostgreSQL part),
# one run each: `hasteward switchover` on a 2-instance sandbox (primary + streaming standby), and
# `patronictl switchover` on a 2-node Patroni cluster (etcd as its DCS) of the same PostgreSQL 15
# with the same settings, on the same machine. Each time runs from the command's start until the
# new primary accepts a write. Prints both times and the ratio (target: under 5 s, faster than
# Patroni).
#
#   bench/pg_switchover_compare.sh [path/to/hasteward]
#
# Needs root (servers run as 'postgres'), pgbench, and the Debian packages patroni, etcd-server,
# python3-etcd (tools/setup.sh --bench installs them).
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
CLIENTS=${CLIENTS:-4}
PGBIN=/usr/lib/postgresql/15/bin
command -v patroni >/dev/null || { echo "patroni is not installed (apt-get install patroni)"; exit 2; }
command -v etcd >/dev/null || { echo "etcd is not installed (apt-get install etcd-server)"; exit 2; }
/usr/bin/python3 -c "import etcd" 2>/dev/null || { echo "Patroni's etcd client is missing (apt-get install python3-etcd)"; exit 2; }

W=$(mktemp -d /tmp/hs-bench-pgswitch-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
PIDS=()
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
cleanup() {
  kill_tree $$
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 2
  for d in "$W"/patroni/pg0 "$W"/patroni/pg1; do
    [ -f "$d/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" stop -m immediate >/dev/null 2>&1 || true
  done
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

# Seconds from $1 (date +%s.%N) until a write commits on host:port $2 (user postgres, password in
# PGPASSWORD).
until_writable() {
  local start=$1 port=$2
  until PGPASSWORD=$PGPASSWORD psql -h 127.0.0.1 -p "$port" -U postgres -X -q -c "CREATE TEMP TABLE w (i int)" postgres >/dev/null 2>&1; do
    sleep 0.02
  done
  echo "$(date +%s.%N) - $start" | bc
}

# --- HASteward ---------------------------------------------------------------------------------
"$HW" sandbox up -e cnpg -c bench -n b --instances 2 >/dev/null
P0=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | sed -n 1p)
P1=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | sed -n 2p)
# Not exported: a server that hasteward (re)starts inherits its environment, and a PGPASSWORD
# there would override the standby's replication password file.
PW=$(cat "$W/state/b/bench/superuser.password")
PGPASSWORD=$PW pgbench -h 127.0.0.1 -p "$P0" -U postgres -i -s 10 -q postgres >/dev/null 2>&1
PGPASSWORD=$PW pgbench -h 127.0.0.1 -p "$P0" -U postgres -c "$CLIENTS" -T 30 -n postgres >"$W/hs-load" 2>&1 &
LOAD=$!
sleep 5
start=$(date +%s.%N)
"$HW" switchover -e cnpg -c bench -n b --to bench-1 --json >"$W/hs-report" 2>"$W/hs-err" || { cat "$W/hs-err" "$W/hs-report"; exit 1; }
HS=$(PGPASSWORD=$PW until_writable "$start" "$P1")
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
python3 - "$W/hs-report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["steps"]:
    print(f"  {s['step']:<15} {s['seconds']:7.3f} s  {s['detail']}")
PY
echo "hasteward switchover: $HS s (command start to a write on the new primary)"
"$HW" sandbox down -c bench -n b >/dev/null

# --- Patroni -----------------------------------------------------------------------------------
install -d -o postgres -m 700 "$W/patroni"
etcd --data-dir "$W/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster default=http://127.0.0.1:23800 >"$W/etcd.log" 2>&1 &
PIDS+=($!)
PPW=patroni-bench
for n in 0 1; do
  cat >"$W/patroni/pg$n.yml" <<YML
scope: bench
name: pg$n
restapi: {listen: 127.0.0.1:$((18008 + n)), connect_address: 127.0.0.1:$((18008 + n))}
etcd3: {hosts: 127.0.0.1:23790}
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
    postgresql:
      use_pg_rewind: true
      parameters: {wal_level: replica, hot_standby: 'on', max_wal_senders: 10, wal_keep_size: 128MB,
                   fsync: 'off', synchronous_commit: 'off', shared_buffers: 32MB, max_connections: 50}
  initdb: [{encoding: UTF8}, {locale: C}, data-checksums]
  pg_hba: ["local all all trust", "host all all 127.0.0.1/32 scram-sha-256",
           "host replication all 127.0.0.1/32 scram-sha-256"]
postgresql:
  listen: 127.0.0.1:$((15440 + n))
  connect_address: 127.0.0.1:$((15440 + n))
  data_dir: $W/patroni/pg$n
  bin_dir: $PGBIN
  pgpass: $W/patroni/pgpass$n
  authentication:
    superuser: {username: postgres, password: $PPW}
    replication: {username: replicator, password: $PPW}
  parameters: {unix_socket_directories: '$W/patroni'}
YML
  chown postgres "$W/patroni/pg$n.yml"
done
runuser -u postgres -- patroni "$W/patroni/pg0.yml" >"$W/patroni0.log" 2>&1 &
PIDS+=($!)
sleep 8
runuser -u postgres -- patroni "$W/patroni/pg1.yml" >"$W/patroni1.log" 2>&1 &
PIDS+=($!)
export PGPASSWORD=$PPW
for _ in $(seq 120); do
  if [ "$(psql -h 127.0.0.1 -p 15440 -U postgres -X -A -t -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" postgres 2>/dev/null)" = "1" ]; then break; fi
  sleep 1
done
pgbench -h 127.0.0.1 -p 15440 -U postgres -i -s 10 -q postgres >/dev/null 2>&1
pgbench -h 127.0.0.1 -p 15440 -U postgres -c "$CLIENTS" -T 60 -n postgres >"$W/pt-load" 2>&1 &
LOAD=$!
sleep 15  # past the window where a fresh replica reports lag 0 before it streams
start=$(date +%s.%N)
runuser -u postgres -- patronictl -c "$W/patroni/pg0.yml" switchover bench --leader pg0 --candidate pg1 --force >"$W/pt-out" 2>&1 || { cat "$W/pt-out"; exit 1; }
PT=$(until_writable "$start" 15441)
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
echo "patronictl switchover: $PT s (command start to a write on the new primary)"
echo "ratio patroni / hasteward: $(echo "scale=2; $PT / $HS" | bc)"

#!/usr/bin/env bash
# PostgreSQL switchover wall time under a pgbench load (issue #14's benchmark, PostgreSQL part),
# one run each, on the same machine, PostgreSQL 15 and load:
#   - `hasteward switchover` on a 2-instance sandbox (primary + streaming standby);
#   - `patronictl switchover` on a 2-node Patroni cluster (etcd as its DCS);
#   - `pg_autoctl perform switchover` on a pg_auto_failover formation (a monitor and 2 nodes).
# Each time runs from the command's start until the new primary accepts a write (and the command's
# own start-to-exit time is printed too). Through each switchover a writer (bench/lib/write_gap.py:
# single-row INSERTs, autocommit, over a multi-host libpq string with
# target_session_attrs=read-write) records the longest interval between two successful commits.
# Prints the times, the writer's longest gaps and the ratios (target: under 5 s, faster than the
# peers).
#
#   bench/pg_switchover_compare.sh [path/to/hasteward]
#
# Needs root (servers run as 'postgres'), pgbench, python3-psycopg2, and the Debian packages
# patroni, etcd-server, python3-etcd, pg-auto-failover-cli, postgresql-15-auto-failover
# (tools/setup.sh --bench installs them).
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
CLIENTS=${CLIENTS:-4}
PGBIN=/usr/lib/postgresql/15/bin
command -v patroni >/dev/null || { echo "patroni is not installed (apt-get install patroni)"; exit 2; }
command -v etcd >/dev/null || { echo "etcd is not installed (apt-get install etcd-server)"; exit 2; }
/usr/bin/python3 -c "import etcd" 2>/dev/null || { echo "Patroni's etcd client is missing (apt-get install python3-etcd)"; exit 2; }
command -v pg_autoctl >/dev/null || { echo "pg_autoctl is not installed (apt-get install pg-auto-failover-cli postgresql-15-auto-failover)"; exit 2; }
/usr/bin/python3 -c "import psycopg2" 2>/dev/null || { echo "the writer needs psycopg2 (apt-get install python3-psycopg2)"; exit 2; }
WRITER=$(cd "$(dirname "$0")" && pwd)/lib/write_gap.py

W=$(mktemp -d /tmp/hs-bench-pgswitch-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
PIDS=()
AFPIDS=()
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
# Stops the agents started under `runuser` (PIDs in $@): runuser does not pass SIGTERM on, so its
# child (patroni, pg_autoctl) gets it, which stops its PostgreSQL; bounded wait, then the caller
# stops what is left.
stop_agents() {
  local p
  for p in "$@"; do pkill -TERM -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  for _ in $(seq 30); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 1
  done
}
cleanup() {
  [ "${#AFPIDS[@]}" -gt 0 ] && stop_agents "${AFPIDS[@]}"
  [ "${#PIDS[@]}" -gt 0 ] && stop_agents "${PIDS[@]}"
  kill_tree $$
  sleep 2
  for d in "$W"/patroni/pg0 "$W"/patroni/pg1 "$W"/af/monitor "$W"/af/node0 "$W"/af/node1; do
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
  until PGPASSWORD=${PGPASSWORD:-} psql -h 127.0.0.1 -p "$port" -U postgres -X -q -c "CREATE TEMP TABLE w (i int)" postgres >/dev/null 2>&1; do
    sleep 0.02
  done
  echo "$(date +%s.%N) - $start" | bc
}

# The writer (bench/lib/write_gap.py) on the libpq connection string $1, in the background; its
# JSON result goes to $2 when stop_writer stops it.
start_writer() {
  /usr/bin/python3 "$WRITER" pg "$1" >"$2" 2>"$2.err" &
  WPID=$!
}
# Stops the writer and sets GAP to "<longest gap ms> ms (<commits> commits, <failed> failed attempts,
# gap from <s> to <s> s after the writer started)".
stop_writer() {
  sleep 2  # commits on the new primary close the gap
  kill "$WPID" 2>/dev/null || true
  wait "$WPID" 2>/dev/null || true
  GAP=$(/usr/bin/python3 "$WRITER" show "$1") || { cat "$1.err"; GAP="writer failed"; }
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
start_writer "host=127.0.0.1,127.0.0.1 port=$P0,$P1 user=postgres password=$PW dbname=postgres target_session_attrs=read-write" "$W/hs-gap"
sleep 5
start=$(date +%s.%N)
"$HW" switchover -e cnpg -c bench -n b --to bench-1 --json >"$W/hs-report" 2>"$W/hs-err" || { cat "$W/hs-err" "$W/hs-report"; exit 1; }
HS_CMD=$(echo "$(date +%s.%N) - $start" | bc)
HS=$(PGPASSWORD=$PW until_writable "$start" "$P1")
stop_writer "$W/hs-gap"
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
python3 - "$W/hs-report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["steps"]:
    print(f"  {s['step']:<15} {s['seconds']:7.3f} s  {s['detail']}")
PY
echo "hasteward switchover: $HS s (command start to a write on the new primary); command exit $HS_CMD s"
echo "hasteward writer's longest gap: $GAP"
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
start_writer "host=127.0.0.1,127.0.0.1 port=15440,15441 user=postgres password=$PPW dbname=postgres target_session_attrs=read-write" "$W/pt-gap"
sleep 15  # past the window where a fresh replica reports lag 0 before it streams
start=$(date +%s.%N)
runuser -u postgres -- patronictl -c "$W/patroni/pg0.yml" switchover bench --leader pg0 --candidate pg1 --force >"$W/pt-out" 2>&1 || { cat "$W/pt-out"; exit 1; }
PT_CMD=$(echo "$(date +%s.%N) - $start" | bc)
PT=$(until_writable "$start" 15441)
stop_writer "$W/pt-gap"
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
echo "patronictl switchover: $PT s (command start to a write on the new primary); command exit $PT_CMD s"
echo "patroni writer's longest gap: $GAP"
unset PGPASSWORD
# Patroni stops its PostgreSQL on SIGTERM; the next peer gets the machine to itself.
stop_agents "${PIDS[@]}"
for d in "$W"/patroni/pg0 "$W"/patroni/pg1; do
  [ -f "$d/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" stop -m immediate >/dev/null 2>&1 || true
done
kill_tree $$
PIDS=()

# --- pg_auto_failover --------------------------------------------------------------------------
# A monitor (port 15450) and two nodes (15451, 15452), run by `pg_autoctl` as postgres; its
# configuration and state files under $W (XDG_*), trust on loopback, no SSL. The nodes get the
# sandbox's and Patroni's fsync=off and synchronous_commit=off (ALTER SYSTEM on the first node
# before the second is cloned from it); shared_buffers and max_connections stay at initdb's.
install -d -o postgres -m 700 "$W/af"
AF() { runuser -u postgres -- env XDG_CONFIG_HOME="$W/af/config" XDG_DATA_HOME="$W/af/share" pg_autoctl "$@"; }
MON="postgres://autoctl_node@127.0.0.1:15450/pg_auto_failover?sslmode=disable"
# "<name>:<current>/<assigned> ..." for the formation's nodes, from the monitor.
af_states() {
  psql -h 127.0.0.1 -p 15450 -U autoctl_node -d pg_auto_failover -X -A -t -c \
    "SELECT string_agg(nodename || ':' || current_group_state || '/' || assigned_group_state, ' ' ORDER BY nodename) FROM pgautofailover.current_state('default')" 2>/dev/null || true
}
# Waits (at most $1 s) until the monitor's states match the pattern $2.
af_wait() {
  local s=""
  for _ in $(seq "$(( $1 * 2 ))"); do
    s=$(af_states)
    # shellcheck disable=SC2053
    [[ $s == $2 ]] && return 0
    sleep 0.5
  done
  echo "pg_auto_failover did not reach '$2' in $1 s (last: '$s')"
  exit 1
}
AF create monitor --pgdata "$W/af/monitor" --pgport 15450 --hostname 127.0.0.1 --auth trust --no-ssl \
  --pgctl "$PGBIN/pg_ctl" >"$W/af-monitor-create.log" 2>&1 || { tail "$W/af-monitor-create.log"; exit 1; }
AF run --pgdata "$W/af/monitor" >"$W/af-monitor.log" 2>&1 &
AFPIDS+=($!)
for _ in $(seq 60); do
  psql -h 127.0.0.1 -p 15450 -U autoctl_node -d pg_auto_failover -X -q -c "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.5
done
af_node() {
  AF create postgres --pgdata "$W/af/node$1" --pgport $((15451 + $1)) --hostname 127.0.0.1 --name "node$1" \
    --auth trust --no-ssl --monitor "$MON" --pgctl "$PGBIN/pg_ctl" --run >"$W/af-node$1.log" 2>&1 &
  AFPIDS+=($!)
}
af_node 0
af_wait 60 "node0:single/single"
psql -h 127.0.0.1 -p 15451 -U postgres -X -q -c "ALTER SYSTEM SET fsync = off" -c "ALTER SYSTEM SET synchronous_commit = off" \
  -c "SELECT pg_reload_conf()" postgres >/dev/null
af_node 1
af_wait 120 "node0:primary/primary node1:secondary/secondary"
pgbench -h 127.0.0.1 -p 15451 -U postgres -i -s 10 -q postgres >/dev/null 2>&1
pgbench -h 127.0.0.1 -p 15451 -U postgres -c "$CLIENTS" -T 60 -n postgres >"$W/af-load" 2>&1 &
LOAD=$!
start_writer "host=127.0.0.1,127.0.0.1 port=15451,15452 user=postgres dbname=postgres target_session_attrs=read-write" "$W/af-gap"
sleep 15  # the same settling time as Patroni's
af_wait 30 "node0:primary/primary node1:secondary/secondary"
start=$(date +%s.%N)
AF perform switchover --pgdata "$W/af/node0" >"$W/af-out" 2>&1 || { cat "$W/af-out"; exit 1; }
AF_CMD=$(echo "$(date +%s.%N) - $start" | bc)
AF_T=$(until_writable "$start" 15452)
stop_writer "$W/af-gap"
kill "$LOAD" 2>/dev/null || true
wait "$LOAD" 2>/dev/null || true
echo "pg_autoctl perform switchover: $AF_T s (command start to a write on the new primary); command exit $AF_CMD s"
echo "pg_auto_failover writer's longest gap: $GAP"
echo "pg_auto_failover after: $(af_states)"

echo "ratio patroni / hasteward: $(echo "scale=2; $PT / $HS" | bc)"
echo "ratio pg_auto_failover / hasteward: $(echo "scale=2; $AF_T / $HS" | bc)"

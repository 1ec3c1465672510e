#!/usr/bin/env bash
# The main job on the embedded default: a local repository and a local sandbox PostgreSQL cluster
# (primary + streaming standby). It writes a small dataset, backs it up, damages the data, restores
# the backup and shows that the data is back; then it archives WAL, writes three marker rows,
# restores to the point between the last two (`restore --until`) and prints the recoverable window
# (`pitr status`); last it checks the repository with stock restic.
# Everything lives in a temporary directory that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }
work=$(mktemp -d /tmp/hasteward-demo-XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# Runs a long preparation step with its output in a log, so apt's and the compiler's chatter do
# not bury the demo; on failure the end of the log is shown.
quietly() {
  local log="$work/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "demo: '$*' failed; full log above (last 40 lines)" >&2
    exit 1
  fi
}

step "install the Debian 12 packages HASteward needs (first run: several minutes)"
quietly setup ./tools/setup.sh
echo "dependencies present"
step "build hasteward (first build: about 10 minutes on 2 cores)"
quietly build ./tools/build.sh hasteward
HS="$PWD/build/src/hasteward"
echo "built $HS"
export HASTEWARD_STATE_DIR="$work/state" HASTEWARD_INVENTORY="$work/inventory.yaml"
export HASTEWARD_BACKUPS_PATH="$work/repo" RESTIC_PASSWORD="demo-password"
agent=""
cleanup() {
  [ -z "$agent" ] || kill "$agent" 2>/dev/null || true
  "$HS" sandbox down -c shop -n demo >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# psql runs as the postgres user; from a directory that user can read (the checkout may not be),
# so it does not print "could not change directory".
psql_as_postgres() { (cd / && runuser -u postgres -- psql -X -q -h "$sock" -p "$port" "$@"); }
sql() {  # peer authentication over the sandbox's unix socket
  psql_as_postgres -t -A -d shop -c "$1"
}
checksum() { sql "SELECT count(*) || ' rows, md5 ' || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o"; }

step "start a sandbox PostgreSQL 15 cluster (primary + 1 streaming standby)"
"$HS" sandbox up -e cnpg -c shop -n demo --instances 2
port=$("$HS" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
sock=$("$HS" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["socket"])')
psql_as_postgres -d postgres -c "CREATE DATABASE shop"

step "write a dataset"
sql "CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(10,2));
     INSERT INTO orders SELECT g, 'customer-' || (g % 500), g * 1.5 FROM generate_series(1, 20000) g;"
before=$(checksum)
echo "orders: $before"

step "create the backup repository (restic format) and back up the cluster"
"$HS" repo init
"$HS" backup -e cnpg -c shop -n demo
"$HS" get backups

step "damage the data"
sql "DELETE FROM orders WHERE id % 3 = 0; UPDATE orders SET total = 0 WHERE id < 100;"
echo "orders: $(checksum)"

step "restore the latest backup (destructive, so it must be confirmed)"
"$HS" restore -e cnpg -c shop -n demo --snapshot latest --confirm-overwrite
after=$(checksum)
echo "orders: $after"
if [ "$after" = "$before" ]; then
  echo "the data is back: checksums match"
else
  echo "restore did not bring the data back" >&2
  exit 1
fi

step "point-in-time recovery: archive WAL, write three markers, restore to the point before the last"
# The server runs wal-push/wal-fetch as its own OS user (postgres): the binary and the password
# file must be where that user can reach them (a checkout under /root is not). The repository is
# root's (restic's modes: 0700 directories, 0400 files), so the server's wal-push hands each
# segment to the archive agent, which runs as root and keeps the repository open (what `serve`
# runs), and a restore serves the restored server's wal-fetch itself.
install -m 755 "$HS" "$work/hasteward"
printf '%s\n' "$RESTIC_PASSWORD" >"$work/password"
chown postgres "$work/password"
chmod 600 "$work/password"
"$work/hasteward" wal-agent -e cnpg -c shop -n demo --password-file "$work/password" \
  --socket "$work/agent.sock" --client-user postgres 2>"$work/agent.log" &
agent=$!
for _ in $(seq 100); do [ -S "$work/agent.sock" ] && break; sleep 0.1; done
"$work/hasteward" archive enable -e cnpg -c shop -n demo --password-file "$work/password" \
  --agent-socket "$work/agent.sock"
"$HS" backup -e cnpg -c shop -n demo --method native
# A base counts as before a time once the segment holding its end was closed before it (a backup
# taken from the standby does not close one itself).
sql "SELECT pg_switch_wal()" >/dev/null
sql "CREATE TABLE markers (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())"
sql "INSERT INTO markers (id) VALUES (1)"
sql "INSERT INTO markers (id) VALUES (2)"
point=$(sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
sql "INSERT INTO markers (id) VALUES (3)"
echo "markers: $(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM markers"); restoring to $point"
# The point must be in the archive: close the current segment and wait until it is archived.
segment=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 600); do
  [ "$(sql "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver")" = t ] && break
  sleep 0.1
done
"$HS" instance stop -c shop -n demo -i 0
# Run from the copy: the restored server's restore_command names this binary.
# The instances hold WAL written after the last archived segment (the records after the switch):
# a restore never discards what no backup or archive holds unless told to, and then keeps it.
refused=0
"$work/hasteward" restore -e cnpg -c shop -n demo --until "$point" --confirm-overwrite \
  --password-file "$work/password" || refused=$?
if [ "$refused" != 30 ]; then
  echo "expected the restore to be refused with exit 30 (newer data), got $refused" >&2
  exit 1
fi
echo "refused with exit 30: nothing was replaced; again with --confirm-rewind, keeping that data"
"$work/hasteward" restore -e cnpg -c shop -n demo --until "$point" --confirm-overwrite --confirm-rewind \
  --password-file "$work/password"
markers=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM markers")
echo "markers: $markers"
if [ "$markers" = "1,2" ]; then
  echo "restored to the point: the markers before it are there, the one after it is not"
else
  echo "point-in-time restore gave markers '$markers', not '1,2'" >&2
  exit 1
fi
"$HS" pitr status -e cnpg -c shop -n demo

step "stock restic checks the repository HASteward wrote"
restic -r "$HASTEWARD_BACKUPS_PATH" check --read-data --no-cache | tail -1

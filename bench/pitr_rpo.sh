#!/usr/bin/env bash
# MariaDB recovery point under load (issue #13's benchmark, target <= 5 s): how much committed
# work a crash loses when binlogs are archived the way a user runs it, `hasteward archive binlog
# --follow --interval 1s`:
#   1. a one-instance sandbox, sysbench tables, a native base backup, the archiver following;
#   2. a sysbench write load (oltp_write_only) plus one client committing a marker row at a time
#      and logging, for each commit, the row's commit time (NOW(6)) and its GTID (@@last_gtid);
#   3. after a random 10..10+SPAN s (seed printed) the server is killed with kill -9;
#   4. the archiver is given a few cycles, then stopped; `pitr status --json` names the newest
#      archived GTID; the gap is the time between the last commit the client saw and the last
#      marker commit the archive holds (the newest marker whose GTID the archive includes).
#
#   bench/pitr_rpo.sh [path/to/hasteward]        (SEED=..., SPAN=20, THREADS=4)
#
# Needs root (the server runs as 'mysql'), sysbench.
set -euo pipefail
HW=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/src/hasteward}
SEED=${SEED:-$RANDOM}
SPAN=${SPAN:-20}
THREADS=${THREADS:-4}
TABLES=4
ROWS=10000

W=$(mktemp -d /tmp/hs-bench-rpo-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
export HASTEWARD_BACKUPS_PATH=$W/repo RESTIC_REPOSITORY=$W/repo RESTIC_PASSWORD=bench
export RESTIC_CACHE_DIR=$W/restic-cache
PIDS=()
# shellcheck source=bench/lib/kill_tree.sh
. "$(dirname "$0")/lib/kill_tree.sh"
cleanup() {
  kill_tree $$
  wait 2>/dev/null || true
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
hw() { "$HW" "$1" -e mariadb -c bench -n b "${@:2}"; }

"$HW" sandbox up -e mariadb -c bench -n b --instances 1 >/dev/null
"$HW" repo init >/dev/null
PORT=$("$HW" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
PW=$(cat "$W/state/b/bench/admin.password")
export MYSQL_PWD=$PW
sql() { mariadb -h 127.0.0.1 -P "$PORT" -u admin -N -B "$@"; }
sql -e "CREATE DATABASE sbtest; CREATE DATABASE rpo;
        CREATE TABLE rpo.marker (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))"
# mariadb-backup interleaves its redo log copy with a data file in the stream while InnoDB
# writes redo, which the native backup refuses (exit 13, "interleaved files
# are not supported"): wait until the redo log is quiet, and retry.
lsn() { sql -e "SHOW ENGINE INNODB STATUS" | sed -n 's/.*Log sequence number *\([0-9]*\).*/\1/p'; }
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  before=$(lsn); sleep 2
  [ "$(lsn)" = "$before" ] || continue
  hw backup --method native >/dev/null 2>"$W/backup.err" && break
  [ "$attempt" = 10 ] && { cat "$W/backup.err"; exit 1; }
done
# Prepared after the base: a backup right after a bulk load trips the native backup's refusal
# above however long it waits.
sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
  --mysql-user=admin --mysql-password="$PW" --tables=$TABLES --table-size=$ROWS prepare >/dev/null
SERVER_PID=$(sql -e "SELECT @@pid_file" | xargs cat)

# The binary itself in the background (not through hw): $! is then the archiver's own PID.
"$HW" archive binlog -e mariadb -c bench -n b --follow --interval 1s >"$W/archiver.log" 2>&1 &
PIDS+=($!)
sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" \
  --mysql-user=admin --mysql-password="$PW" --tables=$TABLES --table-size=$ROWS \
  --threads="$THREADS" --time=0 --events=0 run >/dev/null 2>&1 &
PIDS+=($!)
# One statement per marker, autocommit: a result line is printed only after its commit.
(
  while true; do
    echo "INSERT INTO rpo.marker (at) VALUES (NOW(6)); SELECT id, at, @@last_gtid FROM rpo.marker WHERE id = LAST_INSERT_ID();"
    sleep 0.05
  done | mariadb -h 127.0.0.1 -P "$PORT" -u admin -N -B --unbuffered >"$W/commits.log" 2>/dev/null
) &
PIDS+=($!)

RANDOM=$SEED
WAIT=$((10 + RANDOM % (SPAN + 1)))
echo "seed $SEED: kill -9 of the server after $WAIT s of load"
sleep "$WAIT"
kill -9 "$SERVER_PID"
sleep 5  # the archiver's cycles after the crash find no writer; what it stored before stays
kill "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true

ARCHIVED=$(hw pitr status --json | python3 -c '
import json, sys
status = json.load(sys.stdin)
print(status["bases"][-1]["end"])')
python3 - "$W/commits.log" "$ARCHIVED" <<'EOF'
import sys
from datetime import datetime
log, archived = sys.argv[1], sys.argv[2]
def seq(gtid, domain):
    for part in gtid.split(","):
        d, _, s = part.split("-")
        if int(d) == domain:
            return int(s)
    return 0
commits = []
for line in open(log):
    fields = line.rstrip("\n").split("\t")
    if len(fields) == 3 and fields[2]:
        commits.append((int(fields[0]), datetime.fromisoformat(fields[1]), fields[2]))
if not commits:
    sys.exit("no marker commit was logged")
last = commits[-1]
domain = int(last[2].split("-")[0])
held = [c for c in commits if seq(c[2], domain) <= seq(archived, domain)]
print(f"markers committed: {len(commits)}; last: id {last[0]} at {last[1]} (GTID {last[2]})")
print(f"archive ends at GTID {archived}")
if not held:
    print("RPO: no marker archived at all")
    sys.exit(1)
gap = (last[1] - held[-1][1]).total_seconds()
print(f"last archived marker: id {held[-1][0]} at {held[-1][1]}")
print(f"RPO: {gap:.2f} s (target <= 5 s)")
EOF

#!/usr/bin/env bash
# End-to-end database backup, in one run, on a sandbox cluster filled by sysbench (MariaDB) or
# pgbench (PostgreSQL): the dump tool alone to /dev/null, `dump | restic backup --stdin`, and
# `hasteward backup -e ... -c ...`; prints MB/s of the three and the ratios.
# Each of the three runs REPEAT times (default 3), interleaved, and the median time is reported,
# so one noisy run does not decide the ratio.
# UNCOMPRESSED=1 adds a fourth run, `hasteward backup --compression off`, which shows how much of
# the gap to the dump tool is compression CPU (on a 2-core machine the dump tool and the server
# already use most of both cores).
# Usage: bench/cluster_backup_compare.sh mariadb|cnpg [scale]
#   mariadb scale = rows per table (8 tables; default 1000000 -> ~1.6 GB dump)
#   cnpg scale    = pgbench scale (default 100 -> ~1 GB dump)
set -euo pipefail
cd "$(dirname "$0")/.."
HS=${HS:-$PWD/build/src/hasteward}
ENGINE=${1:-mariadb}
work=$(mktemp -d /var/tmp/hasteward-e2e-XXXXXX)
chmod 755 "$work"
export HASTEWARD_STATE_DIR="$work/state" HASTEWARD_INVENTORY="$work/inventory.yaml"
export HASTEWARD_BACKUPS_PATH="$work/hs-repo" RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$work/cache"
trap '"$HS" sandbox down -c bench -n bench >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$HS" sandbox up -e "$ENGINE" -c bench -n bench --instances 1 >/dev/null
port=$("$HS" sandbox list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["instances"][0]["port"])')
if [ "$ENGINE" = "cnpg" ]; then
  pw=$(cat "$work/state/bench/bench/superuser.password")
  export PGPASSWORD="$pw"
  pgbench -h 127.0.0.1 -p "$port" -U postgres -i -s "${2:-100}" -q postgres >/dev/null 2>&1
  dump=(pg_dumpall -h 127.0.0.1 -p "$port" -U postgres --clean --if-exists)
else
  pw=$(cat "$work/state/bench/bench/admin.password")
  export MYSQL_PWD="$pw"
  mariadb -h 127.0.0.1 -P "$port" -u admin -e "CREATE DATABASE sbtest"
  sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
    --mysql-user=admin --mysql-password="$pw" --tables=8 --table-size="${2:-1000000}" \
    --threads=2 prepare >/dev/null
  dump=(mariadb-dump -h 127.0.0.1 -P "$port" -u admin --all-databases --single-transaction
        --routines --events --triggers --hex-blob)
fi
size=$("${dump[@]}" | wc -c)
t() { local s; s=$(date +%s.%N); "$@" >/dev/null; python3 -c "print($(date +%s.%N) - $s)"; }
export RESTIC_REPOSITORY="$work/restic-repo"  # hasteward prefers HASTEWARD_BACKUPS_PATH
tool_runs=() pipe_runs=() hs_runs=() off_runs=()
for _ in $(seq "${REPEAT:-3}"); do
  # Fresh repositories each round: every run stores the whole dump (no deduplication).
  rm -rf "$RESTIC_REPOSITORY" "$HASTEWARD_BACKUPS_PATH"
  restic init -q
  "$HS" repo init -q
  tool_runs+=("$(t sh -c '"$@" > /dev/null' _ "${dump[@]}")")
  pipe_runs+=("$(t sh -c '"$@" | restic backup -q --stdin --stdin-filename dump.sql' _ "${dump[@]}")")
  hs_runs+=("$(t "$HS" backup -e "$ENGINE" -c bench -n bench -q)")
  if [ -n "${UNCOMPRESSED:-}" ]; then
    rm -rf "$HASTEWARD_BACKUPS_PATH"
    "$HS" repo init -q
    off_runs+=("$(t "$HS" backup -e "$ENGINE" -c bench -n bench -q --compression off)")
  fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "runs (s): tool ${tool_runs[*]} | restic pipeline ${pipe_runs[*]} | hasteward ${hs_runs[*]}"
if [ -n "${UNCOMPRESSED:-}" ]; then
  off=$(median "${off_runs[@]}")
  echo "hasteward --compression off: runs ${off_runs[*]}; median $(python3 -c "print(f'{$size / 1e6 / $off:.1f} MB/s, {$(median "${tool_runs[@]}") / $off:.2f} of the dump tool alone')")"
fi
tool=$(median "${tool_runs[@]}") pipeline=$(median "${pipe_runs[@]}") hs=$(median "${hs_runs[@]}")
python3 - "$size" "$tool" "$pipeline" "$hs" <<'PY'
import sys
size, tool, pipe, hs = int(sys.argv[1]) / 1e6, *map(float, sys.argv[2:])
print(f"dump size: {size:.0f} MB (median of the runs)")
print(f"{'dump tool alone':<34}{size / tool:>8.1f} MB/s")
print(f"{'dump | restic backup --stdin':<34}{size / pipe:>8.1f} MB/s")
print(f"{'hasteward backup':<34}{size / hs:>8.1f} MB/s")
print(f"hasteward / restic pipeline: {pipe / hs:.2f}x; hasteward / dump tool alone: {tool / hs:.2f}")
PY

#!/usr/bin/env bash
# Backs up and restores the same SQL dump with hasteward and with restic 0.14 in one run and prints
# MB/s, CPU seconds and peak RSS for each, the ratios, and the deduplication of both (same chunker
# polynomial, so identical boundaries are expected).
# Usage: bench/repo_compare.sh [DUMP_FILE]   (default: bench/make_sysbench_dump.sh output)
set -euo pipefail
cd "$(dirname "$0")/.."
HS=${HS:-$PWD/build/src/hasteward}
DUMP=${1:-$(bench/make_sysbench_dump.sh)}
work=$(mktemp -d /var/tmp/hasteward-cmp-XXXXXX)
trap 'rm -rf "$work"' EXIT
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$work/cache"
size=$(stat -c %s "$DUMP")
measure() {  # label, command...: prints "label wall user sys rss_kb"
  local label=$1; shift
  /usr/bin/time -f "$label %e %U %S %M" -o "$work/t" "$@" > /dev/null
  cat "$work/t"
}
restic -r "$work/restic" init -q
poly=$(restic -r "$work/restic" cat config | python3 -c 'import json,sys;print(json.load(sys.stdin)["chunker_polynomial"])')
"$HS" repo init -r "$work/hs" --polynomial "$poly" -q
cat "$DUMP" > /dev/null  # warm the page cache for both
{
  measure hs_backup sh -c "'$HS' backup -r '$work/hs' --stdin --stdin-filename dump.sql --json < '$DUMP' > '$work/hs.json'"
  measure restic_backup sh -c "restic -r '$work/restic' backup --stdin --stdin-filename dump.sql --json < '$DUMP' | tail -1 > '$work/restic.json'"
  measure hs_restore "$HS" export -r "$work/hs" --snapshot latest -o -
  measure restic_restore restic -r "$work/restic" dump latest /dump.sql
} > "$work/results"
hs_sha=$("$HS" export -r "$work/hs" --snapshot latest | sha256sum | cut -c1-16)
dump_sha=$(sha256sum < "$DUMP" | cut -c1-16)
python3 - "$work/results" "$size" "$work/hs.json" "$work/restic.json" "$work/hs" "$work/restic" <<'PY'
import json, os, subprocess, sys
res = {}
for line in open(sys.argv[1]):
    label, wall, user, sysc, rss = line.split()
    res[label] = dict(wall=float(wall), cpu=float(user) + float(sysc), rss=int(rss) / 1024)
size = int(sys.argv[2]) / 1e6
def du(p):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs) / 1e6
hs, rs = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
print(f"input: {size:.0f} MB")
print(f"{'operation':<16}{'MB/s':>9}{'CPU s':>9}{'peak RSS MiB':>14}")
for k in ["hs_backup", "restic_backup", "hs_restore", "restic_restore"]:
    r = res[k]
    print(f"{k:<16}{size / r['wall']:>9.1f}{r['cpu']:>9.1f}{r['rss']:>14.1f}")
b = res["restic_backup"]["wall"] / res["hs_backup"]["wall"]
r = res["restic_restore"]["wall"] / res["hs_restore"]["wall"]
print(f"backup throughput ratio (hasteward/restic): {b:.2f}x")
print(f"restore throughput ratio (hasteward/restic): {r:.2f}x")
print(f"backup peak RSS ratio: {res['hs_backup']['rss'] / res['restic_backup']['rss']:.2f}")
print(f"restore peak RSS ratio: {res['hs_restore']['rss'] / res['restic_restore']['rss']:.2f}")
print(f"data blobs: hasteward {hs['data_blobs']}, restic {rs.get('data_blobs', rs.get('total_files_processed'))}")
print(f"repository size MB: hasteward {du(sys.argv[5]):.0f}, restic {du(sys.argv[6]):.0f}")
PY
echo "restored sha256 prefix: hasteward $hs_sha, input $dump_sha"

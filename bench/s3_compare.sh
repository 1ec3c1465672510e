#!/usr/bin/env bash
# Backs up and restores the same dump to a real S3 server (Ceph RGW on loopback, started by
# build/bench/s3_bench_server behind a request-counting proxy) with hasteward and with restic
# 0.14, and prints MB/s and S3 request counts of each and the ratios (target: hasteward >= 2x
# restic's throughput with no more requests).
# Usage: bench/s3_compare.sh [FILE|synthetic]
#   default: the sysbench mariadb-dump from bench/make_sysbench_dump.sh (~1.6 GB, cached);
#   synthetic: SIZE_MB (1024) of half random, half zero MiBs. On a 2-core machine the S3 server
#   shares the cores, so with incompressible input its own CPU bounds both tools' throughput.
#   BUILD=build-dir (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
HS=${HS:-$BUILD/src/hasteward}
SERVER=$BUILD/bench/s3_bench_server
work=$(mktemp -d /var/tmp/hasteward-s3cmp-XXXXXX)
coproc SRV { "$SERVER"; }
trap 'exec {SRV[1]}>&-; wait "$SRV_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
read -r _ endpoint <&"${SRV[0]}"; read -r _ bucket <&"${SRV[0]}"
read -r _ AWS_ACCESS_KEY_ID <&"${SRV[0]}"; read -r _ AWS_SECRET_ACCESS_KEY <&"${SRV[0]}"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$work/cache"
input=${1:-$(bench/make_sysbench_dump.sh)}
if [ "$input" = synthetic ]; then
  input=$work/input.bin
  python3 - "$input" "${SIZE_MB:-1024}" <<'PY'
import os, sys
with open(sys.argv[1], 'wb') as f:
    for i in range(int(sys.argv[2])):
        f.write(os.urandom(1 << 19) + bytes(1 << 19))  # half random, half zeros per MiB
PY
fi
size=$(stat -c %s "$input")
counts() { echo x >&"${SRV[1]}"; read -r line <&"${SRV[0]}"; echo "$line"; }
run() {  # label, command: prints "label seconds requests-line-before requests-line-after"
  local label=$1 before after t0 t1; shift
  before=$(counts); t0=$(date +%s.%N)
  sh -c "$*" > /dev/null
  t1=$(date +%s.%N); after=$(counts)
  echo "$label $(echo "$t1 - $t0" | bc) | $before | $after"
}
hs_repo="s3:$endpoint/$bucket/hasteward"
restic_repo="s3:$endpoint/$bucket/restic"
"$HS" -r "$hs_repo" repo init -q > /dev/null
restic -q -r "$restic_repo" init
cat "$input" > /dev/null
{
  run hs_backup "'$HS' -r '$hs_repo' backup --stdin --stdin-filename dump.sql < '$input'"
  run restic_backup "restic -q -r '$restic_repo' backup --stdin --stdin-filename dump.sql < '$input'"
  run hs_restore "'$HS' -r '$hs_repo' export --snapshot latest -o - | sha256sum > '$work/hs.sha'"
  run restic_restore "restic -q -r '$restic_repo' dump latest dump.sql | sha256sum > '$work/restic.sha'"
} > "$work/results"
want=$(sha256sum < "$input")
[ "$(cat "$work/hs.sha")" = "$want" ] || { echo "hasteward restore differs from the input"; exit 1; }
[ "$(cat "$work/restic.sha")" = "$want" ] || { echo "restic restore differs from the input"; exit 1; }
python3 - "$work/results" "$size" <<'PY'
import sys
size = int(sys.argv[2]) / 1e6
res = {}
def parse(s):
    f = s.split()
    return {f[i]: int(f[i + 1]) for i in range(0, len(f), 2)}
for line in open(sys.argv[1]):
    head, before, after = line.split('|')
    label, secs = head.split()
    b, a = parse(before), parse(after)
    res[label] = dict(secs=float(secs), **{k: a[k] - b[k] for k in a})
print(f"input {size:.0f} MB; requests counted at the S3 proxy")
print(f"{'run':16} {'MB/s':>8} {'requests':>9} {'GET':>6} {'PUT':>6} {'HEAD':>5} {'DELETE':>6} {'POST':>5}")
for k, r in res.items():
    print(f"{k:16} {size / r['secs']:8.1f} {r['requests']:9d} {r['GET']:6d} {r['PUT']:6d} {r['HEAD']:5d} {r['DELETE']:6d} {r['POST']:5d}")
for op in ('backup', 'restore'):
    h, r = res['hs_' + op], res['restic_' + op]
    print(f"{op}: hasteward/restic throughput {r['secs'] / h['secs']:.2f}x, requests {h['requests'] / max(1, r['requests']):.2f}x")
PY

#!/usr/bin/env bash
# Issues #16 and #34's exec and port-forward figures: a ~1 GB pg_dump streamed from a "pod"
# through the Kubernetes exec channel (WebSocket over TLS through a real kube-apiserver to the
# test node's kubelet in the same process: its side costs CPU here that a kubelet would spend on
# another machine) against the same
# pg_dump read through a local pipe; and the same dump served on the "pod's" TCP port, read
# through a port-forward against a direct TCP connection. Best of ROUNDS. The dd-zeros mode of
# the same binary (no HS_BENCH_PRODUCER) shows the channels' own ceiling.
#
#   SCALE=70 ROUNDS=3 bench/exec_dump_compare.sh [path/to/build]
#
# Needs root (the sandbox server runs as 'postgres') and pgbench.
set -euo pipefail
BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
HW=$BUILD/src/hasteward
SCALE=${SCALE:-70}
ROUNDS=${ROUNDS:-3}
W=$(mktemp -d /tmp/hs-bench-exec-XXXXXX)
chmod 755 "$W"
export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml
cleanup() { "$HW" sandbox down -c execbench -n b >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

"$HW" sandbox up -e cnpg -c execbench -n b --instances 1 >/dev/null
SOCK=$W/state/b/execbench/execbench-0/sock
PORT=$(sed -n 's/^ *port: //p' "$HASTEWARD_INVENTORY" | head -1)
echo "pgbench -i -s $SCALE ..."
runuser -u postgres -- pgbench -h "$SOCK" -p "$PORT" -i -s "$SCALE" -q postgres 2>/dev/null
DUMP="runuser -u postgres -- pg_dump -h $SOCK -p $PORT postgres"
echo "dump size: $($DUMP | wc -c) bytes"
echo "== pg_dump: local pipe vs pod exec; direct TCP vs port-forward"
HS_BENCH_PRODUCER=$DUMP "$BUILD/bench/exec_stream_bench" 0 "$ROUNDS"
echo "== channel ceiling (dd zeros, 1024 MiB)"
"$BUILD/bench/exec_stream_bench" 1024 "$ROUNDS"

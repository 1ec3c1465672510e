#!/usr/bin/env bash
# Sequential read of one large file through `hasteward mount` against `hasteward export` of the
# same snapshot to /dev/null, on a local repository: what the FUSE path (kernel round trips,
# blob cache, readahead) costs over the streaming restore. Reads twice each, alternating, and
# checks the mounted bytes against the source.
# Usage: bench/mount_read.sh [SIZE_MIB]   (default 1024; random, incompressible content)
set -euo pipefail
cd "$(dirname "$0")/.."
HS=${HS:-$PWD/build/src/hasteward}
SIZE_MIB=${1:-1024}
work=$(mktemp -d /var/tmp/hasteward-mount-XXXXXX)
mnt="$work/mnt"
mount_pid=""
cleanup() {
  if [ -n "$mount_pid" ]; then kill -TERM "$mount_pid" 2>/dev/null || true; wait "$mount_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export RESTIC_PASSWORD=bench HASTEWARD_KDF_PARAMS=1024,8,1
head -c $((SIZE_MIB << 20)) /dev/urandom > "$work/in.bin"
"$HS" repo init -r "$work/repo" -q
"$HS" backup -r "$work/repo" -q --stdin --stdin-filename db/data.bin < "$work/in.bin"
mkdir "$mnt"
"$HS" mount -r "$work/repo" "$mnt" 2> "$work/mount.err" &
mount_pid=$!
for _ in $(seq 100); do grep -q " $mnt " /proc/self/mountinfo && break; sleep 0.1; done
mbps() { python3 -c "print(f'{$SIZE_MIB * 1048576 / $1 / 1e6:.0f}')"; }
for run in 1 2; do
  /usr/bin/time -f "%e" -o "$work/t" "$HS" export -r "$work/repo" --snapshot latest -o - > /dev/null
  e=$(cat "$work/t")
  # A fresh mount's page cache would serve a second read: drop this file's pages first.
  /usr/bin/time -f "%e" -o "$work/t" dd if="$mnt/db/data.bin" of=/dev/null bs=1M iflag=nocache status=none
  m=$(cat "$work/t")
  echo "run $run: export ${e}s ($(mbps "$e") MB/s), mount read ${m}s ($(mbps "$m") MB/s)"
done
cmp "$mnt/db/data.bin" "$work/in.bin" && echo "mounted bytes equal the source"
kill -TERM "$mount_pid"; wait "$mount_pid"; rc=$?; mount_pid=""
echo "mount exit code $rc; $(tail -1 "$work/mount.err")"

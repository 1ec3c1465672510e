#!/usr/bin/env bash
# Enforces the layer table of CODING_STYLE.md: a layer includes only itself and the layers below
# it, and only core/clock* reads a clock directly. Sub-folders are internals: nothing
# outside src/platform includes platform/<sub>/ (use the front-door headers platform/*.h), and
# nothing outside src/engine includes engine/<kind>/ (use engine/*.h). Exits 1 listing every
# violation.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [core]="core"
  [storage]="storage core"
  [platform]="platform core"
  [repo]="repo storage core"
  [engine]="engine platform core"
  [catalog]="catalog repo engine storage platform core"
  [jobs]="jobs catalog repo engine storage platform core"
  [verify]="verify jobs catalog repo engine storage platform core"
  [pitr]="pitr jobs catalog repo engine storage platform core"
  [dr]="dr pitr verify jobs catalog repo engine storage platform core"
  [operator]="operator verify pitr dr jobs catalog repo engine storage platform core"
  [cli]="cli operator verify pitr dr jobs catalog repo engine storage platform core"
)
status=0
for layer in "${!allowed[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    # Bash's own regex, not a sed per line: a fork per include took a minute of every CI run.
    [[ $line =~ \#include\ \"([a-z_]+)/ ]] && inc=${BASH_REMATCH[1]}
    if [[ " ${allowed[$layer]} " != *" $inc "* ]]; then
      echo "layer violation: $file includes '$inc' (layer '$layer' may include: ${allowed[$layer]})"
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "src/$layer" || true)
done
# Sub-folder internals: only the layer itself includes its sub-folders (platform/local,
# engine/postgres, ...); everything else goes through the front-door headers, which is what keeps
# a new platform or engine an addition in one folder.
internals() {  # <layer> [<sub> regex]: files outside src/<layer> that include <layer>/<sub>/...
  grep -rnE "^#include \"$1/${2:-[a-z_]+}/" src --include='*.cpp' --include='*.h' | grep -v "^src/$1/" || true
}
for layer in platform engine operator; do
  if [ -n "$(internals $layer)" ]; then
    internals $layer | sed "s/^/$layer internals included outside src\/$layer: /"
    status=1
  fi
done
# The catalogue's engine kinds (catalog/postgres, catalog/mariadb) are its internals like the
# engine's. Its WAL archive index (catalog/wal: the archived files, the recorded bases) is read by
# the job that takes a native backup, by the WAL archive kind (pitr/wal) and by verify's audit of
# incremental snapshots (which compares the archive's copies of segments with the trees'); everything
# above goes through pitr::Archive.
if [ -n "$(internals catalog '(postgres|mariadb)')" ]; then
  internals catalog '(postgres|mariadb)' | sed "s/^/catalog internals included outside src\/catalog: /"
  status=1
fi
if internals catalog wal | grep -vE '^src/(jobs|pitr/wal)/|^src/verify/incremental_audit\.cpp:'; then
  echo "catalog/wal included outside src/catalog, src/jobs, src/pitr/wal, verify's incremental audit (use pitr::Archive)"
  status=1
fi
# Likewise the binlog catalogue (catalog/binlog: the archived pieces and rewinds, their index, the
# chain walk) is read by the binlog archive kind (pitr/binlog) only.
if internals catalog binlog | grep -vE '^src/pitr/binlog/'; then
  echo "catalog/binlog included outside src/catalog, src/pitr/binlog (use pitr::Archive)"
  status=1
fi
# A native backup reads the WAL archive and records its base itself (jobs::BackupClusterNative),
# so every caller (cli, serve, dr) gets both: no caller wires the archive in.
if grep -rnE 'ArchiveSegmentSource|RecordBaseBackup' src --include='*.cpp' --include='*.h' |
    grep -vE '^src/(catalog|jobs)/'; then
  echo "archive wiring of a native backup outside jobs::BackupClusterNative"
  status=1
fi
# cli starts serve and reads the operator's state; the rest of the operator (its runtime, CRDs,
# archive supervision, standbys) is its own business, so a change there never reaches the
# command line.
if grep -rnE '^#include "operator/' src/cli | grep -vE '"operator/(serve|status_view|config)\.h"'; then
  echo "cli includes operator internals (allowed: operator/serve.h, operator/status_view.h, operator/config.h)"
  status=1
fi
# Which archive kind an engine keeps (WAL pushed by the server, binlogs pulled by an archiver) is
# asked in one place, pitr::MakeArchive (src/pitr/archive_factory.cpp); everything else holds a
# pitr::Archive. So no binlog_archiving() call, and no test of a capability against nullptr,
# outside the engine layer and that factory.
kind_tests='binlog_archiving\(\)|archiving\(\) *[!=]= *nullptr'
if grep -rnE "$kind_tests" src --include='*.cpp' --include='*.h' |
    grep -vE '^src/engine/|^src/pitr/archive_factory\.cpp:'; then
  echo "archive kind asked outside pitr::MakeArchive (src/pitr/archive_factory.cpp)"
  status=1
fi
# A base backup's facts are read from snapshot tags in one place, the catalogue
# (catalog::DecodeBaseBackup, catalog::TagFacts): a position, a history or a block size parsed
# anywhere else would read tags that restic split at their commas, or an older release's, its own
# way. And dr holds the WAL naming as a catalog::WalNames, never a capability tested for nullptr.
fact_keys='start_lsn|stop_lsn|timeline|timeline_history|system_identifier|gtid_position|gtid_slave_pos'
fact_keys+='|pg_version|mariadb_version|data_checksums|block_size|read|reason|parent|incremental_run'
fact_keys+='|method|source_instance'
if grep -rnE "TagValue\\(\"($fact_keys)\"\\)" src --include='*.cpp' --include='*.h' |
    grep -v '^src/catalog/'; then
  echo "backup fact read from a tag outside src/catalog (use catalog::DecodeBaseBackup)"
  status=1
fi
if grep -rnE 'archiving_? *[!=]= *nullptr' src/dr --include='*.cpp' --include='*.h'; then
  echo "dr tests the archiving capability (take a catalog::WalNames)"
  status=1
fi
# libfuse is an adapter detail of `mount`: only jobs/snapshot_mount.cpp includes it, so the tree
# reading, blob cache and readahead in repo/mount stay testable without a FUSE device.
if grep -rnE '^#include <fuse' src --include='*.cpp' --include='*.h' |
    grep -v '^src/jobs/snapshot_mount\.cpp:'; then
  echo "libfuse included outside src/jobs/snapshot_mount.cpp"
  status=1
fi
# Every clock read goes through core::Clock (core/clock.h) so tests can fake time: no
# <clock>::now() (also through an alias such as `using Steady = std::chrono::steady_clock`),
# time(), gettimeofday() or clock_gettime() outside core/clock*. No exceptions: durations use
# Clock::Monotonic (core::SecondsSince), stamps use Clock::Now.
clock_reads='::now\(|(^|[^A-Za-z0-9_.>])time\((nullptr|NULL|0|&)|std::time\(|gettimeofday|clock_gettime'
if grep -rnE "$clock_reads" src --include='*.cpp' --include='*.h' | grep -v '^src/core/clock'; then
  echo "direct clock read outside core/clock (take a core::Clock, or core::SystemClock::Get())"
  status=1
fi
# Engine SQL connections take their address from the instance's handle (InstanceHandle::endpoint(),
# through InstanceConnectParams), never from the inventory's host and port: on kubernetes the
# platform routes them through the API server behind the handle. So connection parameters are
# built field by field only in the connection files, and in the write probes, which dial the
# address a DR spec gives (WriteProbeTarget), not an instance.
conn_files='^src/engine/(postgres/pg_connection|mariadb/mariadb_connection|postgres/write_probe|mariadb/write_probe)\.cpp:'
if grep -rnE '(Pg|Mariadb)ConnectParams [a-z]([a-z_]*[a-z])? *(;|\{|=)|\.(host|port|socket) *= *[^=;]*\.(host|port|socket)\b' \
    src/engine --include='*.cpp' --include='*.h' | grep -vE "$conn_files"; then
  echo "engine connection parameters built outside the connection files (start from InstanceConnectParams(handle))"
  status=1
fi
# The mount table is read in one place (core/mount_table: decoded escapes, canonical paths), so
# "is it mounted" and "what is mounted below" mean the same in the jobs, the sandbox teardown and
# the tests.
if grep -rn '"/proc/self/mountinfo"\|"/proc/mounts"' src tests --include='*.cpp' --include='*.h' |
    grep -v '^src/core/mount_table\.'; then
  echo "mount table read outside core/mount_table (use core::ReadMountTable / IsMountpoint)"
  status=1
fi
[ $status -eq 0 ] && echo "layers: ok"
exit $status

#!/usr/bin/env bash
# What tools/test.sh prints about the machine around its run, so that a slow CI run says why:
#   ci_report.sh machine         load average, cores and the busiest processes not of this run
#   ci_report.sh snapshot FILE   the PIDs running now (before ctest)
#   ci_report.sh leftovers FILE  servers, archivers and tools started since the snapshot that still
#                                run (a test or bench that leaves one behind slows whatever runs next)
#   ci_report.sh slowest LOG [N] the N (15) slowest tests of a ctest log
set -euo pipefail
# Processes of the suite's kind: database servers, storage servers, the binary and its peers.
kinds='^(hasteward|postgres|postmaster|mariadbd|mysqld|mariadb|galera|garbd|radosgw|ceph-mon|ceph-osd|restic|etcd|patroni|pgbackrest|barman|sysbench|socat|rsync|mariadb-backup|mydumper|pg_basebackup|pg_receivewal)$'

case "${1:-}" in
  machine)
    echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    # A fresh machine has no procps until tools/setup.sh (the next step) installs it.
    if ! command -v ps >/dev/null 2>&1; then
      echo "  (no ps yet: tools/setup.sh installs procps)"
      exit 0
    fi
    # Not this run's own processes: the shell tree of this script's session leader.
    ps -eo pid=,sid=,pcpu=,etime=,comm= --sort=-pcpu | awk -v sid="$(ps -o sid= $$ | tr -d ' ')" \
      '$2 != sid && $3 > 1.0 { printf "  busy: pid %s %s%% cpu for %s: %s\n", $1, $3, $4, $5; n++ }
       n == 8 { exit }'
    ;;
  snapshot)
    ps -eo pid= | tr -d ' ' | sort >"$2"
    ;;
  leftovers)
    # Zombies (state Z) are gone already, waiting only for their parent to reap them.
    ps -eo pid=,stat=,etime=,comm=,args= | awk -v kinds="$kinds" 'NR == FNR { before[$1] = 1; next }
      !($1 in before) && $2 !~ /^Z/ && $4 ~ kinds { n++; printf "  left running: pid %s (%s) %s\n", $1, $3, substr($0, index($0, $5), 160) }
      END { if (n > 0) printf "ctest left %d process(es) running (see above)\n", n }' "$2" -
    ;;
  slowest)
    grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$2" |
      sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .* ([0-9.]+) sec$/\2 \1/' |
      sort -rn | head -n "${3:-15}" | awk 'BEGIN { print "slowest tests:" } { printf "  %8.1f s  %s\n", $1, $2 }'
    ;;
  *)
    echo "usage: ci_report.sh machine|snapshot FILE|leftovers FILE|slowest LOG [N]" >&2
    exit 2
    ;;
esac

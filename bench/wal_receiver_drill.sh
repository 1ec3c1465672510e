#!/usr/bin/env bash
# The synchronous receiver's drill (issue #52), RUNS seeded runs of
# tests/integration/wal_receiver_test.cpp: a writer under synchronous_commit = on, the receiver
# killed and restarted, a switchover (two instances), then kill -9 of the instances and the
# receiver after a seeded number of acknowledged commits; a DR standby activated from the
# repository (Ceph RGW) alone must hold every acknowledged id. Prints each seed and verdict, then the count of failed runs.
#
#   bench/wal_receiver_drill.sh [build dir]          (RUNS=20, FIRST_SEED=1)
#
# DRILL_TEST=binlog_receiver_test runs MariaDB's (bench/binlog_receiver_drill.sh): the binlog
# receiver (archive binlog --sync) instead, a primary and a replica, the same story.
# HASTEWARD_DRILL_REPOSITORY=local puts the repository in a local directory instead of Ceph RGW
# (PostgreSQL's server then archives through a WAL agent: the repository is root's).
set -uo pipefail
BUILD=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
RUNS=${RUNS:-20}
FIRST_SEED=${FIRST_SEED:-1}
DRILL_TEST=${DRILL_TEST:-wal_receiver_test}
export HASTEWARD_TEST_BIN=$BUILD/src/hasteward
failed=0
start=$(date +%s)
for i in $(seq 0 $((RUNS - 1))); do
  seed=$((FIRST_SEED + i))
  t0=$(date +%s)
  if out=$(HASTEWARD_DRILL_SEED=$seed "$BUILD/tests/integration/$DRILL_TEST" \
    --gtest_filter="*EveryAcknowledgedCommit*" 2>&1); then
    verdict=ok
  else
    verdict=FAILED
    failed=$((failed + 1))
    printf '%s\n' "$out" | grep -E "lost|Failure|Which is" | head -5
  fi
  line=$(printf '%s\n' "$out" | grep -m1 '^seed ')
  echo "run $((i + 1))/$RUNS: $line: $verdict ($(($(date +%s) - t0)) s)"
done
echo "$RUNS runs, $failed failed, $(($(date +%s) - start)) s"
[ "$failed" = 0 ]

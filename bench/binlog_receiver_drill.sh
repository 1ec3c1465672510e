#!/usr/bin/env bash
# MariaDB's recovery-point-zero drill (issue #52): seeded runs of
# tests/integration/binlog_receiver_test.cpp through bench/wal_receiver_drill.sh (see there).
#
#   bench/binlog_receiver_drill.sh [build dir]          (RUNS=20, FIRST_SEED=1)
DRILL_TEST=binlog_receiver_test exec "$(dirname "$0")/wal_receiver_drill.sh" "$@"

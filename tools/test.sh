#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, rule checks (layers, NOLINT reasons, format),
# build, then clang-tidy over src/ and every ctest label (unit, integration, interop) against real
# restic, databases and S3 servers.
# CI builds with warnings as errors (the tree is warning-free under GCC 12's -Wall -Wextra
# -Wpedantic -Wshadow ...); HASTEWARD_WERROR=OFF relaxes it for a local run. tools/build.sh alone
# (the demo's build) leaves warnings as warnings, so a newer compiler cannot stop a user's build.
# clang-tidy runs over src/ at the lowest CPU priority (SCHED_IDLE) beside the build and ctest: it
# needs only the compile database (no source is generated at build time), so it starts as soon as
# cmake has configured. tools/tidy.sh checks only the files whose key is not in the committed
# tools/tidy-clean.txt (recorded by the last full check, path-independent) or in the build
# directory's own record, so a clean clone re-checks exactly what changed since the last full
# check. HASTEWARD_TIDY=OFF skips it for a quick local run; TIDY_CACHE=OFF forces a full check.
# ctest runs HASTEWARD_TEST_JOBS tests at a time (default 3 on CI's 2 cores). The database tests
# spend much of their time waiting on servers and timeouts: at 2 the run was packed end to end
# (ctest 2,945 s for 5,481 s of test time on 2026-11-27) with cores left idle. Four at a time took
# the suite from 32 to 25 minutes but one archive story missed its 60-second catch-up bound with
# four heavy stories starting together; tests with a tight wall-clock bound run alone
# (cmake/DiscoveredTests.cmake). clang-tidy now checks only changed files, so it no longer needs
# the CPU ctest leaves. The closing lines give each step's
# time and, on a failure, what each failed test printed (tools/failed_test_output.py).
set -euo pipefail
cd "$(dirname "$0")/.."
step_times=()
step_started=$SECONDS
step_name=""
step() {
  if [ -n "$step_name" ]; then
    step_times+=("$step_name $((SECONDS - step_started)) s")
  fi
  step_name="$*"
  step_started=$SECONDS
  echo "== $* ($(date -u +%H:%M:%S))"
}
step_summary() {
  step "end"
  echo "steps: ${step_times[*]/%/;} total $SECONDS s"
}
# What else runs on the machine decides much of a CI run's time: say it first.
./tools/ci_report.sh machine
step setup; ./tools/setup.sh
# The real etcd, kube-apiserver and kubectl of the real-Kubernetes tests and the operators' CRDs,
# from their Go modules (cached per machine by version: nothing to do when warm). Cold, the build
# waits on the module proxy for about half its time (2026-11-27 in a fresh root: 25 min wall for
# 13.5 min of CPU on two cores), so it runs beside the rule checks and the C++ build instead of
# after them; ctest waits for it. After setup: a fresh machine gets its certificate authorities
# (and python3-yaml for the manifests) there.
mkdir -p build
step "kube binaries (background, log in build/kube-build.log)"
setsid bash -c './tools/kube/build.sh && ./tools/kube/build.sh --manifests' > build/kube-build.log 2>&1 &
kube_pid=$!
tidy_pid=""
# An early exit (a rule check, the build) leaves no build running behind it: each background
# step is a session of its own (setsid), ended as a whole.
stop_background() {
  for pid in $kube_pid $tidy_pid; do
    kill -- "-$pid" 2>/dev/null || true
  done
}
trap stop_background EXIT
step rules; ./tools/check_layers.sh; ./tools/check_nolint.sh; ./tools/format.sh --check
export HASTEWARD_WERROR=${HASTEWARD_WERROR:-ON}
# Configure only (ninja's own target build.ninja is up to date once cmake has run), so that
# clang-tidy has its compile database before the build starts.
step configure; ./tools/build.sh build.ninja
if [ "${HASTEWARD_TIDY:-ON}" = ON ]; then
  step "clang-tidy (background, log in build/tidy.log)"
  # SCHED_IDLE: the CPU only when nothing else wants it, even when the whole run is niced (nice 19
  # alone would share the CPU equally with tests that already run at nice 19).
  chrt --idle 0 nice -n 19 setsid ./tools/tidy.sh > build/tidy.log 2>&1 &
  tidy_pid=$!
fi
step build; ./tools/build.sh
step "kube binaries (wait)"
if ! wait "$kube_pid"; then
  tail -n 40 build/kube-build.log
  echo "test: building the Kubernetes components failed (log: build/kube-build.log)" >&2
  exit 1
fi
kube_pid=""
step ctest
# ctest starts the costliest tests first when it knows their costs, which it keeps from earlier
# runs in the build directory. A clean clone has none, so it starts from the costs recorded in
# tests/ctest-costs.txt (seconds, from a full run; tests of 5 s and more): the long database
# scenarios start early instead of stretching the end of the run.
costs=build/Testing/Temporary/CTestCostData.txt
if [ ! -f "$costs" ]; then
  mkdir -p "$(dirname "$costs")"
  cp tests/ctest-costs.txt "$costs"
fi
./tools/ci_report.sh snapshot build/pids-before-ctest
set +e
(cd build && ctest --output-on-failure --timeout 1500 -j "${HASTEWARD_TEST_JOBS:-3}" "$@") 2>&1 | tee build/ctest.log
ctest_status=${PIPESTATUS[0]}
./tools/ci_report.sh slowest build/ctest.log 15
./tools/ci_report.sh leftovers build/pids-before-ctest
tidy_status=0
if [ -n "$tidy_pid" ]; then
  step "clang-tidy after ctest"
  wait "$tidy_pid"
  tidy_status=$?
  tidy_pid=""
  echo "== clang-tidy finished ($(date -u +%H:%M:%S))"
  # clang-tidy prints "N warnings generated." for every file (system headers); findings stay.
  grep -v 'warnings generated\.$' build/tidy.log | tail -n 40
fi
set -e
if [ "$ctest_status" -ne 0 ] || [ "$tidy_status" -ne 0 ]; then
  if [ "$ctest_status" -ne 0 ]; then
    python3 tools/failed_test_output.py build 40 || true
  fi
  step_summary
  echo "test: ctest exit $ctest_status, clang-tidy exit $tidy_status" >&2
  grep -E 'tests passed|Total Test time' build/ctest.log || true
  exit 1
fi
step_summary
# ctest's own summary last, so whoever reads the closing lines sees the test count.
grep -E 'tests passed|Total Test time' build/ctest.log

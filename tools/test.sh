#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, layer check, format check, build, then every
# ctest label (unit, integration, interop) against real restic, databases and S3 servers.
# CI builds with warnings as errors (the tree is warning-free under GCC 12's -Wall -Wextra
# -Wpedantic -Wshadow ...); HASTEWARD_WERROR=OFF relaxes it for a local run. tools/build.sh alone
# (the demo's build) leaves warnings as warnings, so a newer compiler cannot stop a user's build.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/check_layers.sh
./tools/format.sh --check
HASTEWARD_WERROR=${HASTEWARD_WERROR:-ON} ./tools/build.sh
cd build
ctest --output-on-failure --timeout 1500 "$@"

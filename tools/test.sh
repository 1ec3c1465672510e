#!/usr/bin/env bash
# The whole test suite, as CI runs it: dependencies, layer check, build with -Werror, then every
# ctest label (unit, integration, interop) against real restic, databases and S3 servers.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/check_layers.sh
./tools/format.sh --check
HASTEWARD_WERROR=ON ./tools/build.sh
cd build
ctest --output-on-failure --timeout 1500 "$@"

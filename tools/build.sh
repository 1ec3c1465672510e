#!/usr/bin/env bash
# Configures and builds the release binary and the tests into ./build (idempotent, incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASTEWARD_WERROR="${HASTEWARD_WERROR:-OFF}" >/dev/null
ninja -C build "$@"

#!/usr/bin/env bash
# Configures and builds the release binary and the tests into ./build (idempotent, incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
# A compiler cache when the machine has one (tools/setup.sh installs ccache): CI builds a fresh
# clone of main right after a session on the same machine, so every unchanged translation unit is
# a hit. The base directory turns this checkout's absolute paths into relative ones, so a clone
# anywhere else hits the same entries; pch_defines/time_macros let the test objects that use the
# precompiled header be cached; HASTEWARD_CCACHE=OFF builds without it.
launcher=()
if [ "${HASTEWARD_CCACHE:-ON}" = ON ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
else
  launcher=(-UCMAKE_CXX_COMPILER_LAUNCHER -UCMAKE_C_COMPILER_LAUNCHER)
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHASTEWARD_WERROR="${HASTEWARD_WERROR:-OFF}" "${launcher[@]}" >/dev/null
ninja -C build "$@"

#!/usr/bin/env bash
# Configures and builds the release binary and the tests into ./build (idempotent, incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
# A compiler cache when the machine has one (tools/setup.sh installs ccache): CI builds a fresh
# clone of main right after a session on the same machine, so every unchanged translation unit is
# a hit. The base directory turns this checkout's absolute paths into relative ones, so a clone
# anywhere else hits the same entries. The tests' precompiled header is off then: GCC's PCH holds
# the absolute paths of the build, so every test object of another clone missed (91 of 160).
# HASTEWARD_CCACHE=OFF builds without the cache and with the PCH.
launcher=()
if [ "${HASTEWARD_CCACHE:-ON}" = ON ] && command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
  export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache
    -DHASTEWARD_TEST_PCH=OFF)
else
  launcher=(-UCMAKE_CXX_COMPILER_LAUNCHER -UCMAKE_C_COMPILER_LAUNCHER -DHASTEWARD_TEST_PCH=ON)
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHASTEWARD_WERROR="${HASTEWARD_WERROR:-OFF}" "${launcher[@]}" >/dev/null
ninja -C build "$@"

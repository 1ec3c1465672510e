#!/usr/bin/env bash
# clang-format (Debian 12's 14.0.6) over src/, tests/ and bench/. --check fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: ok"
else
  clang-format -i "${files[@]}"
fi

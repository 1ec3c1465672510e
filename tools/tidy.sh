#!/usr/bin/env bash
# clang-tidy (Debian 12's 14.0.6, .clang-tidy) over the given files, or over every src/**/*.cpp.
# Uses the compile database in $TIDY_BUILD_DIR (default: build). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${TIDY_BUILD_DIR:-build}"
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "tidy: no $build_dir/compile_commands.json; configure with cmake first" >&2
  exit 2
fi
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp')
fi
# --quiet drops the "N warnings generated" chatter; WarningsAsErrors in .clang-tidy turns any
# finding into a non-zero exit of that clang-tidy, and xargs then exits 123.
if printf '%s\0' "${files[@]}" |
  xargs -0 -n 4 -P 2 clang-tidy-14 --quiet -p "$build_dir"; then
  echo "tidy: ok (${#files[@]} files)"
else
  echo "tidy: findings (see above)" >&2
  exit 1
fi

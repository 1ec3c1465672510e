#!/usr/bin/env bash
# clang-tidy (Debian 12's 14.0.6, .clang-tidy) over the given files, or over every src/**/*.cpp.
# Uses the compile database in $TIDY_BUILD_DIR (default: build). Exits non-zero on any finding.
#
# Incremental: a file that passed is recorded under $build_dir/tidy-clean/ by a key
# (tools/tidy_key.py) hashing all that decides clang-tidy's verdict on it: the clang-tidy version,
# .clang-tidy, the file's compile command and its preprocessed source with comments (clang's own
# preprocessor: the file and every header it includes, src/ and system alike, NOLINT comments and
# line layout kept). A later run skips a file whose key is recorded. Any change to those inputs is
# a new key, so the file is checked again; only clean results are recorded, and only when the key
# is the same after the check as before it (nothing was edited meanwhile); a finding is reported
# on every run until fixed; a clean clone has no record, so it checks all of src/.
# TIDY_CACHE=OFF checks every file regardless.
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
  # Largest first: the run ends with small files on both workers, not one large file on one.
  mapfile -t files < <(git ls-files -z 'src/*.cpp' | xargs -0 ls -S)
fi
cache_dir="$build_dir/tidy-clean"
mkdir -p "$cache_dir"
# What every file's key shares.
common_key=$({
  clang-tidy-14 --version
  cat .clang-tidy
} | sha256sum | cut -d' ' -f1)

# One file: skip it when its key is recorded, else run clang-tidy, note the file in $run_log and
# record a clean result. WarningsAsErrors in .clang-tidy turns any finding into a non-zero exit.
check_one() {
  local file="$1" key="" after=""
  if [ "$TIDY_CACHE" = ON ]; then
    key=$(python3 tools/tidy_key.py "$build_dir/compile_commands.json" "$common_key" "$file")
  fi
  if [ -n "$key" ] && [ -e "$cache_dir/$key" ]; then
    return 0
  fi
  echo "$file" >>"$run_log"
  # --quiet drops the "N warnings generated" chatter.
  clang-tidy-14 --quiet -p "$build_dir" "$file" || return 1
  if [ -n "$key" ]; then
    after=$(python3 tools/tidy_key.py "$build_dir/compile_commands.json" "$common_key" "$file")
    if [ "$after" = "$key" ]; then
      : >"$cache_dir/$key"
    fi
  fi
}
export -f check_one
run_log="$cache_dir/last-run"
: >"$run_log"
export build_dir cache_dir common_key run_log TIDY_CACHE="${TIDY_CACHE:-ON}"

# xargs exits 123 when any check failed.
status=0
printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P 2 bash -c 'check_one "$1"' check_one || status=$?
checked=$(wc -l <"$run_log")
if [ "$status" -eq 0 ]; then
  echo "tidy: ok (${#files[@]} files; $checked checked, the rest unchanged since a clean check)"
else
  echo "tidy: findings (see above; ${#files[@]} files, $checked checked)" >&2
  exit 1
fi

#!/usr/bin/env bash
# clang-tidy (Debian 12's 14.0.6, .clang-tidy) over the given files, or over every src/**/*.cpp.
# Uses a compile database of its own in $TIDY_BUILD_DIR/tidy-db (default build/tidy-db), configured
# (never built) file by file: the build compiles unity batches, and its database lists those
# (CMakeLists.txt, HASTEWARD_UNITY). Exits non-zero on any finding.
#
# Incremental, also in a clean clone: a file that passed is recorded by a key (tools/tidy_key.py)
# that hashes all that decides clang-tidy's verdict on it and nothing that differs between clones:
# the clang-tidy version, .clang-tidy, the file's compile command (paths as placeholders), the
# content of the file and of every project header it includes, and the content of every system
# header the compiler reads for it (so a machine with other package versions re-checks only the
# files whose headers differ).
# A run skips a file whose key is recorded
# - in tools/tidy-clean.txt (committed: `PATH KEY` per file, refreshed by every run that checks
#   all of src/, so a clean clone re-checks exactly the files whose key changed since the last
#   recorded full check), or
# - in $build_dir/tidy-clean/ (this build directory's own record of clean results).
# Only clean results are recorded, and only when the key is the same after the check as before it
# (nothing was edited meanwhile); a finding is reported on every run until fixed, and its file's
# line leaves tools/tidy-clean.txt. A header change changes the key of every file that includes
# it. TIDY_CACHE=OFF checks every file regardless (a full check, which also rewrites the list).
set -euo pipefail
cd "$(dirname "$0")/.."
tidy_build_dir="${TIDY_BUILD_DIR:-build}"
build_dir="$tidy_build_dir/tidy-db"
# Seconds: a configure of the same tree, build type and options, each source its own entry.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHASTEWARD_UNITY=OFF \
  -DHASTEWARD_WERROR="${HASTEWARD_WERROR:-OFF}" >/dev/null
whole_tree=OFF
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  whole_tree=ON
  # Largest first: the run ends with small files on both workers, not one large file on one.
  mapfile -t files < <(git ls-files -z 'src/*.cpp' | xargs -0 ls -S)
fi
cache_dir="$build_dir/tidy-clean"
work_dir="$build_dir/tidy-run"
committed=tools/tidy-clean.txt
mkdir -p "$cache_dir" "$work_dir"
touch "$committed"
export TIDY_CACHE="${TIDY_CACHE:-ON}"

# The keys of every file now (one python run: the headers are read once).
python3 tools/tidy_key.py "$build_dir/compile_commands.json" "${files[@]}" >"$work_dir/keys"

# One file: skip it when its key is recorded, else run clang-tidy, note the file in $run_log and
# record a clean result (with its key in $work_dir/clean). WarningsAsErrors in .clang-tidy turns
# any finding into a non-zero exit.
check_one() {
  local file="$1" key="" after=""
  key=$(awk -v f="$file" '$1 == f { print $2 }' "$work_dir/keys")
  if [ "$TIDY_CACHE" = ON ] && [ -n "$key" ]; then
    if [ -e "$cache_dir/$key" ] || grep -qxF "$file $key" "$committed"; then
      echo "$file $key" >>"$work_dir/clean"
      return 0
    fi
  fi
  echo "$file" >>"$run_log"
  # --quiet drops the "N warnings generated" chatter.
  clang-tidy-14 --quiet -p "$build_dir" "$file" || return 1
  if [ -n "$key" ]; then
    after=$(python3 tools/tidy_key.py "$build_dir/compile_commands.json" "$file" | cut -d' ' -f2)
    if [ "$after" = "$key" ]; then
      : >"$cache_dir/$key"
      echo "$file $key" >>"$work_dir/clean"
    fi
  fi
}
export -f check_one
run_log="$work_dir/last-run"
: >"$run_log"
: >"$work_dir/clean"
export build_dir cache_dir work_dir committed run_log

# xargs exits 123 when any check failed.
status=0
printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P 2 bash -c 'check_one "$1"' check_one || status=$?

# Refresh the committed list: this run's clean files with their keys; on a whole-tree run the list
# is exactly those (deleted and failing files leave it), otherwise the other files keep their lines.
{
  if [ "$whole_tree" = OFF ]; then
    awk 'NR == FNR { ran[$1] = 1; next } !($1 in ran)' "$work_dir/keys" "$committed"
  fi
  cat "$work_dir/clean"
} | LC_ALL=C sort -u >"$work_dir/list"
mv "$work_dir/list" "$committed"

checked=$(wc -l <"$run_log")
if [ "$status" -eq 0 ]; then
  echo "tidy: ok (${#files[@]} files; $checked checked, the rest unchanged since a clean check)"
else
  echo "tidy: findings (see above; ${#files[@]} files, $checked checked)" >&2
  exit 1
fi

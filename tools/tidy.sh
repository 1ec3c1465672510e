#!/usr/bin/env bash
# clang-tidy (Debian 12's 14.0.6, .clang-tidy) over the given files, or over every src/**/*.cpp.
# Uses the compile database in $TIDY_BUILD_DIR (default: build). Exits non-zero on any finding.
#
# Incremental: a file that passed is recorded under $build_dir/tidy-clean/ by a key hashing all
# that decides clang-tidy's verdict on it: the clang-tidy version, .clang-tidy, the file's compile
# command and its preprocessed source with comments (clang's own preprocessor: the file and every
# header it includes, src/ and system alike, NOLINT comments and line layout kept). A later run
# skips a file whose key is recorded. Any change to those inputs is a new key, so the file is
# checked again; only clean results are recorded, so a finding is reported on every run until
# fixed; and a clean clone has no record, so it checks all of src/. TIDY_CACHE=OFF checks every
# file regardless.
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
cache_dir="$build_dir/tidy-clean"
mkdir -p "$cache_dir"
# Everything every file's key shares.
common_key=$({
  clang-tidy-14 --version
  cat .clang-tidy
} | sha256sum | cut -d' ' -f1)

# Prints "<file>\0<key>\0" for each file: the key is empty when the file has no entry in the
# compile database or does not preprocess (clang-tidy then reports why).
keys() {
  python3 - "$build_dir/compile_commands.json" "$common_key" "${TIDY_CACHE:-ON}" "$@" <<'EOF'
import hashlib, json, os, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

database, common, cache, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
commands = {}
for entry in json.load(open(database)):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    args = entry.get("arguments") or shlex.split(entry["command"])
    commands[path] = (entry["directory"], args)

def key(name):
    if cache != "ON":
        return ""
    found = commands.get(os.path.realpath(name))
    if found is None:
        return ""
    directory, args = found
    # The compile command as clang sees it, minus the output: -E instead of -c -o X.
    flags, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c" and os.path.realpath(os.path.join(directory, arg)) != os.path.realpath(name):
            flags.append(arg)
    run = subprocess.run(["clang++-14", *flags, "-Wno-unknown-warning-option", "-E", "-C",
                          os.path.realpath(name)], cwd=directory, capture_output=True)
    if run.returncode != 0:
        return ""
    digest = hashlib.sha256()
    for part in (common.encode(), "\0".join(args).encode(), run.stdout):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()

with ThreadPoolExecutor(2) as pool:
    for name, file_key in zip(files, pool.map(key, files)):
        sys.stdout.write(name + "\0" + file_key + "\0")
EOF
}

# One file: skip it when its key is recorded, else run clang-tidy, note it in $run_log and record
# a clean result. WarningsAsErrors in .clang-tidy turns any finding into a non-zero exit.
check_one() {
  local cache_dir="$1" build_dir="$2" run_log="$3" file="$4" key="$5"
  if [ -n "$key" ] && [ -e "$cache_dir/$key" ]; then
    return 0
  fi
  echo "$file" >>"$run_log"
  # --quiet drops the "N warnings generated" chatter.
  clang-tidy-14 --quiet -p "$build_dir" "$file" || return 1
  if [ -n "$key" ]; then
    : >"$cache_dir/$key"
  fi
}
export -f check_one

run_log="$cache_dir/last-run"
: >"$run_log"
# xargs exits 123 when any check_one failed.
status=0
keys "${files[@]}" |
  xargs -0 -n 2 -P 2 bash -c 'check_one "$@"' check_one "$cache_dir" "$build_dir" "$run_log" ||
  status=$?
checked=$(wc -l <"$run_log")
if [ "$status" -eq 0 ]; then
  echo "tidy: ok (${#files[@]} files; $checked checked, the rest unchanged since a clean check)"
else
  echo "tidy: findings (see above; ${#files[@]} files, $checked checked)" >&2
  exit 1
fi

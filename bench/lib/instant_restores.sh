# Sourced by bench/instant_restore.sh and bench/instant_restore_mariadb.sh: their work directory
# and the two hasteward restores they time, the same way for each engine. The caller defines HW,
# ENGINE (-e value),
# now, since, first_write START (polls until an INSERT commits, prints the seconds since START),
# check (the restored data equals the source's) and lose_data (stops the server, removes its
# data directory).

# restore --instant: prints the seconds to the first write, then hydration and pause.
time_instant_restore() {
  lose_data
  local start
  start=$(now)
  "$HW" restore -e "$ENGINE" -c bench -n b --instant --yes --json >"$W/instant.json" 2>"$W/instant.err" &
  RESTORE_PID=$!
  echo "hasteward restore --instant: $(first_write "$start") s (first write)"
  # No full scan while it hydrates: the pause at the end would cut it (tests/integration compares
  # every table on the instant instance).
  wait "$RESTORE_PID" || { cat "$W/instant.err"; exit 1; }
  RESTORE_PID=
  echo "  then until on local disk:  $(since "$start") s; $(tail -1 "$W/instant.json" |
    jq -r '"hydration \(.hydrate_seconds | . * 10 | round / 10) s, pause \(.pause_seconds | . * 100 | round / 100) s"')"
  grep -q fuse.hasteward /proc/self/mountinfo && { echo "a FUSE mount is left"; exit 1; }
  check
}

# The full native restore of the same snapshot: the seconds to the first write.
time_native_restore() {
  lose_data
  local start
  start=$(now)
  "$HW" restore -e "$ENGINE" -c bench -n b --method native --yes >/dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  echo "hasteward restore (native): $(first_write "$start") s"
  check
}

# Makes the work directory $W (its name starts with PREFIX) and the environment every hasteward
# call reads; on exit, stops a restore still running, takes the sandbox down, detaches an overlay
# left mounted and removes the directory.
instant_bench_workdir() {
  W=$(mktemp -d "/tmp/$1-XXXXXX")
  chmod 755 "$W"
  export HASTEWARD_STATE_DIR=$W/state HASTEWARD_INVENTORY=$W/inventory.yaml TZ=UTC
  export RESTIC_PASSWORD=bench HASTEWARD_BACKUPS_PATH=$W/hw RESTIC_REPOSITORY=$W/hw
  trap instant_bench_cleanup EXIT
}
instant_bench_cleanup() {
  [ -n "${RESTORE_PID:-}" ] && kill "$RESTORE_PID" 2>/dev/null || true
  "$HW" sandbox down -c bench -n b >/dev/null 2>&1 || true
  umount -l "$W/state/b/bench/bench-0/data" 2>/dev/null || true
  rm -rf "$W"
}
